"""questions awaiting review (imported without a well-formed citation) and the history
of imports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'question_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('fmt', sa.String(length=10), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('pending', sa.Integer(), nullable=False),
        sa.Column('existing', sa.Integer(), nullable=False),
        sa.Column('refused', sa.Integer(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['admin_id'], ['admin_user.id'], name=op.f('fk_question_import_admin_id_admin_user')),
        sa.ForeignKeyConstraint(['undone_by'], ['admin_user.id'], name=op.f('fk_question_import_undone_by_admin_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_import')),
    )
    with op.batch_alter_table('question') as batch_op:
        batch_op.add_column(sa.Column('review_note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_question_import_id_question_import'), 'question_import', ['import_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_question_import_id'), ['import_id'], unique=False)
        batch_op.drop_constraint(op.f('ck_question_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('active', 'retired', 'pending')")


def downgrade():
    op.execute("DELETE FROM question WHERE status = 'pending'")
    with op.batch_alter_table('question') as batch_op:
        batch_op.drop_constraint(op.f('ck_question_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('active', 'retired')")
        batch_op.drop_index(batch_op.f('ix_question_import_id'))
        batch_op.drop_constraint(batch_op.f('fk_question_import_id_question_import'), type_='foreignkey')
        batch_op.drop_column('import_id')
        batch_op.drop_column('review_note')
    op.drop_table('question_import')
