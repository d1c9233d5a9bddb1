"""An event's on-site quizzes found by the event

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 01:15:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # The event's page (its on-site quiz's results and summary) read the whole
    # uq_quiz_user_event index for one event's quizzes: 2.2M quizzes of a district, 26 ms.
    # Only on-site quizzes have an event.
    op.create_index('ix_quiz_event', 'quiz', ['event_id'], postgresql_where=sa.text('event_id IS NOT NULL'),
                    sqlite_where=sa.text('event_id IS NOT NULL'))


def downgrade():
    op.drop_index('ix_quiz_event', table_name='quiz')
