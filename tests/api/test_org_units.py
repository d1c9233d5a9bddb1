"""GET /org-units: the units a person picks theirs from, all of them or town by town."""
import pytest


def _district(make, villages: int = 2):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    for n in range(villages):
        make.org_unit(name=f"东湖{n}村", town=east)
        make.org_unit(name=f"西岭{n}村", town=west)
    make.org_unit(name="西岭司法所", kind="department", town=west)
    return east, west


def _names(client, query: str = "") -> set[str]:
    response = client.get(f"/org-units{query}")
    assert response.status_code == 200
    return {row["name"] for row in response.get_json()}


def test_everyone_gets_every_unit_unless_they_ask_for_one_town(api, make):
    """A new resident has no unit yet, and people move: the list is the district's. Asked,
    it is the towns, or one town's units (the town's own included)."""
    east, west = _district(make)
    for person in (make.user(), make.user(org_unit_id=make.org_unit(name="东湖新村", town=east).id)):
        me = api.as_user(person)
        assert {"东湖镇", "东湖0村", "西岭镇", "西岭1村", "西岭司法所"} <= _names(me)
        assert _names(me, "?kind=town") >= {"东湖镇", "西岭镇"} and "东湖0村" not in _names(me, "?kind=town")
        assert _names(me, f"?town_id={west.id}") == {"西岭镇", "西岭0村", "西岭1村", "西岭司法所"}
        assert _names(me, f"?town_id={west.id}&kind=department") == {"西岭司法所"}
    rows = api.as_user(make.user()).get(f"/org-units?town_id={east.id}").get_json()
    assert {(row["kind"], row["parent_id"], row["town_id"]) for row in rows if row["name"] == "东湖0村"} == {("village", east.id, east.id)}


@pytest.mark.parametrize("query", ["?town_id=abc", "?town_id=0", "?kind=city"])
def test_a_bad_filter_is_refused_in_the_contracts_format(api, make, query):
    response = api.as_user(make.user()).get(f"/org-units{query}")
    assert response.status_code == 422 and response.get_json()["code"] == "validation_error"


def test_one_statement_however_many_units(api, make, count_queries):
    counts = []
    for villages in (1, 30):
        me = api.as_user(make.user())
        east, _ = _district(make, villages)
        with count_queries() as sql:
            me.get("/org-units")
            me.get(f"/org-units?town_id={east.id}")
        counts.append(len(sql))
    assert counts[0] == counts[1]
