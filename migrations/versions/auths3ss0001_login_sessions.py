"""auth: one row per logged-in browser (login_session) instead of one token per account

Logout ended every session of the account (an exam open on another device died with it). The
account's old token becomes one login session, so browsers logged in before the upgrade stay
logged in.

Revision ID: auths3ss0001
Revises: qu1zzes00002
Create Date: 2026-11-27 13:40:00

"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lms.database

# revision identifiers, used by Alembic.
revision = "auths3ss0001"
down_revision = "qu1zzes00002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_login_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token", name=op.f("uq_login_session_token")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)

    # the cookies issued before name "<user id>:<account token>": keep them valid, one session each
    login_session = sa.table(
        "login_session",
        sa.column("user_id", sa.Integer()),
        sa.column("token", sa.String()),
        sa.column("created_at", lms.database.UTCDateTime()),
    )
    now = datetime.now(UTC)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, session_token FROM user_account WHERE last_login_at IS NOT NULL")).all()
    if rows:
        conn.execute(login_session.insert(), [{"user_id": r.id, "token": r.session_token, "created_at": now} for r in rows])

    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+), instead of batch mode's rebuild of
    # user_account (copy, drop, rename): with foreign keys on, the drop deleted every row referring to
    # an account with ON DELETE CASCADE (roles...). env.py now migrates with them off; no rebuild anyway.
    with op.batch_alter_table("user_account", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("session_token")


def downgrade():
    # the column comes back nullable (NOT NULL would rebuild user_account on SQLite; see above),
    # each account with a new token: every browser logs in again
    with op.batch_alter_table("user_account", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    user_account = sa.table("user_account", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    for (user_id,) in conn.execute(sa.text("SELECT id FROM user_account")).all():
        conn.execute(
            user_account.update().where(user_account.c.id == user_id).values(session_token=secrets.token_hex(16))
        )

    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_login_session_created_at"))
    op.drop_table("login_session")
