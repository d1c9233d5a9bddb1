"""exam integrity: exam-only questions and categories, the pass score kept with each
attempt, papers drawn ahead

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('category') as batch_op:
        batch_op.add_column(sa.Column('exam_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('question') as batch_op:
        batch_op.add_column(sa.Column('exam_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.add_column(sa.Column('pass_score', sa.Integer(), nullable=True))
    # Attempts already made were judged by the exam's pass score as it stands.
    op.execute("UPDATE exam_attempt SET pass_score = (SELECT exam.pass_score FROM exam WHERE exam.id = exam_attempt.exam_id)")
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.alter_column('pass_score', existing_type=sa.Integer(), nullable=False)
    op.create_table(
        'exam_paper',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('cadre_id', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('drawn_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_exam_paper_exam_id_exam'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], name=op.f('fk_exam_paper_cadre_id_cadre'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_paper')),
        sa.UniqueConstraint('exam_id', 'cadre_id', name='uq_exam_paper_cadre'),
    )
    with op.batch_alter_table('exam_paper') as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_paper_cadre_id'), ['cadre_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exam_paper') as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_paper_cadre_id'))
    op.drop_table('exam_paper')
    with op.batch_alter_table('exam_attempt') as batch_op:
        batch_op.drop_column('pass_score')
    with op.batch_alter_table('question') as batch_op:
        batch_op.drop_column('exam_only')
    with op.batch_alter_table('category') as batch_op:
        batch_op.drop_column('exam_only')
