"""Subscription messages: each person's credits per template, and the reminders sent

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 13:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'subscription_credit',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('template', sa.String(length=40), nullable=False),
        sa.Column('credits', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('credits >= 0', name=op.f('ck_subscription_credit_credits_not_negative')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_subscription_credit_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', 'template', name=op.f('pk_subscription_credit')),
    )
    op.create_table(
        'reminder',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('errcode', sa.Integer(), nullable=True),
        sa.Column('errmsg', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tried_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f('ck_reminder_status')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_reminder_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', 'reason', 'subject_id', name=op.f('pk_reminder')),
    )


def downgrade():
    op.drop_table('reminder')
    op.drop_table('subscription_credit')
