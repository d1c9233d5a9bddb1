"""The year's figures as last counted (reports.snapshots): counted once, kept, recounted
by `flask figures refresh`, and read back as they were counted."""
import json
from datetime import date

import pytest
from sqlalchemy import select

from accounts import privacy
from core.extensions import db
from learning import mastery
from learning.models import ReviewCard
from reports import kept, snapshots
from reports.figures import year_bounds
from reports.models import FigureSnapshot
from tests.api.test_races import _race
from tests.reports.town import answers, at


def test_a_year_is_counted_at_its_first_view_and_kept_until_recounted(make):
    person, q, r = make.user(), make.question(), make.question()
    answers(person, "daily", at(2025, 3, 2, 10, 0), [(q, True), (r, False)])
    first = snapshots.counted("figures", 2025)
    assert first.data["learning"]["answers"] == 2
    answers(person, "practice", at(2025, 3, 3, 10, 0), [(q, True)])
    db.session.flush()
    kept = snapshots.counted("figures", 2025)
    assert kept.data["learning"]["answers"] == 2 and kept.counted_at == first.counted_at
    recounted = snapshots.count("figures", 2025, now=at(2025, 12, 1, 0, 0))
    assert recounted.data["learning"]["answers"] == 3
    assert snapshots.counted("figures", 2025).data["learning"]["answers"] == 3
    assert db.session.scalar(select(db.func.count()).select_from(FigureSnapshot)) == 1


def test_figures_come_back_as_counted_with_their_dates(make):
    person, q = make.user(), make.question()
    answers(person, "daily", at(2025, 3, 2, 10, 0), [(q, True)])
    data = snapshots.count("figures", 2025, now=at(2025, 6, 30, 12, 0)).data
    assert data["as_of"] == date(2025, 6, 30) and data["complete"] is False
    weeks = snapshots.counted("glance", 2025).data["weeks"]
    assert weeks[0]["starts"] == date(2025, 1, 1)


def test_a_towns_figures_are_its_own(make):
    town_a, town_b = make.town(name="甲镇"), make.town(name="乙镇")
    a = make.user(org_unit_id=make.org_unit(town=town_a).id)
    b = make.user(org_unit_id=make.org_unit(town=town_b).id)
    q = [make.question() for _ in range(3)]
    answers(a, "daily", at(2025, 3, 2, 10, 0), [(q[0], True)])
    answers(b, "daily", at(2025, 3, 2, 10, 0), [(q[0], True), (q[1], True), (q[2], False)])
    assert snapshots.counted("figures", 2025, town_a.id).data["learning"]["answers"] == 1
    assert snapshots.counted("figures", 2025, town_b.id).data["learning"]["answers"] == 3
    assert snapshots.counted("figures", 2025).data["learning"]["answers"] == 4
    by_town = {t["town"]: t["answers"] for t in snapshots.counted("by_town", 2025).data["towns"]}
    assert by_town == {"甲镇": 1, "乙镇": 3}


def test_a_count_of_an_older_shape_is_never_read_and_the_refresh_deletes_it(make, monkeypatch):
    person, q = make.user(), make.question()
    answers(person, "daily", at(2025, 3, 2, 10, 0), [(q, True)])
    snapshots.count("figures", 2025, now=at(2025, 6, 1, 0, 0))
    monkeypatch.setattr(kept, "SHAPE", kept.SHAPE + 1)  # an upgrade changed what is kept
    answers(person, "practice", at(2025, 3, 3, 10, 0), [(make.question(), True)])
    db.session.flush()
    assert snapshots.counted("figures", 2025).data["learning"]["answers"] == 2  # counted afresh
    snapshots.refresh(at(2025, 6, 2, 0, 0), echo=lambda line: None)
    kinds = set(db.session.scalars(select(FigureSnapshot.kind)))
    assert kinds == {f"{k}/{kept.SHAPE}" for k in snapshots.KINDS}


def test_mastery_comes_back_in_by_villages_shape(make):
    unit = make.org_unit(name="东村")
    person = make.user(org_unit_id=unit.id)
    q = make.question()
    db.session.add(ReviewCard(user_id=person.id, question_id=q.id, category_id=q.category_id, state=2, step=None,
                              stability=30.0, difficulty=5.0, due=at(2025, 5, 1, 0, 0), last_review=at(2025, 3, 1, 0, 0)))
    db.session.flush()
    snapshots.count("mastery", 2025, now=at(2025, 3, 2, 0, 0))
    kept = snapshots.mastery_of(2025, None)
    law = next(law for law in kept["laws"] if law.id == q.category_id)
    village = next(v for v in kept["villages"] if v["unit"] == "东村")
    assert law.name == q.category.name and village["cells"][q.category_id]["learners"] == 1


def _two_towns_studying(make):
    """甲镇 and 乙镇, a village each, the village of 甲镇 having studied one law in March 2025."""
    town_a, town_b = make.town(name="甲镇"), make.town(name="乙镇")
    person = make.user(org_unit_id=make.org_unit(name="甲村", town=town_a).id)
    make.user(org_unit_id=make.org_unit(name="乙村", town=town_b).id)
    q = make.question()
    db.session.add(ReviewCard(user_id=person.id, question_id=q.id, category_id=q.category_id, state=2, step=None,
                              stability=30.0, difficulty=5.0, due=at(2025, 5, 1, 0, 0), last_review=at(2025, 3, 1, 0, 0)))
    db.session.flush()
    return town_a, town_b, q


def test_the_district_s_mastery_is_its_towns_and_comes_back_in_by_towns_shape(make):
    town_a, town_b, q = _two_towns_studying(make)
    now = at(2025, 3, 2, 0, 0)
    snapshots.count("mastery", 2025, now=now)
    kept = snapshots.mastery_of(2025, None)
    assert "villages" not in kept and kept["counted_at"] == now
    fresh = mastery.by_town(*year_bounds(2025), now)
    assert [(law.id, law.name) for law in kept["laws"]] == [(law.id, law.name) for law in fresh["laws"]]
    assert kept["towns"] == fresh["towns"]  # the cells' law ids come back as integers
    assert kept["towns"][[t["unit"] for t in kept["towns"]].index("甲镇")]["cells"][q.category_id]["learners"] == 1
    # A town's count stays its villages.
    snapshots.count("mastery", 2025, town_a.id, now=now)
    assert [v["unit"] for v in snapshots.mastery_of(2025, town_a.id)["villages"]] == ["甲村"]


def test_a_district_mastery_kept_village_by_village_is_counted_again_by_town(make):
    """A count kept before the district was shown town by town (by an app whose kinds
    carried no SHAPE) is never read: it is counted again, by town."""
    _two_towns_studying(make)
    villages = {"laws": [], "villages": [{"unit_id": None, "unit": "未填写", "people": 0, "cells": {}, "weakest": []}]}
    db.session.add(FigureSnapshot(kind="mastery", year=2024, scope=snapshots.DISTRICT, counted_at=at(2025, 1, 2, 0, 0),
                                  data=json.dumps(villages)))
    db.session.flush()
    kept = snapshots.mastery_of(2024, None)
    assert "villages" not in kept and sorted(t["unit"] for t in kept["towns"]) == ["乙镇", "甲镇"]
    assert "towns" in snapshots.counted("mastery", 2024).data


def test_a_district_counted_with_one_town_is_shown_as_counted_until_the_refresh(make):
    """The district's mastery comes back in the shape it was counted in: village by village
    while it had one town; once it has several, the refresh counts it town by town (as it
    adds a new town to by_town)."""
    town_a = make.town(name="甲镇")
    person = make.user(org_unit_id=make.org_unit(name="甲村", town=town_a).id)
    q = make.question()
    db.session.add(ReviewCard(user_id=person.id, question_id=q.id, category_id=q.category_id, state=2, step=None,
                              stability=30.0, difficulty=5.0, due=at(2025, 5, 1, 0, 0), last_review=at(2025, 3, 1, 0, 0)))
    db.session.flush()
    then = at(2025, 3, 2, 0, 0)
    snapshots.count("mastery", 2025, now=then)
    make.town(name="乙镇")
    kept = snapshots.mastery_of(2025, None)
    assert [v["unit"] for v in kept["villages"]] == ["甲村"] and kept["counted_at"] == then
    snapshots.refresh(at(2025, 3, 3, 0, 0), echo=lambda line: None)
    towns = snapshots.mastery_of(2025, None)["towns"]
    assert [t["unit"] for t in towns] == ["乙镇", "甲镇"] and towns[1]["cells"][q.category_id]["learners"] == 1


def test_a_deletion_drops_every_count_naming_the_person_and_keeps_the_others(make):
    """The books' audit names a person whose balance is not their ledger: every count of
    theirs goes with their account, of any year and of the town they left too; a count
    that never named them stays as counted."""
    town_a, town_b, town_c = make.town(name="甲镇"), make.town(name="乙镇"), make.town(name="丙镇")
    leaving = make.user(org_unit_id=make.org_unit(town=town_a).id, real_name="钱七", points_balance=5)
    make.user(org_unit_id=make.org_unit(town=town_c).id, real_name="孙八", points_balance=3)
    then = at(2025, 6, 1, 0, 0)
    for year in (2024, 2025):
        snapshots.count("books", year, now=then)
    snapshots.count("books", 2025, town_a.id, now=then)
    leaving.org_unit_id = make.org_unit(town=town_b).id  # moved to 乙镇
    db.session.flush()
    for town in (town_b, town_c):
        snapshots.count("books", 2025, town.id, now=then)
    snapshots.count("figures", 2025, now=then)

    privacy.delete_account(leaving.id)
    left = set(db.session.execute(select(FigureSnapshot.kind, FigureSnapshot.year, FigureSnapshot.scope)))
    assert left == {(f"figures/{kept.SHAPE}", 2025, snapshots.DISTRICT), (f"books/{kept.SHAPE}", 2025, town_c.id)}
    assert snapshots.counted("books", 2025, town_c.id).counted_at == then
    named = {d["name"] for d in snapshots.counted("books", 2025).data["differences"]}
    assert named == {"孙八", privacy.DELETED_NICKNAME}


def test_refresh_recounts_this_year_and_a_past_year_until_its_late_entries_are_in(app, make):
    make.town(name="甲镇")
    snapshots.count("figures", 2024, now=at(2024, 12, 20, 0, 0))  # counted before 2024 was over
    snapshots.count("figures", 2023, now=at(2024, 3, 1, 0, 0))    # counted after its January
    now = at(2025, 1, 10, 2, 0)
    assert snapshots.years_to_refresh(now) == [2024, 2025]
    n = snapshots.refresh(now, echo=lambda line: None)
    kinds = len(snapshots.KINDS)
    assert n == 2 * (2 * (kinds - 1) + 1)  # two years; each kind for the district and the town, by_town once
    counted = {(y, k.split("/")[0]) for y, k, at_ in db.session.execute(
        select(FigureSnapshot.year, FigureSnapshot.kind, FigureSnapshot.counted_at)) if at_ == now}
    assert (2024, "figures") in counted and (2025, "books") in counted and (2023, "figures") not in counted
    # Counted in the January after: recounted once more after that January, then left alone.
    assert snapshots.years_to_refresh(at(2025, 2, 2, 2, 0)) == [2024, 2025]
    snapshots.refresh(at(2025, 2, 2, 2, 0), echo=lambda line: None)
    assert snapshots.years_to_refresh(at(2025, 2, 3, 2, 0)) == [2025]


@pytest.mark.committing
def test_two_first_views_at_once_both_get_the_figures_and_one_row_is_kept(app, make):
    """Two staff open the home page of a year never counted at the same moment (separate
    connections: PostgreSQL via TEST_DATABASE_URL, SQLite through its write lock)."""
    person, q = make.user(), make.question()
    answers(person, "daily", at(2025, 3, 2, 10, 0), [(q, True)])
    db.session.commit()

    def view(i, client):
        with app.app_context():
            return snapshots.counted("figures", 2025).data["learning"]["answers"]

    assert _race(app, 4, view) == [1, 1, 1, 1]
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(FigureSnapshot)) == 1


def _closed_exam(make, people=10):
    """A closed exam of 7 questions: 0-2 answered right by everyone (too easy), the rest by
    the better half."""
    from datetime import timedelta

    from core.timeutil import utcnow
    from tests.quiz_bank.test_exam_results import attempt, cadre

    category = make.category()
    questions = make.questions(7, category)
    exam = make.exam(rules=[(category, "single", 7, 10)], opens_at=utcnow() - timedelta(days=2),
                     closes_at=utcnow() - timedelta(days=1))
    unit = make.org_unit()
    for rank in range(people):
        attempt(exam, cadre(make, unit), score=(rank + 1) * 10, items=[(q, i < 3 or rank >= people // 2) for i, q in enumerate(questions)])
    db.session.flush()
    return exam, questions, unit


def _no_ranking(monkeypatch):
    from quiz_bank.exams import results

    def ranked(*args, **kwargs):
        raise AssertionError("the answers were ranked again")

    monkeypatch.setattr(results, "_ranked", ranked)


def test_a_closed_exams_question_analysis_is_counted_once_and_read_back_page_by_page(make, monkeypatch):
    from quiz_bank.exams import results

    exam, questions, _ = _closed_exam(make)
    live = [results.question_page(exam, page, 3) for page in (1, 2, 3, 9)]
    assert snapshots.exam_questions(exam, 1, 3) == live[0]
    _no_ranking(monkeypatch)
    assert [snapshots.exam_questions(exam, page, 3) for page in (1, 2, 3, 9)] == live
    assert live[0]["count"] == 7 and live[0]["bad_count"] == 3
    # The figures are kept; the text is the question's as it reads now.
    questions[0].stem = "（已更正）" + questions[0].stem
    db.session.flush()
    assert snapshots.exam_questions(exam, 1, 3)["rows"][0]["stem"].startswith("（已更正）")


def test_an_exam_still_open_or_with_an_attempt_running_is_counted_at_every_view(make):
    from datetime import timedelta

    from core.timeutil import utcnow
    from tests.quiz_bank.test_exam_results import attempt, cadre

    exam, questions, unit = _closed_exam(make)
    running = attempt(exam, cadre(make, unit), status="in_progress")
    db.session.flush()
    assert snapshots.exam_questions(exam, 1, 3)["count"] == 7
    assert db.session.scalar(select(db.func.count()).select_from(FigureSnapshot)) == 0  # it can still change
    running.status, running.score = "expired", 0
    exam.closes_at = utcnow() + timedelta(days=1)
    db.session.flush()
    snapshots.exam_questions(exam, 1, 3)
    assert db.session.scalar(select(db.func.count()).select_from(FigureSnapshot)) == 0


def test_an_exam_opened_again_or_finished_by_one_more_attempt_is_counted_again(make):
    from datetime import timedelta

    from core.timeutil import utcnow
    from tests.quiz_bank.test_exam_results import attempt, cadre

    exam, questions, unit = _closed_exam(make)
    assert snapshots.exam_questions(exam, 1, 10)["rows"][0]["shown"] == 10
    # An attempt the scheduler finalised after the first view (it ran past the close).
    attempt(exam, cadre(make, unit), score=0, status="expired", items=[(q, False) for q in questions])
    db.session.flush()
    assert snapshots.exam_questions(exam, 1, 10)["rows"][0]["shown"] == 11
    exam.closes_at = utcnow() + timedelta(hours=1)  # opened again for a late unit
    attempt(exam, cadre(make, unit), score=70, items=[(q, True) for q in questions])
    db.session.flush()
    assert snapshots.exam_questions(exam, 1, 10)["rows"][0]["shown"] == 12
    exam.closes_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert snapshots.exam_questions(exam, 1, 10)["rows"][0]["shown"] == 12
