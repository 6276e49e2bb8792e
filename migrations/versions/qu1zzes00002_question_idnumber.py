"""quizzes: question.idnumber (identity within the category, Moodle's idnumber); titles may repeat

Existing questions get a generated idnumber; the unique (category_id, title) becomes unique
(idnumber, category_id).

Revision ID: qu1zzes00002
Revises: c0urses00002
Create Date: 2026-11-27 09:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "qu1zzes00002"
down_revision = "c0urses00002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idnumber", sa.String(length=100), nullable=True))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM question"))]
    if ids:
        # the same generator as quizzes.services.new_idnumber, written out so this revision stays as it is
        bind.execute(
            sa.text("UPDATE question SET idnumber = :idnumber WHERE id = :id"),
            [{"id": question_id, "idnumber": secrets.token_hex(8)} for question_id in ids],
        )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.alter_column("idnumber", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_constraint("uq_question_category_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_question_idnumber"), ["idnumber", "category_id"])


def downgrade():
    # refused by the database when a category holds two questions of the same title: rename them first
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_question_idnumber"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_question_category_id"), ["category_id", "title"])
        batch_op.drop_column("idnumber")
