"""The year's figures as last counted (reports.snapshots); a question's answers found by the question; the day's quizzes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: each year and scope is counted at its first view or by `flask figures refresh`.
    op.create_table(
        'figure_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('scope', sa.Integer(), nullable=False),
        sa.Column('counted_at', sa.DateTime(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_snapshot')),
        sa.UniqueConstraint('kind', 'year', 'scope', name='uq_figure_snapshot'),
    )
    # An event's learning gain reads its law's answers in a window (reports.learning_gain).
    op.create_index('ix_quiz_item_question_answered', 'quiz_item', ['question_id', 'answered_at'],
                    postgresql_include=['quiz_id', 'correct'])
    # The day's quizzes on the panel's home page.
    op.create_index('ix_quiz_started', 'quiz', ['started_at'])


def downgrade():
    op.drop_index('ix_quiz_started', table_name='quiz')
    op.drop_index('ix_quiz_item_question_answered', table_name='quiz_item')
    op.drop_table('figure_snapshot')
