"""Year tallies ('y2026') filled from the month tallies; the questions a quiz may serve counted from an index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 18:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # A year's points are the sum of its month rows ('m2026-11' -> 'y2026'); the unit is the
    # person's, as the ledger copies it. Year rows written already (by the new code started
    # before this ran) are counted in the months too, so they are replaced, not added to.
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM points_tally WHERE period LIKE 'y%'"))
    conn.execute(sa.text(
        "INSERT INTO points_tally (user_id, period, org_unit_id, points) "
        "SELECT t.user_id, 'y' || substr(t.period, 2, 4), u.org_unit_id, sum(t.points) "
        "FROM points_tally t JOIN app_user u ON u.id = t.user_id "
        "WHERE t.period LIKE 'm%' "
        "GROUP BY t.user_id, substr(t.period, 2, 4), u.org_unit_id"))
    if conn.dialect.name == "postgresql":
        # A district adds ~430,000 rows here: without fresh statistics the planner takes the
        # year's board for one row and joins every town's entry before its top 50 (0.6 s, not 9 ms).
        conn.execute(sa.text("ANALYZE points_tally"))

    with op.batch_alter_table('question') as batch_op:
        batch_op.create_index('ix_question_served', ['status', 'exam_only', 'category_id'], unique=False)


def downgrade():
    with op.batch_alter_table('question') as batch_op:
        batch_op.drop_index('ix_question_served')
    op.get_bind().execute(sa.text("DELETE FROM points_tally WHERE period LIKE 'y%'"))
