"""rewards and redemptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:16:37.269902

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reward',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=True),
    sa.Column('image_mime', sa.String(length=20), nullable=True),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('per_user_limit', sa.Integer(), nullable=True),
    sa.Column('limit_period', sa.String(length=10), nullable=False),
    sa.Column('offered_from', sa.DateTime(), nullable=True),
    sa.Column('offered_until', sa.DateTime(), nullable=True),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("limit_period IN ('month', 'all')", name=op.f('ck_reward_limit_period')),
    sa.CheckConstraint('cost > 0', name=op.f('ck_reward_cost')),
    sa.CheckConstraint('per_user_limit IS NULL OR per_user_limit > 0', name=op.f('ck_reward_per_user_limit')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_reward_stock_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward'))
    )
    op.create_table('redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pickup_code', sa.String(length=16), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=True),
    sa.Column('handed_over_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'handed_over', 'cancelled', 'expired')", name=op.f('ck_redemption_status')),
    sa.ForeignKeyConstraint(['handed_over_by'], ['admin_user.id'], name=op.f('fk_redemption_handed_over_by_admin_user')),
    sa.ForeignKeyConstraint(['reward_id'], ['reward.id'], name=op.f('fk_redemption_reward_id_reward')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_redemption_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption')),
    sa.UniqueConstraint('pickup_code', name=op.f('uq_redemption_pickup_code'))
    )
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.create_index('ix_redemption_limit', ['user_id', 'reward_id', 'month'], unique=False)
        batch_op.create_index('ix_redemption_pending', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_redemption_user', ['user_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index('ix_redemption_user')
        batch_op.drop_index('ix_redemption_pending')
        batch_op.drop_index('ix_redemption_limit')

    op.drop_table('redemption')
    op.drop_table('reward')
