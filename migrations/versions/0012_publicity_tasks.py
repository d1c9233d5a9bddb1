"""谁执法谁普法: each unit's publicity tasks for a year

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'publicity_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('event_kinds', sa.JSON(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('exam_sat_percent', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('events >= 0 AND people >= 0', name=op.f('ck_publicity_task_targets')),
        sa.CheckConstraint('exam_sat_percent IS NULL OR exam_sat_percent BETWEEN 0 AND 100',
                           name=op.f('ck_publicity_task_exam_percent')),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_publicity_task_org_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_task')),
        sa.UniqueConstraint('year', 'org_unit_id', name='uq_publicity_task_unit_year'),
    )


def downgrade():
    op.drop_table('publicity_task')
