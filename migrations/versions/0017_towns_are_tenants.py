"""Towns are tenants: each org unit's town, admin accounts of a town or the district, rewards of a town

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 16:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _towns_of_units(conn) -> dict[int, int]:
    """{unit id: its town's id}, by the rules of accounts.tenancy: up the tree to the
    first town. A unit under no town is attached to the town when there is exactly one;
    otherwise the upgrade stops and names the units to fix (which of several towns holds
    them is not ours to guess)."""
    units = {i: (kind, parent) for i, kind, parent in conn.execute(sa.text("SELECT id, kind, parent_id FROM org_unit"))}
    towns = [i for i, (kind, _) in units.items() if kind == 'town']

    def town_of(unit_id):
        seen = set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            kind, parent = units[unit_id]
            if kind == 'town':
                return unit_id
            unit_id = parent
        return None

    found, orphans = {}, []
    for unit_id, (_, parent) in units.items():
        town = town_of(unit_id)
        if town is None and len(towns) == 1:
            town = towns[0]
            if parent is None:
                conn.execute(sa.text("UPDATE org_unit SET parent_id = :town WHERE id = :id"), {"town": town, "id": unit_id})
        if town is None:
            orphans.append(unit_id)
        found[unit_id] = town
    if orphans:
        raise RuntimeError(
            f"org_unit rows {sorted(orphans)[:20]} belong to no town and there are {len(towns)} towns: set each one's "
            "parent_id to its town (an org_unit of kind 'town'), then run the upgrade again.")
    return found


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table('org_unit') as batch_op:
        batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
    for unit_id, town_id in _towns_of_units(conn).items():
        conn.execute(sa.text("UPDATE org_unit SET town_id = :town WHERE id = :id"), {"town": town_id, "id": unit_id})
    with op.batch_alter_table('org_unit') as batch_op:
        batch_op.alter_column('town_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_org_unit_town_id'), ['town_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_org_unit_town_id_org_unit'), 'org_unit', ['town_id'], ['id'])

    # A township's existing accounts and rewards are its town's; with several towns (or
    # none) they stay the district's.
    towns = conn.execute(sa.text("SELECT id FROM org_unit WHERE kind = 'town'")).scalars().all()
    for table in ('admin_user', 'reward'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_town_id'), ['town_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_town_id_org_unit'), 'org_unit', ['town_id'], ['id'])
        if len(towns) == 1:
            conn.execute(sa.text(f"UPDATE {table} SET town_id = :town"), {"town": towns[0]})


def downgrade():
    for table in ('reward', 'admin_user', 'org_unit'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_town_id_org_unit'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_town_id'))
            batch_op.drop_column('town_id')
