"""Each law's active questions, kept on its row

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # GET /categories and /me/mastery counted a district's 100,000 questions per request
    # (13 ms of 17); quiz_bank.questions.recount keeps these from now on.
    with op.batch_alter_table('category') as batch:
        batch.add_column(sa.Column('quiz_questions', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch.add_column(sa.Column('exam_only_questions', sa.Integer(), server_default=sa.text('0'), nullable=False))
    for column, exam_only in (('quiz_questions', 'false'), ('exam_only_questions', 'true')):
        op.execute(f"UPDATE category SET {column} = (SELECT count(*) FROM question WHERE question.category_id = category.id"
                   f" AND question.status = 'active' AND question.exam_only = {exam_only})")


def downgrade():
    with op.batch_alter_table('category') as batch:
        batch.drop_column('exam_only_questions')
        batch.drop_column('quiz_questions')
