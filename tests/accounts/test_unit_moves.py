"""Moving a unit (accounts.models._set_town): a village moved under another town takes
its whole subtree there, and the people, cadres and events hung on those units follow
(accounts.tenancy); a unit is never put under itself or its own sub-units."""
import pytest
from sqlalchemy import select

from accounts import tenancy
from accounts.models import Cadre, OrgUnit, User
from core.extensions import db


def _village_with_a_group(make):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    village = make.org_unit(name="东湖村", town=east)
    group = make.org_unit(name="东湖村一组", kind="community", parent=village)
    corner = make.org_unit(name="东湖村一组南片", kind="community", parent=group)
    return east, west, village, group, corner


def _ids(model, town_id):
    return set(db.session.scalars(tenancy.scope(select(model.id), model, town_id)))


def test_a_village_moved_to_another_town_takes_its_sub_units_and_their_people(make):
    east, west, village, group, corner = _village_with_a_group(make)
    person, cadre = make.user(org_unit_id=corner.id), make.cadre(org_unit=group)
    village.parent = west
    db.session.flush()
    assert (village.town_id, group.town_id, corner.town_id) == (west.id,) * 3  # the loaded rows are told
    db.session.expire_all()
    towns = dict(db.session.execute(select(OrgUnit.name, OrgUnit.town_id).where(OrgUnit.id.in_([village.id, group.id, corner.id]))).all())
    assert towns == {"东湖村": west.id, "东湖村一组": west.id, "东湖村一组南片": west.id}
    assert person.id in _ids(User, west.id) and person.id not in _ids(User, east.id)
    assert cadre.id in _ids(Cadre, west.id) and cadre.id not in _ids(Cadre, east.id)
    assert east.town_id == east.id  # the towns themselves stay their own


def test_a_move_by_parent_id_retowns_the_subtree_too(make):
    east, west, village, group, corner = _village_with_a_group(make)
    db.session.expire_all()  # nothing loaded: the move is by id alone
    moved = db.session.get(OrgUnit, village.id)
    moved.parent_id = west.id
    db.session.flush()
    db.session.expire_all()
    assert {db.session.get(OrgUnit, u).town_id for u in (village.id, group.id, corner.id)} == {west.id}


def test_a_unit_cannot_go_under_itself_or_its_sub_units(make):
    east, west, village, group, corner = _village_with_a_group(make)
    for move in (lambda: setattr(village, "parent", corner), lambda: setattr(village, "parent_id", village.id)):
        with pytest.raises(ValueError, match="不能把单位“东湖村”移到它自己或它的下级单位之下"):
            with db.session.begin_nested():
                move()
                db.session.flush()
        db.session.expire_all()
    assert db.session.get(OrgUnit, village.id).parent_id == east.id
    assert db.session.get(OrgUnit, corner.id).town_id == east.id


def test_saving_a_unit_without_moving_it_reads_nothing(make, count_queries):
    east, west, village, group, corner = _village_with_a_group(make)
    db.session.expire_all()
    unit = db.session.get(OrgUnit, corner.id)
    unit.name = "东湖村一组北片"
    with count_queries() as statements:
        db.session.flush()
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("UPDATE"), statements
    assert unit.town_id == east.id
