"""events, check-ins, photos, on-site quizzes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:38:01.706367

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('checkin_opens_at', sa.DateTime(), nullable=False),
    sa.Column('checkin_closes_at', sa.DateTime(), nullable=False),
    sa.Column('location_name', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('radius_m', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('quiz_category_id', sa.Integer(), nullable=True),
    sa.Column('quiz_size', sa.Integer(), nullable=False),
    sa.Column('quiz_points_each', sa.Integer(), nullable=False),
    sa.Column('token_seconds', sa.Integer(), nullable=False),
    sa.Column('checkin_count', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('constitution_day', 'antidrug_day', 'land_day', 'water_week', 'lecture', 'outreach', 'school', 'other')", name=op.f('ck_event_kind')),
    sa.CheckConstraint('ends_at > starts_at AND checkin_closes_at > checkin_opens_at', name=op.f('ck_event_times')),
    sa.CheckConstraint('latitude IS NULL OR latitude BETWEEN -90 AND 90', name=op.f('ck_event_latitude')),
    sa.CheckConstraint('longitude IS NULL OR longitude BETWEEN -180 AND 180', name=op.f('ck_event_longitude')),
    sa.CheckConstraint('points >= 0 AND quiz_points_each >= 0 AND quiz_size BETWEEN 1 AND 20', name=op.f('ck_event_numbers')),
    sa.CheckConstraint('radius_m IS NULL OR radius_m > 0', name=op.f('ck_event_radius')),
    sa.CheckConstraint('token_seconds BETWEEN 10 AND 600', name=op.f('ck_event_token_seconds')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_event_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['quiz_category_id'], ['category.id'], name=op.f('fk_event_quiz_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_starts_at'), ['starts_at'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('accuracy_m', sa.Double(), nullable=True),
    sa.Column('distance_m', sa.Double(), nullable=True),
    sa.Column('points_awarded', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_checkin_event_id_event')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_checkin_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin')),
    sa.UniqueConstraint('event_id', 'user_id', name='uq_checkin_event_user')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_user_id'), ['user_id'], unique=False)

    op.create_table('event_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=20), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_admin_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_photo_event_id_event')),
    sa.ForeignKeyConstraint(['uploaded_by_admin_id'], ['admin_user.id'], name=op.f('fk_event_photo_uploaded_by_admin_id_admin_user')),
    sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['app_user.id'], name=op.f('fk_event_photo_uploaded_by_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_photo')),
    sa.UniqueConstraint('event_id', 'sha256', name='uq_event_photo_file')
    )
    with op.batch_alter_table('event_photo', schema=None) as batch_op:
        batch_op.create_index('ix_event_photo_event', ['event_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_photo_sha256'), ['sha256'], unique=False)

    with op.batch_alter_table('quiz', schema=None) as batch_op:
        # On-site quizzes are a fourth mode.
        batch_op.drop_constraint(op.f('ck_quiz_mode'), type_='check')
        batch_op.create_check_constraint('mode', "mode IN ('daily', 'practice', 'challenge', 'event')")
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('points_each', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_quiz_user_event', ['user_id', 'event_id'])
        batch_op.create_foreign_key(batch_op.f('fk_quiz_event_id_event'), 'event', ['event_id'], ['id'])



def downgrade():
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quiz_event_id_event'), type_='foreignkey')
        batch_op.drop_constraint('uq_quiz_user_event', type_='unique')
        batch_op.drop_column('points_each')
        batch_op.drop_column('closes_at')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_photo_sha256'))
        batch_op.drop_index('ix_event_photo_event')

    op.drop_table('event_photo')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_user_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_starts_at'))
        batch_op.drop_index(batch_op.f('ix_event_org_unit_id'))

    op.drop_table('event')
