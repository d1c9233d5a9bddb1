"""Personal information: a deleted (注销) account's time, and a check-in's location reduced to in or out of range

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 17:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_user_deleted_at'), ['deleted_at'], unique=False)
    with op.batch_alter_table('checkin') as batch_op:
        batch_op.add_column(sa.Column('in_range', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('checkin') as batch_op:
        batch_op.drop_column('in_range')
    with op.batch_alter_table('app_user') as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_deleted_at'))
        batch_op.drop_column('deleted_at')
