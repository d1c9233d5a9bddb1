"""The year's figures against a town whose 2025 is counted by hand (tests/reports/town.py)."""
from datetime import date, datetime

import pytest

from core.extensions import db
from reports.figures import year_bounds, year_figures
from tests.reports.district import NOW, build_district, more_villages
from tests.reports.town import answers, at, attempt, build_town, check_in, event, on_site_quiz, points, redemption


@pytest.fixture
def town(make):
    return build_town(make)


@pytest.fixture
def early(app):
    """2025-12-06 10:00 in Beijing: E7 is going on, E6 and E3 are still to come."""
    return at(2025, 12, 6, 10, 0)


@pytest.fixture
def after(app):
    """2026-01-10 10:00 in Beijing: 2025 is over."""
    return at(2026, 1, 10, 10, 0)


def _by(rows, key):
    return {r[key]: r for r in rows}


def test_year_bounds_are_the_local_calendar_year(app):
    assert year_bounds(2026) == (datetime(2025, 12, 31, 16, 0), datetime(2026, 12, 31, 16, 0))


def test_only_events_that_have_ended_count_as_held(town, early):
    f = year_figures(2025, early)
    e = f["events"]
    # E5, E4, E2, E1 are over; E7 is going on, E6 and E3 are still to come.
    assert (e["held"], e["not_yet_held"], e["with_checkins"]) == (4, 3, 3)
    assert [(k["label"], k["events"], k["people"], k["checkins"]) for k in e["by_kind"]] == [
        ("宪法宣传日", 1, 4, 4), ("禁毒日", 1, 1, 1), ("水法宣传", 1, 0, 0), ("普法宣讲", 1, 1, 1),
    ]
    # d's check-in at E7, going on, is not counted yet.
    assert (e["people"], e["checkins"]) == (4, 6)
    assert (f["complete"], f["as_of"]) == (False, date(2025, 12, 6))
    assert f["headlines"][0] == ("2025年截至12月6日开展普法活动4场次，其中宪法宣传日1场、禁毒日1场、水法宣传1场、普法宣讲1场；"
                                 "覆盖群众4人、6人次；1场活动无签到记录。")


def test_an_event_nobody_checked_in_at_is_held_and_listed_apart(town, early, after):
    e = year_figures(2025, early)["events"]
    assert [(x["title"], x["label"], x["date"], x["organiser"]) for x in e["without_checkins"]] == [
        ("水法宣传进校园", "水法宣传", date(2025, 3, 22), "司法所"),
    ]
    e = year_figures(2025, after)["events"]
    assert [x["title"] for x in e["without_checkins"]] == ["水法宣传进校园", "年终法治讲座"]
    assert (e["held"], e["with_checkins"]) == (7, 5)


def test_an_event_over_new_years_eve_counts_once_in_the_year_it_began(town, after):
    f2025, f2026, f2024 = (year_figures(y, after) for y in (2025, 2026, 2024))
    # E3 (12-31 20:00 to 01:00) is 2025's, with c's check-in at 00:10 on New Year's Day;
    # E5 at 00:30 on New Year's Day (still 2024 in UTC) is 2025's too.
    assert f2025["events"]["held"] == 7 and f2025["events"]["not_yet_held"] == 0
    assert _by(f2025["events"]["by_kind"], "kind")["outreach"] == {
        "kind": "outreach", "label": "普法宣讲", "events": 3, "people": 4, "checkins": 4,
        "quiz": {"people": 1, "quizzes": 1, "answered": 4, "correct": 4, "accuracy": 100.0},
    }
    assert f2026["events"]["held"] == 0 and f2026["events"]["checkins"] == 0
    # E0, over 2024's New Year's Eve, is 2024's, with its check-in at 00:10 on 2025-01-01.
    assert (f2024["events"]["held"], f2024["events"]["checkins"]) == (1, 1)
    assert f2025["complete"] and f2025["as_of"] == date(2025, 12, 31)


def test_people_reached_by_kind_month_organiser_and_village(town, after):
    e = year_figures(2025, after)["events"]
    assert (e["people"], e["checkins"], e["villages"]) == (4, 9, 2)
    assert [(k["label"], k["events"], k["people"], k["checkins"]) for k in e["by_kind"]] == [
        ("宪法宣传日", 1, 4, 4), ("禁毒日", 1, 1, 1), ("水法宣传", 1, 0, 0), ("法治讲座", 1, 0, 0), ("普法宣讲", 3, 4, 4),
    ]
    months = {m["month"]: (m["events"], m["people"], m["checkins"]) for m in e["by_month"]}
    assert list(months) == list(range(1, 13))
    assert months == {1: (1, 1, 1), 2: (0, 0, 0), 3: (1, 0, 0), 4: (0, 0, 0), 5: (0, 0, 0), 6: (1, 1, 1),
                      7: (0, 0, 0), 8: (0, 0, 0), 9: (0, 0, 0), 10: (0, 0, 0), 11: (0, 0, 0), 12: (4, 4, 7)}
    assert [(u["unit"], u["events"], u["people"], u["checkins"]) for u in e["by_organiser"]] == [
        ("司法所", 4, 4, 5), ("派出所", 2, 2, 3), ("综合执法大队", 1, 1, 1),
    ]
    assert [(v["unit"], v["people"], v["checkins"]) for v in e["by_village"]] == [
        ("东湖村", 2, 5), ("西山社区", 1, 2), ("未填写", 1, 2),
    ]


def test_on_site_quizzes_and_photos_go_with_held_events(town, early, after):
    e = year_figures(2025, after)["events"]
    # a 4/5 and b 3/5 at E1, a 4/4 at E3; c opened the quiz and answered nothing.
    assert e["quiz"] == {"people": 2, "quizzes": 3, "answered": 14, "correct": 11, "accuracy": 78.6}
    assert _by(e["by_kind"], "kind")["constitution_day"]["quiz"]["accuracy"] == 70.0
    assert _by(e["by_kind"], "kind")["water_week"]["quiz"] == {"people": 0, "quizzes": 0, "answered": 0, "correct": 0, "accuracy": None}
    assert e["photos"] == 3
    early_events = year_figures(2025, early)["events"]
    assert (early_events["quiz"]["answered"], early_events["photos"]) == (10, 2)  # E3 and E6 are still to come


def test_online_learning_by_law_village_and_month(town, after):
    learning = year_figures(2025, after)["learning"]
    # a 2 of 3 (March), d 0 of 1 (July), b 1 of 2 (New Year's Eve, 23:30); not: a's unanswered
    # question, a's on-site quiz, c's answer at 00:30 on New Year's Day, d's in 2024.
    assert {k: learning[k] for k in ("people", "answers", "correct", "accuracy")} == \
        {"people": 3, "answers": 6, "correct": 3, "accuracy": 50.0}
    assert [(x["law"], x["people"], x["answers"], x["correct"], x["accuracy"]) for x in learning["by_law"]] == [
        ("民法典（测试）", 2, 4, 3, 75.0), ("宪法（测试）", 2, 2, 0, 0.0),
    ]
    assert [(x["unit"], x["people"], x["answers"], x["accuracy"]) for x in learning["by_village"]] == [
        ("东湖村", 2, 5, 60.0), ("未填写", 1, 1, 0.0),
    ]
    months = {m["month"]: (m["people"], m["answers"], m["correct"]) for m in learning["by_month"] if m["answers"]}
    assert months == {3: (1, 3, 2), 7: (1, 1, 0), 12: (1, 2, 1)}
    assert year_figures(2026, after)["learning"]["answers"] == 1


def test_exams_by_kind_and_unit_with_the_new_leaders_apart(town, early, after):
    exams = year_figures(2025, after)["exams"]
    assert (exams["exams"], exams["open"]) == (4, 1)
    rows = [(k["label"], k["exams"], k["open"], k["assigned"], k["sat"], k["passed"], k["pass_rate"]) for k in exams["by_kind"]]
    # 年度: k1 passed, k2 passed at the second attempt, k3 failed, k4 did not sit; k5 is no longer active.
    # 任前: two exams, k4 assigned to both and counted once. 补考: k3 only, still open.
    assert rows == [("年度学法考试", 1, 0, 4, 3, 2, 50.0), ("新提拔领导干部任前考试", 2, 0, 1, 1, 1, 100.0),
                    ("补考", 1, 1, 1, 1, 1, 100.0)]
    annual = exams["by_kind"][0]
    assert [(u["unit"], u["assigned"], u["sat"], u["passed"], u["sat_rate"], u["pass_rate"]) for u in annual["by_unit"]] == [
        ("司法所", 2, 2, 2, 100.0, 100.0), ("派出所", 2, 1, 0, 50.0, 0.0),
    ]
    assert (exams["new_leaders"]["assigned"], exams["new_leaders"]["sat"], exams["new_leaders"]["passed"]) == (1, 1, 1)
    # Early in December the make-up exam has not opened.
    assert [k["kind"] for k in year_figures(2025, early)["exams"]["by_kind"]] == ["annual", "new_leader"]
    assert year_figures(2024, after)["exams"]["by_kind"][0]["passed"] == 1


def test_points_and_rewards(town, early, after):
    f = year_figures(2025, after)
    pts, rewards = f["points"], f["rewards"]
    assert (pts["issued"], pts["spent"], pts["refunded"]) == (18, 16, 8)
    months = {m["month"]: (m["issued"], m["spent"], m["refunded"]) for m in pts["by_month"] if m["issued"] or m["spent"] or m["refunded"]}
    assert months == {3: (10, 0, 0), 12: (8, 16, 8)}
    # a cancelled one 洗衣液 and took the other; b left one 帆布袋 to expire and has one waiting.
    assert {k: rewards[k] for k in ("made", "redeemed", "handed_over", "pending", "expired", "cancelled")} == \
        {"made": 4, "redeemed": 3, "handed_over": 1, "pending": 1, "expired": 1, "cancelled": 1}
    assert [(r["reward"], r["redeemed"], r["handed_over"]) for r in rewards["by_reward"]] == [("普法宣传帆布袋", 2, 0), ("洗衣液", 1, 1)]
    # Nothing after `now` counts: b's points on New Year's Eve are still to come.
    assert year_figures(2025, early)["points"]["issued"] == 13


def test_the_report_sentences(town, after):
    assert year_figures(2025, after)["headlines"] == [
        "2025年全年开展普法活动7场次，其中宪法宣传日1场、禁毒日1场、水法宣传1场、法治讲座1场、普法宣讲3场；覆盖群众4人、9人次；2场活动无签到记录。",
        "落实“谁执法谁普法”，3个单位主办活动：司法所4场、派出所2场、综合执法大队1场。",
        "参与群众覆盖2个村（社区），参与人数居前的是东湖村（2人、5人次）、西山社区（1人、2人次）。",
        "开展现场答题，2人参与，答题14道，答对11道，正确率78.6%。",
        "线上学法3人参与，答题6道，正确率50.0%。",
        "组织年度学法考试1场，应考4人，参考3人，合格2人，合格率50.0%。",
        "新提拔领导干部1人参加任前法律知识考试，合格1人。",
        "组织补考1场，应考1人，参考1人，合格1人，合格率100.0%。",
        "发放学法积分18分；群众用积分兑换奖品3件，已领取1件。",
        "归档活动照片3张。",
    ]


def test_a_year_with_nothing(app):
    f = year_figures(2031, at(2032, 2, 1, 9, 0))
    assert f["headlines"] == ["2031年全年暂无普法活动记录。"]
    assert (f["events"]["held"], f["learning"]["accuracy"], f["exams"]["by_kind"], f["rewards"]["by_reward"]) == (0, None, [], [])
    assert f["exams"]["new_leaders"]["assigned"] == 0 and len(f["points"]["by_month"]) == 12


def test_the_figures_take_the_same_statements_however_much_the_year_holds(make, count_queries):
    village = make.org_unit(kind="village")
    law = make.category()
    questions = make.questions(3, law)
    reward = make.reward(cost=5)
    exam_rules = [(law, "single", 3, 30)]

    def add(n):
        """n of everything: events of several kinds and organisers, check-ins, answers, exams, points."""
        for i in range(n):
            unit = make.org_unit(kind="department")
            e = event(make, f"宣讲{i}", ("outreach", "school", "water_week")[i % 3], unit, datetime(2030, 1 + i % 12, 2, 9))
            e.quiz_category_id = law.id
            exam = make.exam(exam_rules, opens_at=at(2030, 1 + i % 12, 3, 9), closes_at=at(2030, 1 + i % 12, 4, 9),
                             kind=("annual", "new_leader")[i % 2])
            cadre = make.cadre(make.user(), org_unit=unit, newly_promoted=True)
            attempt(exam, cadre, "submitted", 30 * (i % 4), at(2030, 1 + i % 12, 3, 10))
            for j in range(3):
                person = make.user(org_unit_id=village.id if j else None)
                check_in(e, person)
                on_site_quiz(e, person, 3, j)
                answers(person, "practice", at(2030, 1 + (i + j) % 12, 5, 20), [(q, j > 0) for q in questions], law)
                points(person, 5, "practice_correct", at(2030, 1 + i % 12, 5, 20))
                redemption(person, reward, ("pending", "handed_over", "cancelled")[j], at(2030, 1 + i % 12, 6, 9))
        db.session.flush()

    now = at(2031, 1, 10, 9)
    add(1)
    with count_queries() as few:
        small = year_figures(2030, now)
    add(12)
    with count_queries() as many:
        big = year_figures(2030, now)
    assert (small["events"]["held"], big["events"]["held"]) == (1, 13)
    assert big["learning"]["answers"] == 13 * 9 and big["rewards"]["made"] == 13 * 3
    assert len(big["learning_gain"]["events"]) == 13
    # A district of one town: the 23 (the learning gain's five: its events, their kept
    # gains, whether their town is the only one, the count of the others and their
    # keeping), and whether it has several towns.
    assert len(few) == len(many) == 24


def test_a_districts_sentence_names_its_busiest_organisers_not_all_of_them():
    from reports.figures import HEADLINE_UNITS, headlines

    organisers = [{"unit_id": i, "unit": f"单位{i}", "events": 30 - i} for i in range(25)]
    f = {"year": 2025, "complete": True, "as_of": None,
         "events": {"held": 25, "people": 0, "checkins": 0, "by_kind": [], "without_checkins": [], "by_organiser": organisers,
                    "by_village": [], "villages": 0, "quiz": {"people": 0}, "photos": 0},
         "learning_gain": {"events": [], "compared": 0}, "learning": {"answers": 0}, "exams": {"by_kind": []},
         "points": {"issued": 0}, "rewards": {"made": 0}}
    line = next(s for s in headlines(f) if s.startswith("落实"))
    named = "、".join(f"单位{i}{30 - i}场" for i in range(HEADLINE_UNITS))
    assert line == f"落实“谁执法谁普法”，25个单位主办活动：主办最多的是{named}等。"


def _rows(rows, *keys):
    return [tuple(r[k] for k in ("unit", *keys)) for r in rows]


def test_a_district_of_several_towns_is_counted_town_by_town(make):
    """Issue 19: the district's lists by unit hold its towns, each town's people counted
    once (b, at events of both of 乙镇's units, is one person of 乙镇)."""
    d = build_district(make)
    f = year_figures(2025, at(*NOW))
    e, learning = f["events"], f["learning"]
    assert f["towns"] is True
    assert (e["held"], e["people"], e["checkins"], e["organisers"], e["villages"]) == (3, 4, 7, 3, 3)
    assert _rows(e["by_organiser"], "organisers", "events", "people", "checkins") == [("乙镇", 2, 2, 3, 4), ("甲镇", 1, 1, 3, 3)]
    assert [r["unit_id"] for r in e["by_organiser"]] == [d.towns["乙"].id, d.towns["甲"].id]
    assert _rows(e["by_village"], "people", "checkins") == [("乙镇", 1, 3), ("甲镇", 2, 3), ("未填写", 1, 1)]
    assert _rows(learning["by_village"], "people", "answers", "correct", "accuracy") == [
        ("乙镇", 1, 1, 1, 100.0), ("甲镇", 1, 2, 1, 50.0), ("未填写", 1, 1, 0, 0.0)]
    annual = f["exams"]["by_kind"][0]
    assert _rows(annual["by_unit"], "assigned", "sat", "passed", "sat_rate", "pass_rate") == [
        ("乙镇", 2, 1, 0, 50.0, 0.0), ("甲镇", 1, 1, 1, 100.0, 100.0)]
    gain = f["learning_gain"]
    assert "events" not in gain and (gain["held"], gain["compared"]) == (1, 0)
    assert _rows(gain["by_town"], "events", "compared", "difference") == [("乙镇", 0, 0, None), ("甲镇", 1, 0, None)]
    # The report's sentences still name the busiest units and villages.
    assert "落实“谁执法谁普法”，3个单位主办活动：" in "".join(f["headlines"])
    assert "参与人数居前的是乙一村（1人、3人次）" in "".join(f["headlines"])


def test_a_towns_figures_in_a_district_stay_unit_by_unit(make):
    d = build_district(make)
    f = year_figures(2025, at(*NOW), d.towns["乙"].id)
    assert f["towns"] is False
    assert _rows(f["events"]["by_organiser"], "events", "people", "checkins") == [("乙司法所", 1, 3, 3), ("乙派出所", 1, 1, 1)]
    assert _rows(f["events"]["by_village"], "people", "checkins") == [("乙一村", 1, 2), ("甲一村", 1, 1), ("未填写", 1, 1)]
    assert [g["title"] for g in f["learning_gain"]["events"]] == []


def test_the_districts_figures_do_not_grow_with_its_villages(make, count_queries):
    from sqlalchemy import delete

    from reports.models import FigureSnapshot

    d = build_district(make)
    with count_queries() as few:
        small = year_figures(2025, at(*NOW))
    more_villages(make, d, 12)
    db.session.execute(delete(FigureSnapshot))  # the events' gains kept by the first count: counted again
    with count_queries() as many:
        big = year_figures(2025, at(*NOW))
    assert (small["events"]["villages"], big["events"]["villages"]) == (3, 15)
    assert len(few) == len(many) == 26  # the 23, the towns, and two counts by town
    for f in (small, big):
        assert [len(f["events"]["by_organiser"]), len(f["events"]["by_village"]), len(f["learning"]["by_village"]),
                len(f["exams"]["by_kind"][0]["by_unit"]), len(f["learning_gain"]["by_town"])] == [2, 3, 3, 2, 2]
    assert _rows(big["events"]["by_village"], "people", "checkins")[1] == ("甲镇", 14, 15)


def test_a_lone_towns_redemptions_include_the_district_wide_rewards(make):
    """In a one-town deployment every reward is the town's (accounts.tenancy): its figures
    count the redemptions of a reward offered district-wide, as its panel lists them."""
    town = make.town(name="东湖镇")
    person = make.user(org_unit_id=make.org_unit(town=town).id)
    shared, own = make.reward(name="区级雨伞", town_id=None), make.reward(name="东湖镇台灯", town_id=town.id)
    when = at(2025, 6, 1, 10)
    redemption(person, shared, "handed_over", when)
    redemption(person, own, "pending", when)
    db.session.flush()
    rewards = year_figures(2025, now=datetime(*NOW), town_id=town.id)["rewards"]
    assert sorted(r["reward"] for r in rewards["by_reward"]) == ["东湖镇台灯", "区级雨伞"] and rewards["made"] == 2
