"""competency: one summary row per official (the records folded), filled from the records

Revision ID: c0mpet000002
Revises: m3rge0000002
Create Date: 2026-11-26 11:55:00

"""

import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0mpet000002"
down_revision = "m3rge0000002"
branch_labels = None
depends_on = None

TOPICS = ("qlvb", "portal", "email", "security")


def upgrade():
    op.create_table(
        "competency_summary",
        sa.Column("official_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("participated", sa.Integer(), nullable=False),
        sa.Column("n_best", sa.Integer(), nullable=False),
        sa.Column("sum_best", sa.Float(), nullable=True),
        *[sa.Column(f"cert_until_{t}", sa.Date(), nullable=True) for t in TOPICS],
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["official.id"],
            name=op.f("fk_competency_summary_official_id_official"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("official_id", name=op.f("pk_competency_summary")),
    )
    # the same folding as lms.competency.records._summary_select, written out here so this revision
    # keeps working whatever the code becomes
    cert_columns = ", ".join(f"cert_until_{t}" for t in TOPICS)
    cert_values = ", ".join(
        f"MAX(CASE WHEN topic = '{t}' AND status = 'cert_valid' "
        f"THEN COALESCE(cert_expires_on, :no_expiry) ELSE NULL END)"
        for t in TOPICS
    )
    op.get_bind().execute(
        sa.text(
            f"INSERT INTO competency_summary (official_id, participated, n_best, sum_best, {cert_columns}) "
            "SELECT official_id, MAX(CASE WHEN attempts_count > 0 THEN 1 ELSE 0 END), COUNT(best_percent), "
            f"SUM(best_percent), {cert_values} FROM competency_record GROUP BY official_id"
        ).bindparams(sa.bindparam("no_expiry", datetime.date(9999, 12, 31), type_=sa.Date()))
    )


def downgrade():
    op.drop_table("competency_summary")
