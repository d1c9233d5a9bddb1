"""Mastery: how well a person, a village and a town know each law, from their review cards."""
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Card, State

from accounts import tenancy
from core.extensions import db
from learning import mastery
from learning.cards import SCHEDULER, retrievability
from learning.models import ReviewCard

NOW = datetime(2026, 11, 30, 2, 0)


def _card(user, question, *, stability=10.0, days_ago=0.0, state=2) -> ReviewCard:
    last = NOW - timedelta(days=days_ago)
    card = ReviewCard(user_id=user.id, question_id=question.id, category_id=question.category_id, state=state, step=None,
                      stability=stability, difficulty=5.0, due=last + timedelta(days=stability), last_review=last)
    db.session.add(card)
    db.session.flush()
    return card


@pytest.mark.parametrize("r, met, expected", [
    (None, 0.0, "未学"), (0.99, 0.05, "入门"), (0.5, 0.9, "入门"), (0.7, 0.3, "熟悉"), (0.84, 0.9, "熟悉"),
    (0.85, 0.6, "掌握"), (0.99, 1.0, "掌握"), (0.9, 0.59, "熟悉"),
])
def test_levels(r, met, expected):
    assert mastery.level(r, met) == expected


def test_retrievability_in_sql_is_fsrs_s(make):
    question = make.questions(1)[0]
    cases = [(2.3, 0), (2.3, 1.5), (10, 3), (10, 30), (40, 200), (0.212, 2.9)]
    for stability, days_ago in cases:
        user = make.user()
        _card(user, question, stability=stability, days_ago=days_ago)
        ours = db.session.scalar(db.select(retrievability(NOW)).where(ReviewCard.user_id == user.id))
        theirs = SCHEDULER.get_card_retrievability(
            Card(card_id=0, state=State.Review, stability=stability, difficulty=5.0,
                 last_review=(NOW - timedelta(days=days_ago)).replace(tzinfo=timezone.utc)),
            NOW.replace(tzinfo=timezone.utc))
        assert ours == pytest.approx(theirs, abs=1e-9), (stability, days_ago)


def test_a_person_s_mastery_by_law(make):
    known, half, untouched = make.category(), make.category(), make.category()
    known_qs, half_qs = make.questions(4, known), make.questions(4, half)
    make.questions(2, untouched)
    user, other = make.user(), make.user()
    for q in known_qs:
        _card(user, q, stability=100, days_ago=1)  # just reviewed, long memory: ~1
    for q in half_qs[:2]:
        _card(user, q, stability=1, days_ago=20)  # long forgotten
    _card(other, half_qs[3], stability=100, days_ago=0)  # someone else's card counts for no one else
    by_law = {row["category"].id: row for row in mastery.of_person(user.id, NOW)}
    assert by_law[known.id]["level"] == "掌握" and by_law[known.id]["met_share"] == 1.0
    assert by_law[known.id]["retrievability"] > 0.99
    assert by_law[half.id]["met_share"] == 0.5 and by_law[half.id]["retrievability"] < 0.7 and by_law[half.id]["level"] == "入门"
    assert by_law[untouched.id] == {**by_law[untouched.id], "met": 0, "retrievability": None, "met_share": 0.0, "level": "未学"}


def test_a_law_kept_for_exams_is_not_listed(make):
    exam_law = make.category(exam_only=True)
    make.questions(2, exam_law)
    user = make.user()
    assert exam_law.id not in {row["category"].id for row in mastery.of_person(user.id, NOW)}


def test_by_village_names_each_village_s_least_known_laws(make):
    east, west = make.org_unit(name="东村"), make.org_unit(name="西村")
    land, water, civil = make.category(name="土地法测"), make.category(name="水法测"), make.category(name="民法测")
    questions = {law: make.questions(2, law) for law in (land, water, civil)}
    east_people = [make.user(org_unit_id=east.id) for _ in range(2)]
    west_people = [make.user(org_unit_id=west.id) for _ in range(4)]
    for person in east_people:
        for law in (land, water):
            for q in questions[law]:
                _card(person, q, stability=100, days_ago=1)
        _card(person, questions[civil][0], stability=1, days_ago=30)
    # In the west, one of four has studied the water law; nobody the rest.
    for q in questions[water]:
        _card(west_people[0], q, stability=100, days_ago=1)
    # A card reviewed before the period is not counted in it.
    _card(west_people[1], questions[land][0], stability=100, days_ago=400)

    start, end = NOW - timedelta(days=300), NOW + timedelta(days=1)
    result = mastery.by_village(start, end, NOW)
    rows = {v["unit"]: v for v in result["villages"]}
    east_row, west_row = rows["东村"], rows["西村"]
    assert east_row["people"] == 2 and west_row["people"] == 4
    assert east_row["cells"][land.id]["level"] == "掌握" and east_row["cells"][land.id]["coverage"] == 1.0
    assert east_row["cells"][civil.id]["met_share"] == 0.5 and east_row["cells"][civil.id]["level"] == "入门"
    assert east_row["weakest"][0] == "民法测"
    assert west_row["cells"][water.id]["learners"] == 1 and west_row["cells"][water.id]["coverage"] == 0.25
    assert land.id not in west_row["cells"]
    assert west_row["weakest"] == ["土地法测", "民法测", "水法测"]


def test_statements_do_not_grow_with_cards(make, count_queries):
    law = make.category()
    questions = make.questions(30, law)
    unit = make.org_unit()

    def measure(people: int) -> tuple[int, int]:
        users = [make.user(org_unit_id=unit.id) for _ in range(people)]
        for user in users:
            for q in questions[:people]:
                _card(user, q, days_ago=3)
        with count_queries() as person_sql:
            mastery.of_person(users[0].id, NOW)
        with count_queries() as village_sql:
            mastery.by_village(NOW - timedelta(days=30), NOW, NOW)
        return len(person_sql), len(village_sql)

    assert measure(2) == measure(20)


def test_the_api_answers_per_law(api, make):
    law = make.category()
    question = make.question(law)
    me = api.as_user(user := make.user())
    _card(user, question, days_ago=0)
    rows = {row["category"]["id"]: row for row in me.get("/me/mastery").get_json()}
    assert rows[law.id]["met_share"] == 1.0 and rows[law.id]["level"] in mastery.LEVEL_NAMES
    assert set(rows[law.id]) == {"category", "retrievability", "met_share", "level"}


def _district(make) -> dict:
    """甲镇 (甲一村 2 people, 甲二村 1, its 司法所 1 who studied nothing), 乙镇 (乙村 2),
    丙镇 (nobody), and a person who chose no unit; 土地 and 水 with two questions each.

    甲镇 土地: 甲一村's p1 both at 90 %, 甲二村's p3 one at 100 % → 2 learners of 4 people, 3 cards,
               r 2.8 / 3, met 3 / 4 → 93.3 % × 75 % × 50 % = 35 %, 掌握;
         水:   p2 one at 90 % → 90 % × 50 % × 25 % = 11.25 %, 熟悉.
    乙镇 水:   q1 both at 100 % → 100 % × 100 % × 50 %, 掌握; 土地 nobody.
    未填写 土地: one at 100 % → 100 % × 50 % × 100 %."""
    jia, yi, bing = make.town(name="甲镇"), make.town(name="乙镇"), make.town(name="丙镇")
    jia1, jia2 = make.org_unit(name="甲一村", town=jia), make.org_unit(name="甲二村", town=jia)
    dept = make.org_unit(name="甲镇司法所", kind="department", town=jia)
    yi1 = make.org_unit(name="乙村", town=yi)
    land, water = make.category(name="土地测"), make.category(name="水测")
    (l1, l2), (w1, w2) = make.questions(2, land), make.questions(2, water)
    p1, p2, p3 = make.user(org_unit_id=jia1.id), make.user(org_unit_id=jia1.id), make.user(org_unit_id=jia2.id)
    make.user(org_unit_id=dept.id)
    q1 = make.user(org_unit_id=yi1.id)
    make.user(org_unit_id=yi1.id)
    nobody = make.user()
    _card(p1, l1, stability=10, days_ago=10), _card(p1, l2, stability=10, days_ago=10), _card(p3, l1, days_ago=0)
    _card(p2, w1, stability=10, days_ago=10)
    _card(q1, w1, days_ago=0), _card(q1, w2, days_ago=0)
    _card(nobody, l1, days_ago=0)
    _card(p2, l1, days_ago=400)  # before the period: not counted
    return {"jia": jia, "yi": yi, "bing": bing, "land": land, "water": water}


PERIOD = (NOW - timedelta(days=300), NOW + timedelta(days=1))


def test_by_town_counts_a_town_from_its_people_as_a_village_from_its(make):
    d = _district(make)
    land, water = d["land"].id, d["water"].id
    result = mastery.by_town(*PERIOD, NOW)
    assert [t["unit"] for t in result["towns"]] == [t.name for t in tenancy.towns()] + ["未填写"]
    towns = {t["unit"]: t for t in result["towns"]}
    jia, yi, bing, nobody = towns["甲镇"], towns["乙镇"], towns["丙镇"], towns["未填写"]
    assert (jia["unit_id"], jia["people"], yi["people"], bing["people"], nobody["unit_id"], nobody["people"]) == (
        d["jia"].id, 4, 2, 0, None, 1)
    cell = jia["cells"][land]
    assert (cell["learners"], cell["cards"], cell["met_share"], cell["coverage"], cell["level"]) == (2, 3, 0.75, 0.5, "掌握")
    assert cell["retrievability"] == pytest.approx(0.933, abs=0.001) and cell["score"] == pytest.approx(0.35, abs=0.0005)
    cell = jia["cells"][water]
    assert (cell["learners"], cell["met_share"], cell["coverage"], cell["level"]) == (1, 0.5, 0.25, "熟悉")
    assert cell["score"] == pytest.approx(0.1125, abs=0.0005)
    assert jia["weakest"] == ["水测", "土地测"] and yi["weakest"] == ["土地测", "水测"]
    assert yi["cells"][water]["score"] == 0.5 and yi["cells"][water]["level"] == "掌握" and land not in yi["cells"]
    assert bing["cells"] == {} and nobody["cells"][land]["coverage"] == 1.0
    # A town's learners and cards are its villages' (its own units' people, no one else's).
    for town in (d["jia"], d["yi"]):
        villages = mastery.by_village(*PERIOD, NOW, town.id)["villages"]
        for law in (land, water):
            mine = towns[town.name]["cells"].get(law, {"learners": 0, "cards": 0})
            assert (mine["learners"], mine["cards"]) == (
                sum(v["cells"][law]["learners"] for v in villages if law in v["cells"]),
                sum(v["cells"][law]["cards"] for v in villages if law in v["cells"]))
        assert towns[town.name]["people"] == sum(v["people"] for v in villages)


def test_the_district_of_several_towns_is_shown_by_town_and_a_town_by_village(make):
    d = _district(make)
    assert "towns" in mastery.of_scope(*PERIOD, NOW) and "villages" not in mastery.of_scope(*PERIOD, NOW)
    villages = mastery.of_scope(*PERIOD, NOW, d["jia"].id)["villages"]
    assert {v["unit"] for v in villages} == {"甲一村", "甲二村", "甲镇司法所"}


def test_a_township_s_district_stays_by_village(make):
    make.user(org_unit_id=make.org_unit(name="东村").id)
    result = mastery.of_scope(*PERIOD, NOW)
    assert "towns" not in result and [v["unit"] for v in result["villages"]] == ["东村"]


def test_the_district_by_town_costs_one_statement_more_at_most(make, count_queries):
    d = _district(make)
    with count_queries() as village_sql:
        mastery.by_village(*PERIOD, NOW)
    with count_queries() as town_sql:
        mastery.of_scope(*PERIOD, NOW)
    assert len(town_sql) <= len(village_sql) + 1
    more = make.town(name="丁镇")
    for _ in range(5):
        person = make.user(org_unit_id=make.org_unit(town=more).id)
        _card(person, make.question(d["water"]), days_ago=1)
    with count_queries() as again:
        mastery.of_scope(*PERIOD, NOW)
    assert len(again) == len(town_sql)
