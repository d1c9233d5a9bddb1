"""The dashboard's own figures (reports.dashboard) against small, hand-counted data.

The tests look from Wednesday 2025-03-12 10:00 in Beijing. 2025 began on a Wednesday,
so its first week is 1-5 January and its second starts on Monday 6 January."""
from datetime import date, datetime, timedelta

import pytest

from core.extensions import db
from reports.dashboard import most_missed, participation_by_week, todos, week_starts, year_at_a_glance
from tests.reports.town import answers, at, attempt, check_in, event, points, redemption


@pytest.fixture
def now(app):
    return at(2025, 3, 12, 10, 0)


def test_weeks_run_monday_to_sunday_from_new_years_day(app):
    starts = week_starts(2025)
    assert starts[:3] == [date(2025, 1, 1), date(2025, 1, 6), date(2025, 1, 13)]
    assert (len(starts), starts[-1]) == (53, date(2025, 12, 29))
    # A year that begins on a Monday has no short first week.
    assert week_starts(2024)[:2] == [date(2024, 1, 1), date(2024, 1, 8)]


def test_todos_list_the_event_going_on_pickups_waiting_open_exams_and_questions_to_review(make, now):
    going = event(make, "民法典进村宣讲", "outreach", make.org_unit(), datetime(2025, 3, 12, 9, 0), datetime(2025, 3, 12, 11, 0))
    going.checkin_count = 3
    event(make, "昨天的讲座", "lecture", make.org_unit(), datetime(2025, 3, 11, 9, 0))
    event(make, "下周的讲座", "lecture", make.org_unit(), datetime(2025, 3, 19, 9, 0))

    reward, person = make.reward(), make.user()
    redemption(person, reward, "pending", now - timedelta(days=2))       # waiting
    redemption(person, reward, "pending", now - timedelta(days=29))      # waiting, one day left
    redemption(person, reward, "pending", now - timedelta(days=31))      # past its deadline
    redemption(person, reward, "handed_over", now - timedelta(days=1))

    unit = make.org_unit(kind="department", name="司法所")
    cadres = [make.cadre(make.user(), org_unit=unit) for _ in range(4)]
    cadres[3].active = False                                             # left: not counted
    exam = make.exam(title="2025年度学法考试", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=6))
    attempt(exam, cadres[0], "submitted", 80, now - timedelta(hours=5))  # sat
    attempt(exam, cadres[0], "submitted", 90, now - timedelta(hours=3), number=2)
    attempt(exam, cadres[1], "in_progress", 0, now - timedelta(minutes=5))  # still answering: not sat
    nobody = make.exam(title="空白考试", assign_all=False, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
    make.exam(title="上月考试", opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=30))
    make.exam(title="下月考试", opens_at=now + timedelta(days=20), closes_at=now + timedelta(days=30))

    make.question(status="pending")
    make.question(status="pending")
    make.question(status="recheck")
    make.question(status="active")
    db.session.flush()

    t = todos(now)
    assert [(e["title"], e["checkins"]) for e in t["events"]] == [("民法典进村宣讲", 3)]
    assert t["pickups"] == 2
    # Closing first: the exam assigned to nobody closes sooner.
    assert [(x["id"], x["title"], x["assigned"], x["unsat"]) for x in t["exams"]] == [
        (nobody.id, "空白考试", 0, 0), (exam.id, "2025年度学法考试", 3, 2)]
    assert t["pending_questions"] == 2 and t["recheck_questions"] == 1


def test_an_event_with_check_in_open_before_it_starts_is_going_on(make, now):
    soon = event(make, "广场普法", "outreach", make.org_unit(), datetime(2025, 3, 12, 10, 20))
    soon.checkin_opens_at = now - timedelta(minutes=10)
    db.session.flush()
    assert [e["title"] for e in todos(now)["events"]] == ["广场普法"]


def test_participation_by_week_counts_online_answers_check_ins_and_the_people_who_did_either(make, now):
    a, b, c = make.user(), make.user(), make.user()
    q1, q2, q3 = make.question(), make.question(), make.question()
    # Week 1 (1-5 Jan): a answers 2 online (one wrong); b answers 1 on site (not online learning).
    answers(a, "daily", at(2025, 1, 3, 8, 0), [(q1, True), (q2, False)])
    on_site = event(make, "元旦宣讲", "outreach", make.org_unit(), datetime(2025, 1, 4, 9, 0))
    answers(b, "event", at(2025, 1, 4, 9, 30), [(q1, True)], at_event=on_site)
    check_in(on_site, b)
    check_in(on_site, a)
    # Sunday 23:30 in Beijing is still week 1; Monday 00:30 (Sunday 16:30 UTC) is week 2.
    answers(c, "practice", at(2025, 1, 5, 23, 30), [(q1, True)])
    answers(c, "challenge", at(2025, 1, 6, 0, 30), [(q1, True), (q2, True), (q3, None)])
    # Last year, and after `now`: not counted.
    answers(a, "daily", at(2024, 12, 31, 23, 0), [(q1, True)])
    answers(a, "daily", at(2025, 3, 12, 11, 0), [(q1, True)])
    # Week 11 (10-16 March): b checks in; a answers.
    later = event(make, "三月宣讲", "outreach", make.org_unit(), datetime(2025, 3, 11, 9, 0))
    check_in(later, b)
    answers(a, "daily", at(2025, 3, 12, 9, 0), [(q2, False)])
    db.session.flush()

    weeks = participation_by_week(2025, now)
    assert len(weeks) == 11  # the weeks begun by Wednesday 12 March
    assert weeks[-1]["starts"] == date(2025, 3, 10)
    by_week = {w["week"]: (w["answers"], w["people"], w["checkins"]) for w in weeks}
    assert by_week[1] == (3, 3, 2)
    assert by_week[2] == (2, 1, 0)
    assert by_week[11] == (1, 2, 1)
    assert all(by_week[w] == (0, 0, 0) for w in range(3, 11))


def test_most_missed_ranks_by_share_wrong_among_questions_answered_often_enough(make, now):
    law = make.category(name="民法典")
    stems = {"q80": "离婚冷静期为多少日？", "q50a": "夫妻共同财产包括哪些？", "q50b": "遗嘱的形式有哪些？",
             "few": "居住权如何设立？", "easy": "民法典何时施行？", "old": "去年的难题？"}
    q = {k: make.question(law, stem=s, source="《民法典》第一千零七十七条") for k, s in stems.items()}
    person = make.user()

    def answered(key, right: int, wrong: int, when=None):
        given = [(q[key], True)] * right + [(q[key], False)] * wrong
        for ok in given:  # one quiz per answer: a question appears once in a quiz
            answers(person, "practice", when or at(2025, 2, 1, 9, 0), [ok])

    answered("q80", 1, 4)      # 80 %
    answered("q50a", 5, 5)     # 50 %, 5 wrong
    answered("q50b", 3, 3)     # 50 %, 3 wrong
    answered("few", 0, 4)      # only 4 answers: too few to rank
    answered("easy", 9, 1)     # 10 %
    answered("old", 0, 9, at(2024, 6, 1, 9, 0))  # last year
    answers(person, "practice", at(2025, 2, 1, 9, 0), [(q["easy"], None)])  # shown, unanswered: not counted
    db.session.flush()

    missed = most_missed(2025, now)
    assert [(m["stem"], m["answered"], m["wrong"], m["wrong_share"]) for m in missed] == [
        ("离婚冷静期为多少日？", 5, 4, 80.0), ("夫妻共同财产包括哪些？", 10, 5, 50.0),
        ("遗嘱的形式有哪些？", 6, 3, 50.0), ("民法典何时施行？", 10, 1, 10.0)]
    assert missed[0]["law"] == "民法典" and missed[0]["source"] == "《民法典》第一千零七十七条"
    assert [m["stem"] for m in most_missed(2025, now, limit=2)] == ["离婚冷静期为多少日？", "夫妻共同财产包括哪些？"]


def test_the_charts_carry_the_same_numbers_as_the_tables(make, now):
    person = make.user()
    points(person, 30, "daily_quiz", at(2025, 1, 10, 9, 0))
    points(person, 12, "checkin", at(2025, 3, 2, 9, 0))
    points(person, -20, "redeem", at(2025, 3, 3, 9, 0))
    lecture = event(make, "法治讲座", "lecture", make.org_unit(), datetime(2025, 2, 14, 9, 0))
    check_in(lecture, person)
    unit = make.org_unit(kind="department", name="派出所")
    cadre = make.cadre(make.user(), org_unit=unit)
    make.cadre(make.user(), org_unit=unit)
    exam = make.exam(opens_at=at(2025, 3, 1, 9, 0), closes_at=at(2025, 3, 20, 9, 0))
    attempt(exam, cadre, "submitted", 75, at(2025, 3, 2, 9, 0))
    db.session.flush()

    glance = year_at_a_glance(2025, now)
    charts = glance["charts"]
    assert charts["points"]["series"][0]["data"][:4] == [30, 0, 12, 0]
    assert charts["points"]["series"][1]["data"][:4] == [0, 0, 20, 0]
    assert charts["event_months"]["series"][0]["data"][:3] == [0, 1, 0]
    assert charts["event_kinds"] == {"categories": ["法治讲座"], "series": [{"name": "活动（场）", "kind": "bar", "data": [1]}]}
    assert charts["exam_units"]["categories"] == ["派出所"]
    assert charts["exam_units"]["series"] == [{"name": "年度学法考试", "kind": "bar", "data": [50.0]}]
    assert glance["units"] == [{"unit": "派出所", "kind": "annual", "label": "年度学法考试", "assigned": 2, "sat": 1,
                                "passed": 1, "pass_rate": 50.0}]
    assert charts["weeks"]["categories"][:2] == ["1月1日", "1月6日"]
    assert len(charts["weeks"]["series"][0]["data"]) == len(glance["weeks"]) == 11


def test_the_dashboards_statements_do_not_grow_with_the_year(make, now, count_queries):
    def grow(n: int):
        unit = make.org_unit()
        q = make.question()
        for i in range(n):
            person = make.user(org_unit_id=unit.id)
            e = event(make, f"宣讲{i}", "outreach", unit, datetime(2025, 2, 1 + i, 9, 0))
            check_in(e, person)
            answers(person, "daily", at(2025, 2, 1 + i, 10, 0), [(q, i % 2 == 0)])
            points(person, 5, "daily_quiz", at(2025, 2, 1 + i, 10, 0))
            redemption(person, make.reward(), "pending", now - timedelta(days=1))
            exam = make.exam(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
            attempt(exam, make.cadre(make.user(), org_unit=unit), "submitted", 70, now - timedelta(hours=2))
        db.session.flush()

    counts = []
    for n in (1, 6):
        grow(n)
        with count_queries() as sql:
            todos(now)
            year_at_a_glance(2025, now)
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_the_home_pages_counts_are_a_towns_own_with_a_town(make, now):
    from reports.dashboard import counts

    a, b = make.town(name="甲镇"), make.town(name="乙镇")
    in_a = make.user(org_unit_id=make.org_unit(town=a).id)
    in_b = make.user(org_unit_id=make.org_unit(town=b).id)
    nobody = make.user()  # chose no unit: among several towns, no town's
    make.question()
    answers(in_a, "practice", now - timedelta(hours=1), [(make.question(), True)])
    answers(in_b, "practice", now - timedelta(hours=1), [(make.question(), True)])
    answers(in_b, "practice", now - timedelta(days=1), [(make.question(), True)])  # yesterday: not today's
    answers(nobody, "practice", now - timedelta(hours=1), [(make.question(), True)])
    db.session.flush()
    assert counts(now, a.id) == {"题库中启用的题目": 5, "注册用户": 1, "今日答题次数": 1}
    assert counts(now)["今日答题次数"] == 3 and counts(now)["注册用户"] == 3


def test_a_townships_home_page_counts_its_people_without_a_unit(make, now):
    """With one town, someone who chose no unit is the town's, as before towns existed."""
    from reports.dashboard import counts

    town = make.default_town()
    anna, nobody = make.user(org_unit_id=make.org_unit().id), make.user()
    answers(anna, "practice", now - timedelta(hours=1), [(make.question(), True)])
    answers(nobody, "practice", now - timedelta(hours=1), [(make.question(), True)])
    db.session.flush()
    assert counts(now, town.id) == {"题库中启用的题目": 2, "注册用户": 2, "今日答题次数": 2}
