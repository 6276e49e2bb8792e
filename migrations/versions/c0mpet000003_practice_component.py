"""competency: the practical component (practice exercises passed, per record and per summary)

Revision ID: c0mpet000003
Revises: pr4ct1ce0001
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0mpet000003"
down_revision = "pr4ct1ce0001"
branch_labels = None
depends_on = None

INDEX_COLUMNS = ["official_id", "topic", "status", "cert_expires_on", "attempts_count", "best_percent"]

# exercises passed per (official, topic), over the published scenarios
PASSED = (
    "SELECT r.official_id AS official_id, s.topic AS topic, COUNT(*) AS n FROM practice_run r "
    "JOIN practice_scenario s ON s.id = r.scenario_id "
    "WHERE r.first_passed_at IS NOT NULL AND s.published = :yes GROUP BY r.official_id, s.topic"
)


def upgrade():
    with op.batch_alter_table("competency_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_passed", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_index("ix_competency_record_official_figures")
        batch_op.create_index(
            "ix_competency_record_official_figures", [*INDEX_COLUMNS, "practice_passed"], unique=False
        )
    with op.batch_alter_table("competency_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_passed", sa.Integer(), server_default="0", nullable=False))
    # officials who practised before this revision: their records and summaries get the figures
    bind = op.get_bind()
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")
    passed = sa.text(PASSED).bindparams(yes=True).columns(
        sa.column("official_id"), sa.column("topic"), sa.column("n")
    ).subquery("passed")
    record = sa.table(
        "competency_record",
        sa.column("official_id"),
        sa.column("topic"),
        sa.column("status"),
        sa.column("attempts_count"),
        sa.column("practice_passed"),
        sa.column("updated_at"),
    )
    missing = sa.select(passed.c.official_id, passed.c.topic, sa.literal("in_progress"), sa.literal(0), passed.c.n, now).where(
        ~sa.exists().where(record.c.official_id == passed.c.official_id, record.c.topic == passed.c.topic)
    )
    bind.execute(
        record.insert().from_select(
            ["official_id", "topic", "status", "attempts_count", "practice_passed", "updated_at"], missing
        )
    )
    counted = (
        sa.select(passed.c.n)
        .where(passed.c.official_id == record.c.official_id, passed.c.topic == record.c.topic)
        .scalar_subquery()
    )
    bind.execute(record.update().values(practice_passed=sa.func.coalesce(counted, 0)))
    summary = sa.table("competency_summary", sa.column("official_id"), sa.column("practice_passed"), sa.column("participated"), sa.column("n_best"))
    bind.execute(
        summary.insert().from_select(
            ["official_id", "participated", "n_best", "practice_passed"],
            sa.select(record.c.official_id, sa.literal(0), sa.literal(0), sa.literal(0))
            .where(~sa.exists().where(summary.c.official_id == record.c.official_id))
            .group_by(record.c.official_id),
        )
    )
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(record.c.practice_passed), 0))
        .where(record.c.official_id == summary.c.official_id)
        .scalar_subquery()
    )
    bind.execute(summary.update().values(practice_passed=total))


def downgrade():
    with op.batch_alter_table("competency_summary", schema=None) as batch_op:
        batch_op.drop_column("practice_passed")
    with op.batch_alter_table("competency_record", schema=None) as batch_op:
        batch_op.drop_index("ix_competency_record_official_figures")
        batch_op.create_index("ix_competency_record_official_figures", INDEX_COLUMNS, unique=False)
        batch_op.drop_column("practice_passed")
