"""competency: per-official topic records, monthly unit snapshots, the shared cache version

Revision ID: c0mpet000001
Revises: m3rge0000001
Create Date: 2026-11-26 05:27:22.316774

"""

import sqlalchemy as sa
from alembic import op

import lms.database

# revision identifiers, used by Alembic.
revision = "c0mpet000001"
down_revision = "m3rge0000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unit_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("block", sa.String(length=16), nullable=False),
        sa.Column("officials", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("participation", sa.Float(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("avg_best", sa.Float(), nullable=False),
        sa.Column("index", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_unit_snapshot_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_snapshot")),
        sa.UniqueConstraint("unit_id", "month", name="uq_unit_snapshot_unit_month"),
    )
    with op.batch_alter_table("unit_snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_snapshot_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_snapshot_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "competency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column(
            "topic",
            sa.Enum("qlvb", "portal", "email", "security", name="topic", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "passed",
                "cert_valid",
                "cert_expired",
                name="recordstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("best_percent", sa.Float(), nullable=True),
        sa.Column("attempts_count", sa.Integer(), nullable=False),
        sa.Column("last_activity_at", lms.database.UTCDateTime(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("cert_expires_on", sa.Date(), nullable=True),
        sa.Column("updated_at", lms.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_competency_record_certificate_id_certificate"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["official.id"], name=op.f("fk_competency_record_official_id_official"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_record")),
        sa.UniqueConstraint("official_id", "topic", name="uq_competency_record_official_topic"),
    )
    with op.batch_alter_table("competency_record", schema=None) as batch_op:
        batch_op.create_index("ix_competency_record_topic_status", ["topic", "status"], unique=False)
        batch_op.create_index(
            "ix_competency_record_official_figures",
            ["official_id", "topic", "status", "cert_expires_on", "attempts_count", "best_percent"],
            unique=False,
        )

    op.create_table(
        "competency_cache_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_cache_version")),
    )


def downgrade():
    op.drop_table("competency_cache_version")
    with op.batch_alter_table("competency_record", schema=None) as batch_op:
        batch_op.drop_index("ix_competency_record_official_figures")
        batch_op.drop_index("ix_competency_record_topic_status")

    op.drop_table("competency_record")
    with op.batch_alter_table("unit_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_snapshot_unit_id"))
        batch_op.drop_index(batch_op.f("ix_unit_snapshot_month"))

    op.drop_table("unit_snapshot")
