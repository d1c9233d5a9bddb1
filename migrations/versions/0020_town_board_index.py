"""A town's boards read its units' tally rows

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # A town's rank, count and unit board over a period read the town's units' rows instead
    # of the whole district's period (points.leaderboard); the board's top stays on
    # ix_points_tally_board.
    op.create_index('ix_points_tally_unit', 'points_tally', ['period', 'org_unit_id', 'points'])


def downgrade():
    op.drop_index('ix_points_tally_unit', table_name='points_tally')
