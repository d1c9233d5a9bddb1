"""the paper kept with each attempt: starting copies one row, not one per question

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:40:00

"""
import json

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.add_column(sa.Column('paper', sa.JSON(), nullable=True))
    # Attempts made so far have a row for every question of their paper.
    conn = op.get_bind()
    papers = {}
    for attempt_id, question_id, points, order in conn.execute(sa.text(
            "SELECT attempt_id, question_id, points, option_order FROM attempt_item ORDER BY attempt_id, position")):
        if isinstance(order, str):  # SQLite hands JSON back as text here
            order = json.loads(order)
        papers.setdefault(attempt_id, []).append([question_id, points, order])
    attempt = sa.table('exam_attempt', sa.column('id', sa.Integer), sa.column('paper', sa.JSON))
    for attempt_id, paper in papers.items():
        conn.execute(attempt.update().where(attempt.c.id == attempt_id).values(paper=paper))
    conn.execute(attempt.update().where(attempt.c.paper.is_(None)).values(paper=[]))
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.alter_column('paper', existing_type=sa.JSON(), nullable=False)


def downgrade():
    # The rows of questions never answered in attempts still in progress come back.
    conn = op.get_bind()
    item = sa.table('attempt_item', *(sa.column(c) for c in ('attempt_id', 'question_id', 'position', 'points')),
                    sa.column('option_order', sa.JSON))
    for attempt_id, paper in conn.execute(sa.text("SELECT id, paper FROM exam_attempt WHERE status = 'in_progress'")):
        paper = json.loads(paper) if isinstance(paper, str) else paper
        have = set(conn.execute(sa.text("SELECT question_id FROM attempt_item WHERE attempt_id = :a"), {"a": attempt_id}).scalars())
        rows = [{"attempt_id": attempt_id, "question_id": q, "position": i, "points": p, "option_order": o}
                for i, (q, p, o) in enumerate(paper) if q not in have]
        if rows:
            conn.execute(item.insert(), rows)
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.drop_column('paper')
