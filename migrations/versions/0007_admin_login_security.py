"""admin accounts: TOTP second step and a session epoch

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_user') as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('admin_user') as batch_op:
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
