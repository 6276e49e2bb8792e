"""merge the competency and training branches

Revision ID: m3rge0000002
Revises: c0mpet000001, tra1n1ng0001
Create Date: 2026-11-26 06:10:00

"""

# revision identifiers, used by Alembic.
revision = "m3rge0000002"
down_revision = ("c0mpet000001", "tra1n1ng0001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
