"""scale: request limits counted in the database (rate_limit_hit, for every server) and the quiz
waiting room (quiz_waiting: who is waiting for a quiz to open)

Revision ID: sca1e0000001
Revises: c0mpet000003
Create Date: 2026-12-06 16:10:00

"""

import sqlalchemy as sa
from alembic import op

import lms.database

# revision identifiers, used by Alembic.
revision = "sca1e0000001"
down_revision = "c0mpet000003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_hit",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_limit_hit")),
    )
    op.create_index(op.f("ix_rate_limit_hit_expires"), "rate_limit_hit", ["expires"], unique=False)
    op.create_table(
        "quiz_waiting",
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", lms.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["quiz_id"], ["quiz.id"], name=op.f("fk_quiz_waiting_quiz_id_quiz"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["official_id"], ["official.id"], name=op.f("fk_quiz_waiting_official_id_official"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("quiz_id", "official_id", name=op.f("pk_quiz_waiting")),
    )
    op.create_index(op.f("ix_quiz_waiting_seen_at"), "quiz_waiting", ["seen_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_quiz_waiting_seen_at"), table_name="quiz_waiting")
    op.drop_table("quiz_waiting")
    op.drop_index(op.f("ix_rate_limit_hit_expires"), table_name="rate_limit_hit")
    op.drop_table("rate_limit_hit")
