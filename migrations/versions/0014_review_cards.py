"""Spaced review: FSRS cards per person and question, review days, the review quiz mode

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:20:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from fsrs import Card, Rating, Scheduler


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'review_card',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=True),
        sa.Column('stability', sa.Double(), nullable=False),
        sa.Column('difficulty', sa.Double(), nullable=False),
        sa.Column('due', sa.DateTime(), nullable=False),
        sa.Column('last_review', sa.DateTime(), nullable=False),
        sa.Column('reviews', sa.Integer(), nullable=False),
        sa.Column('lapses', sa.Integer(), nullable=False),
        sa.CheckConstraint('state IN (1, 2, 3)', name=op.f('ck_review_card_state')),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_review_card_category_id_category')),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_review_card_question_id_question')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_review_card_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', 'question_id', name=op.f('pk_review_card')),
    )
    op.create_index('ix_review_card_user_due', 'review_card', ['user_id', 'due'], unique=False)
    op.create_index('ix_review_card_category', 'review_card', ['category_id'], unique=False)
    op.create_table(
        'review_day',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_review_day_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_review_day')),
    )
    with op.batch_alter_table('quiz') as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_mode'), type_='check')
        batch_op.create_check_constraint('mode', "mode IN ('daily', 'practice', 'challenge', 'event', 'review')")
    # What is in the wrong-answer book gets the card a first wrong answer gives, due at
    # once: the book keeps its questions and the review quiz serves them.
    failed, _ = Scheduler().review_card(Card(card_id=0), Rating.Again, datetime.now(timezone.utc))
    op.execute(sa.text(
        "INSERT INTO review_card (user_id, question_id, category_id, state, step, stability, difficulty, due, last_review, reviews, lapses) "
        "SELECT user_id, question_id, category_id, :state, 0, :stability, :difficulty, last_wrong_at, last_wrong_at, wrong_count, 0 "
        "FROM wrong_answer"
    ).bindparams(state=failed.state.value, stability=failed.stability, difficulty=failed.difficulty))


def downgrade():
    op.execute("DELETE FROM quiz_item WHERE quiz_id IN (SELECT id FROM quiz WHERE mode = 'review')")
    op.execute("DELETE FROM quiz WHERE mode = 'review'")
    with op.batch_alter_table('quiz') as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_mode'), type_='check')
        batch_op.create_check_constraint('mode', "mode IN ('daily', 'practice', 'challenge', 'event')")
    op.drop_table('review_day')
    op.drop_index('ix_review_card_category', table_name='review_card')
    op.drop_index('ix_review_card_user_due', table_name='review_card')
    op.drop_table('review_card')
