"""auth: accounts for every official: activation state on user_account, one-time tokens (account_token)

Accounts made from the officials' list have no password until the official chooses one through an
e-mailed invitation or a printed activation slip; ``password_hash`` stays "" until then. Existing
accounts all have a password: they count as activated when they were created.

Revision ID: acc0unts0001
Revises: auths3ss0001
Create Date: 2026-12-06 15:00:00

"""

import sqlalchemy as sa
from alembic import op

import lms.database

# revision identifiers, used by Alembic.
revision = "acc0unts0001"
down_revision = "auths3ss0001"
branch_labels = None
depends_on = None


def upgrade():
    # ALTER TABLE ... ADD COLUMN (no batch rebuild of user_account: see auths3ss0001)
    for name in ("activated_at", "invited_at", "disabled_at"):
        op.add_column("user_account", sa.Column(name, lms.database.UTCDateTime(), nullable=True))
    op.add_column("user_account", sa.Column("disabled_reason", sa.String(length=16), nullable=True))
    op.execute("UPDATE user_account SET activated_at = created_at WHERE password_hash <> ''")
    op.execute("UPDATE user_account SET disabled_reason = 'manual' WHERE active = false")
    op.create_index("ix_user_account_last_login_at", "user_account", ["last_login_at"])

    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("invite", "reset", "slip", name="tokenpurpose", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.database.UTCDateTime(), nullable=False),
        sa.Column("expires_at", lms.database.UTCDateTime(), nullable=False),
        sa.Column("used_at", lms.database.UTCDateTime(), nullable=True),
        sa.Column("voided_at", lms.database.UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_account_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_account_token_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash")),
    )
    op.create_index(op.f("ix_account_token_user_id"), "account_token", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_account_token_user_id"), table_name="account_token")
    op.drop_table("account_token")
    op.drop_index("ix_user_account_last_login_at", table_name="user_account")
    for name in ("disabled_reason", "disabled_at", "invited_at", "activated_at"):
        with op.batch_alter_table("user_account", recreate="never") as batch_op:
            batch_op.drop_column(name)
