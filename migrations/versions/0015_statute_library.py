"""法规库: laws, their imported versions and articles; questions may await recheck (待复核)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 16:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'statute',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('current_version_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statute')),
        sa.UniqueConstraint('name', name=op.f('uq_statute_name')),
    )
    op.create_table(
        'statute_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statute_id', sa.Integer(), nullable=False),
        sa.Column('version_date', sa.Date(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=True),
        sa.Column('article_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['admin_id'], ['admin_user.id'], name=op.f('fk_statute_version_admin_id_admin_user')),
        sa.ForeignKeyConstraint(['statute_id'], ['statute.id'], name=op.f('fk_statute_version_statute_id_statute')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statute_version')),
        sa.UniqueConstraint('statute_id', 'version_date', name='uq_statute_version_date'),
    )
    # The law points at its current version, which points back at the law: added last.
    with op.batch_alter_table('statute') as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_statute_current_version_id_statute_version'), 'statute_version',
                                    ['current_version_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'statute_article',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('sub', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=40), nullable=False),
        sa.Column('part', sa.String(length=100), nullable=False),
        sa.Column('subpart', sa.String(length=100), nullable=False),
        sa.Column('chapter', sa.String(length=100), nullable=False),
        sa.Column('section', sa.String(length=100), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['statute_version.id'], name=op.f('fk_statute_article_version_id_statute_version'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statute_article')),
        sa.UniqueConstraint('version_id', 'number', 'sub', name='uq_statute_article_number'),
    )
    with op.batch_alter_table('question') as batch_op:
        batch_op.drop_constraint(op.f('ck_question_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('active', 'retired', 'pending', 'recheck')")


def downgrade():
    # A question awaiting recheck was served before: it is served again.
    op.execute("UPDATE question SET status = 'active', review_note = NULL WHERE status = 'recheck'")
    with op.batch_alter_table('question') as batch_op:
        batch_op.drop_constraint(op.f('ck_question_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('active', 'retired', 'pending')")
    op.drop_table('statute_article')
    with op.batch_alter_table('statute') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_statute_current_version_id_statute_version'), type_='foreignkey')
    op.drop_table('statute_version')
    op.drop_table('statute')
