"""points tallies and daily earnings cheaper to write

One leaderboard index instead of two (a paid answer moves three tally rows in every
index that holds their points), and on SQLite both tables WITHOUT ROWID, so that a
row is written in its primary key's b-tree only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _recreate(with_rowid: bool) -> dict:
    # SQLite can change a table's storage only by copying it into a new table.
    if op.get_bind().dialect.name == "sqlite":
        return {"recreate": "always", "table_kwargs": {"sqlite_with_rowid": with_rowid}}
    return {}


def upgrade():
    with op.batch_alter_table('points_tally', **_recreate(False)) as batch_op:
        batch_op.drop_index('ix_points_tally_unit_board')
        batch_op.drop_index('ix_points_tally_board')
        batch_op.create_index('ix_points_tally_board', ['period', 'points', 'org_unit_id'], unique=False)
    with op.batch_alter_table('points_daily', **_recreate(False)):
        pass


def downgrade():
    with op.batch_alter_table('points_daily', **_recreate(True)):
        pass
    with op.batch_alter_table('points_tally', **_recreate(True)) as batch_op:
        batch_op.drop_index('ix_points_tally_board')
        batch_op.create_index('ix_points_tally_board', ['period', 'points'], unique=False)
        batch_op.create_index('ix_points_tally_unit_board', ['period', 'org_unit_id', 'points'], unique=False)
