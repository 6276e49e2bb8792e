"""audit log: the facts of an entry as data (``audit_log.data``, JSON), shown as labels with links

Revision ID: aud1t0000001
Revises: ad0pt10n0001
Create Date: 2026-12-06 20:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "aud1t0000001"
down_revision = "ad0pt10n0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("data")
