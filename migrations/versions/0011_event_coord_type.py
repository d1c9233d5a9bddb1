"""the datum of an event's coordinates (wgs84 or gcj02)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 14:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Events already set up are wgs84: what check-ins were compared against so far.
    with op.batch_alter_table('event') as batch_op:
        batch_op.add_column(sa.Column('coord_type', sa.String(length=5), server_default='wgs84', nullable=False))
        batch_op.create_check_constraint('coord_type', "coord_type IN ('wgs84', 'gcj02')")


def downgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.drop_constraint(op.f('ck_event_coord_type'), type_='check')
        batch_op.drop_column('coord_type')
