"""courses: course_assignment.include_subunits (a unit and every unit below it)

Revision ID: c0urses00002
Revises: c0mpet000002
Create Date: 2026-11-26 12:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0urses00002"
down_revision = "c0mpet000002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("include_subunits", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("course_assignment", schema=None) as batch_op:
        batch_op.drop_column("include_subunits")
