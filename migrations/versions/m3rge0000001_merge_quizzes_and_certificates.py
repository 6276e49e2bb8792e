"""merge the quizzes and certificates branches

Revision ID: m3rge0000001
Revises: qu1zzes00001, cert1f1c0001
Create Date: 2026-11-26 05:25:00

"""

# revision identifiers, used by Alembic.
revision = "m3rge0000001"
down_revision = ("qu1zzes00001", "cert1f1c0001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
