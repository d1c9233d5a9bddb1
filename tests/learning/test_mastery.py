"""Mastery: how well a person, and a village, know each law, from their review cards."""
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Card, State

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
