"""The learning gain of an event, against answers counted by hand.

The event: 宪法进万家, 2026-03-15 09:00-11:00 in Beijing, on-site quiz of 宪法; a1 and a2
checked in, n1 and n2 did not. Answers (questions of 宪法 unless said):
  a1  2026-02-13 (31 days before) 5 of 5          ignored: too early
  a2  exactly 30 days before, 1 of 5              before
  a1  10 days before, 2 of 5                      before
  a1  5 days before, 1 of 1 on another law        ignored: another law
  n1  20 days before, 3 of 5                      before
  a1  on-site during the event, 4 of 5            on-site
  a2  on-site, answered 10 min after the end, 2 of 4 (one left)   on-site, not after
  n2  2 days after, 4 of 5 at another event's on-site quiz        after
  a1  3 days after, 5 of 5                        after
  n1  10 days after, 3 of 5                       after
  a2  29 days after, 4 of 5                       after
  n1  31 days after, 0 of 5                       ignored: too late
So: attendees before 3/10 = 30.0%, on-site 6/9 = 66.7%, after 9/10 = 90.0%, gain 60.0;
non-attendees before 3/5 = 60.0%, after 7/10 = 70.0%, gain 10.0; difference 50.0.
"""
from datetime import date, datetime, timedelta

import pytest

from sqlalchemy import select

from core.extensions import db
from reports.figures import year_bounds, year_figures
from reports.learning_gain import event_gain, gain_of, summary, year_gain
from reports.models import FigureSnapshot
from reports.snapshots import refresh
from tests.reports.town import answers, at, check_in, event

START = datetime(2026, 3, 15, 9, 0)
DAY = timedelta(days=1)


def _given(questions, right: int, left: int = 0):
    return [(q, i < right) for i, q in enumerate(questions[:len(questions) - left])] + [(q, None) for q in questions[len(questions) - left:]]


@pytest.fixture
def case(make):
    law, other = make.category(name="宪法（测试）"), make.category(name="民法典（测试）")
    qs, others = make.questions(5, law), make.questions(1, other)
    unit = make.org_unit(kind="department", name="司法所")
    e = event(make, "宪法进万家", "constitution_day", unit, START)
    e.quiz_category_id = law.id
    elsewhere = event(make, "宪法进校园", "school", unit, START + 2 * DAY)
    elsewhere.quiz_category_id = law.id
    a1, a2, n1, n2 = (make.user(real_name=name) for name in ("到一", "到二", "未一", "未二"))
    check_in(e, a1)
    check_in(e, a2)
    check_in(elsewhere, n2)
    s, end = e.starts_at, e.ends_at
    answers(a1, "practice", s - 31 * DAY, _given(qs, 5), law)
    answers(a2, "daily", s - 30 * DAY, _given(qs, 1))
    answers(a1, "practice", s - 10 * DAY, _given(qs, 2), law)
    answers(a1, "practice", s - 5 * DAY, _given(others, 1), other)
    answers(n1, "practice", s - 20 * DAY, _given(qs, 3), law)
    answers(a1, "event", s + timedelta(minutes=30), _given(qs, 4), at_event=e)
    answers(a2, "event", end + timedelta(minutes=10), _given(qs, 2, left=1), at_event=e)
    answers(n2, "event", end + 2 * DAY, _given(qs, 4), at_event=elsewhere)
    answers(a1, "challenge", end + 3 * DAY, _given(qs, 5))
    answers(n1, "practice", end + 10 * DAY, _given(qs, 3), law)
    answers(a2, "practice", end + 29 * DAY, _given(qs, 4), law)
    answers(n1, "practice", end + 31 * DAY, _given(qs, 0), law)
    db.session.flush()
    return e, qs


def _cells(gain, group):
    return {p: (gain[group][p]["people"], gain[group][p]["answers"], gain[group][p]["correct"], gain[group][p]["accuracy"])
            for p in ("before", "on_site", "after")}


def test_attendees_and_others_before_on_site_and_after(case):
    e, _ = case
    gain = event_gain(e, e.ends_at + 40 * DAY)
    assert _cells(gain, "attendees") == {"before": (2, 10, 3, 30.0), "on_site": (2, 9, 6, 66.7), "after": (2, 10, 9, 90.0)}
    assert _cells(gain, "others") == {"before": (1, 5, 3, 60.0), "on_site": (0, 0, 0, None), "after": (2, 10, 7, 70.0)}
    assert (gain["attendees"]["gain"], gain["others"]["gain"], gain["difference"]) == (60.0, 10.0, 50.0)
    assert gain["complete"] and not gain["too_few"]
    assert summary(gain) == [
        "到场者活动后30天的正确率比活动前30天提高60.0个百分点（30.0% → 90.0%）。",
        "未到场者活动后30天的正确率比活动前30天提高10.0个百分点（60.0% → 70.0%）。",
        "到场者比未到场的人多提高 50.0 个百分点。",
    ]


def test_before_the_30_days_after_are_over_after_runs_to_today(case):
    e, _ = case
    gain = event_gain(e, e.ends_at + 5 * DAY)
    # Only a1's 5 of 5 (3 days after) and n2's 4 of 5 (2 days after) have happened.
    assert _cells(gain, "attendees")["after"] == (1, 5, 5, 100.0)
    assert _cells(gain, "others")["after"] == (1, 5, 4, 80.0)
    assert not gain["complete"] and gain["after_until"] == (START + 5 * DAY).date()
    # e ends at 11:00 Beijing time on 3-15; counted 5 days later at that hour.
    assert summary(gain)[-1] == "活动结束未满30天，“活动后”截至2026年3月20日 11:00（北京时间）统计时，此后每天重新统计。"


def test_a_cell_with_few_answers_is_marked_not_hidden(make):
    law = make.category()
    qs = make.questions(4, law)
    e = event(make, "法治讲座", "lecture", make.org_unit(kind="department"), START)
    e.quiz_category_id = law.id
    came, away = make.user(), make.user()
    check_in(e, came)
    answers(came, "practice", e.starts_at - DAY, _given(qs, 1), law)       # 4 answers: too few
    answers(came, "practice", e.ends_at + DAY, _given(qs, 3), law)
    answers(came, "daily", e.ends_at + 2 * DAY, _given(qs, 4))
    answers(away, "practice", e.starts_at - DAY, _given(qs, 2), law)
    answers(away, "practice", e.starts_at - 2 * DAY, _given(qs, 2), law)
    answers(away, "practice", e.ends_at + DAY, [(qs[0], True), (qs[1], True), (qs[2], True), (qs[3], False)], law)
    answers(away, "practice", e.ends_at + 3 * DAY, [(qs[0], True)], law)
    db.session.flush()
    gain = event_gain(e, e.ends_at + 40 * DAY)
    before = gain["attendees"]["before"]
    assert (before["answers"], before["accuracy"], before["too_few"]) == (4, 25.0, True)
    assert gain["attendees"]["gain"] == 62.5 and gain["attendees"]["too_few"]  # 7/8 = 87.5%
    assert not gain["others"]["too_few"] and gain["others"]["gain"] == 30.0   # 4/8 → 4/5
    assert gain["too_few"] and "样本太少" in summary(gain)[-1]


def test_no_on_site_quiz_no_gain_and_nothing_yet_before_the_end(make):
    e = event(make, "普法宣讲", "outreach", make.org_unit(kind="department"), START)
    assert event_gain(e) is None
    e.quiz_category_id = make.category().id
    gain = event_gain(e, e.starts_at)
    assert not gain["ended"] and gain["attendees"]["before"]["answers"] == 0 and gain["difference"] is None
    assert summary(gain) == ["活动尚未结束，结束后可比较到场者与未到场者活动前后的答题正确率。"]


def test_one_statement_per_event_and_four_per_year_however_many_answers(case, make, count_queries):
    """The event: its town, whether that is the only one, its count. The year: its events,
    their kept gains, the town question, one count of the others and their keeping (for
    good, and as last counted for one still in its days after)."""
    e, qs = case
    now = e.ends_at + 40 * DAY
    in_days_after = event(make, "宪法宣讲", "outreach", make.org_unit(kind="department"), e.ends_at + 20 * DAY)
    in_days_after.quiz_category_id = qs[0].category_id
    db.session.flush()
    with count_queries() as few:
        small = event_gain(e, now)
        small_year = year_gain(*year_bounds(2026), now)
    for i in range(30):
        person = make.user()
        if i % 2:
            check_in(e, person)
        answers(person, "practice", e.starts_at - (1 + i % 20) * DAY, _given(qs, i % 5), qs[0].category)
        answers(person, "practice", e.ends_at + (1 + i % 20) * DAY, _given(qs, 5), qs[0].category)
        later = event(make, f"宣讲{i}", "outreach", make.org_unit(kind="department"), START + (1 + i) * DAY)
        later.quiz_category_id = qs[0].category_id
        check_in(later, person)
    db.session.flush()
    with count_queries() as many:
        big = event_gain(e, now)
        big_year = year_gain(*year_bounds(2026), now)
    assert big["attendees"]["after"]["answers"] == small["attendees"]["after"]["answers"] + 15 * 5
    assert (len(small_year["events"]), len(big_year["events"])) == (3, 33)
    assert len(few) == len(many) == 9


def test_the_years_events_with_an_on_site_quiz(case, make):
    e, _ = case
    make.category()  # an event without an on-site quiz is not listed
    event(make, "没有现场答题的宣讲", "outreach", make.org_unit(kind="department"), START + DAY)
    year = year_gain(*year_bounds(2026), e.ends_at + 40 * DAY)
    assert [(r["title"], r["law"], r["date"]) for r in year["events"]] == [
        ("宪法进万家", "宪法（测试）", START.date()), ("宪法进校园", "宪法（测试）", (START + 2 * DAY).date()),
    ]
    # 宪法进校园: n2 came, 4 of 5 on-site and nothing before: not compared.
    assert year["events"][1]["attendees"]["on_site"]["answers"] == 5 and year["events"][1]["too_few"]
    assert (year["compared"], year["attendees"], year["others"], year["difference"]) == (1, 60.0, 10.0, 50.0)
    # Events still going on or to come are not held yet.
    assert [r["title"] for r in year_gain(*year_bounds(2026), at(2026, 3, 16, 9))["events"]] == ["宪法进万家"]


def test_the_years_figures_and_report_sentence(case):
    e, _ = case
    f = year_figures(2026, e.ends_at + 40 * DAY)
    assert [r["title"] for r in f["learning_gain"]["events"]] == ["宪法进万家", "宪法进校园"]
    assert "开展现场答题的2场活动中，1场活动前后答题足够比较，到场者活动后正确率平均提高60.0个百分点，未到场者平均提高10.0个百分点。" \
        in f["headlines"]


def test_the_years_workbook_lists_each_events_gain(case):
    import io

    from openpyxl import load_workbook

    from reports.workbook import GAIN_HEADERS, figures_xlsx

    e, _ = case
    ws = load_workbook(io.BytesIO(figures_xlsx(year_figures(2026, e.ends_at + 40 * DAY))))["学习成效"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == tuple(GAIN_HEADERS)
    assert rows[1] == (datetime(2026, 3, 15), "宪法进万家", "宪法（测试）", 10, 30.0, 9, 66.7, 10, 90.0, 60.0,
                       5, 60.0, 10, 70.0, 10.0, 50.0, None)
    assert rows[2][1] == "宪法进校园" and rows[2][-1].startswith("到场者活动前答题不足5道，样本太少")
    assert len(rows) == 3


def test_the_windows_edges_and_the_event_itself(make):
    """Each edge once: an answer at starts_at − 30 days and one at ends_at + 30 days count,
    a second beyond them does not; answers during the event (not at its on-site quiz) count
    in neither window, nor does one at starts_at or at ends_at themselves; another law's
    answers in the windows do not count."""
    law, other = make.category(), make.category()
    qs, elsewhere = make.questions(2, law), make.questions(1, other)
    e = event(make, "宪法宣讲", "lecture", make.org_unit(kind="department"), START)
    e.quiz_category_id = law.id
    who = make.user()
    second = timedelta(seconds=1)
    for when, ok in ((e.starts_at - 30 * DAY, True), (e.starts_at - 30 * DAY - second, False), (e.starts_at - second, False),
                     (e.starts_at, True), (e.starts_at + timedelta(minutes=30), True), (e.ends_at, True),
                     (e.ends_at + second, False), (e.ends_at + 30 * DAY, True), (e.ends_at + 30 * DAY + second, False)):
        answers(who, "practice", when, [(qs[0], ok)], law)
    answers(who, "practice", e.starts_at - DAY, [(elsewhere[0], True)], other)
    answers(who, "practice", e.ends_at + DAY, [(elsewhere[0], True)], other)
    db.session.flush()
    gain = event_gain(e, e.ends_at + 40 * DAY)
    assert _cells(gain, "others") == {"before": (1, 2, 1, 50.0), "on_site": (0, 0, 0, None), "after": (1, 2, 1, 50.0)}
    # `now` one second short of the last answer that counts: "after" stops at now.
    assert _cells(event_gain(e, e.ends_at + 30 * DAY - second), "others")["after"] == (1, 1, 0, 0.0)


# -- kept for good once final --------------------------------------------------------


def _gain_case(make):
    """An event of 2025-03-15 with an on-site quiz of its law: one attendee answered 2 of 5
    of the law the week before and 5 of 5 the week after."""
    law = make.category(name="宪法（测试）")
    qs = make.questions(5, law)
    e = event(make, "宪法进万家", "constitution_day", make.org_unit(kind="department", name="司法所"), datetime(2025, 3, 15, 9, 0))
    e.quiz_category_id = law.id
    person = make.user()
    check_in(e, person)
    answers(person, "practice", e.starts_at - timedelta(days=7), [(q, i < 2) for i, q in enumerate(qs)], law)
    answers(person, "practice", e.ends_at + timedelta(days=7), [(q, True) for q in qs], law)
    db.session.flush()
    return e, person, qs, law


def _kept_gains() -> int:
    return db.session.scalar(select(db.func.count()).select_from(FigureSnapshot).where(FigureSnapshot.kind.like("gain/%")))


def _live_gains() -> int:
    return db.session.scalar(select(db.func.count()).select_from(FigureSnapshot).where(FigureSnapshot.kind.like("gain_live/%")))


def test_in_its_30_days_after_an_events_page_shows_its_gain_as_counted_within_a_day(make):
    e, person, qs, law = _gain_case(make)
    during = gain_of(e, now=at(2025, 3, 30, 12, 0))
    assert during["complete"] is False and during["attendees"]["after"]["answers"] == 5
    assert during["counted_at"] == at(2025, 3, 30, 12, 0)
    assert _kept_gains() == 0 and _live_gains() == 1  # answers of the days left would change it
    answers(person, "practice", at(2025, 3, 31, 9, 0), [(q, False) for q in qs], law)
    db.session.flush()
    # Within a day the page shows that count, and says when it was made.
    shown = gain_of(e, now=at(2025, 3, 31, 11, 0))
    assert shown == during and shown["attendees"]["after"]["answers"] == 5
    assert "2025年3月30日 12:00（北京时间）统计" in summary(shown)[-1]
    # A day later it is counted again.
    assert gain_of(e, now=at(2025, 3, 31, 12, 1))["attendees"]["after"]["answers"] == 10
    # The nightly count of the year's figures counts it afresh, and the page reads that.
    answers(person, "practice", at(2025, 4, 1, 9, 0), [(q, True) for q in qs], law)
    db.session.flush()
    nightly = year_gain(*year_bounds(2025), at(2025, 4, 2, 2, 0))["events"][0]
    assert nightly["attendees"]["after"]["answers"] == 15
    assert gain_of(e, now=at(2025, 4, 2, 9, 0)) == nightly
    # An edited event is counted again at once.
    e.ends_at += timedelta(hours=1)
    db.session.flush()
    assert gain_of(e, now=at(2025, 4, 2, 9, 30))["counted_at"] == at(2025, 4, 2, 9, 30)


def test_an_event_still_going_on_is_counted_at_every_view(make):
    e, person, qs, law = _gain_case(make)
    going_on = e.starts_at + timedelta(minutes=30)
    assert gain_of(e, now=going_on)["attendees"]["on_site"]["answers"] == 0
    answers(person, "event", going_on, [(q, True) for q in qs], at_event=e)
    db.session.flush()
    assert gain_of(e, now=going_on + timedelta(minutes=1))["attendees"]["on_site"]["answers"] == 5
    assert _live_gains() == 0


def test_a_final_gain_is_kept_and_read_back_as_counted(make):
    e, person, qs, law = _gain_case(make)
    later = at(2025, 6, 1, 12, 0)
    first = gain_of(e, now=later)
    assert first == event_gain(e, later) and first["complete"] is True and _kept_gains() == 1
    assert first["attendees"]["gain"] == 60.0 and first["date"] == date(2025, 3, 15)
    # The kept count is what is shown: an answer put into the window afterwards (the app
    # never backdates one) is not counted, by the page or the year; a new title is shown.
    answers(person, "practice", e.ends_at + timedelta(days=3), [(q, False) for q in qs], law)
    e.title = "宪法进万家（更正）"
    db.session.flush()
    shown = gain_of(e, now=at(2025, 7, 1, 12, 0))
    assert shown == {**first, "title": "宪法进万家（更正）"}
    assert year_gain(*year_bounds(2025), at(2025, 7, 1, 12, 0))["events"] == [shown]
    refresh(at(2025, 7, 2, 0, 0), echo=lambda line: None)
    assert _kept_gains() == 1  # the nightly count leaves it alone
    # Asked as it stood before it was final, it is counted.
    assert gain_of(e, now=at(2025, 4, 1, 12, 0))["attendees"]["after"]["answers"] == 10


def test_the_year_keeps_each_final_gain_it_counts(make):
    e, person, qs, law = _gain_case(make)
    assert len(year_gain(*year_bounds(2025), at(2025, 4, 1, 12, 0))["events"]) == 1 and _kept_gains() == 0
    counted = year_gain(*year_bounds(2025), at(2025, 6, 1, 12, 0))["events"]
    assert _kept_gains() == 1 and gain_of(e, now=at(2025, 6, 2, 12, 0)) == counted[0]


def test_a_kept_gain_is_counted_again_when_the_event_changes(make):
    e, person, qs, law = _gain_case(make)
    later = at(2025, 6, 1, 12, 0)
    assert gain_of(e, now=later)["attendees"]["after"]["answers"] == 5
    e.ends_at += timedelta(days=10)  # the clerk fixes the event's end: the week after is now during it
    db.session.flush()
    again = gain_of(e, now=later)
    assert again["attendees"]["after"]["answers"] == 0 and _kept_gains() == 1
    other = make.category(name="民法典（测试）")
    e.quiz_category_id = other.id
    db.session.flush()
    assert gain_of(e, now=later)["law"] == "民法典（测试）"
    e.quiz_category_id = None
    assert gain_of(e, now=later) is None


# -- a district of several towns ---------------------------------------------------------


def test_a_districts_event_compares_its_own_towns_people_only(make):
    """With two towns, an event's non-attendees are the other people of its town: a
    neighbouring town's answers are neither counted nor shown to the event's town; a
    neighbour who came is an attendee. The district's year counts each event with its own
    town's people."""
    law = make.category(name="宪法（测试）")
    qs = make.questions(5, law)
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    e = event(make, "宪法进万家", "constitution_day", make.org_unit(kind="department", town=east), START)
    w = event(make, "宪法进校园", "school", make.org_unit(kind="department", town=west), START)
    e.quiz_category_id = w.quiz_category_id = law.id
    guest = make.user(org_unit=make.org_unit(town=west))  # of 西岭, came to 东湖's event
    home = make.user(org_unit=make.org_unit(town=east))
    away = make.user(org_unit=make.org_unit(town=west))
    unplaced = make.user()  # chose no unit: of no town in a district
    check_in(e, guest)
    for person, right_before, right_after in ((guest, 1, 4), (home, 2, 3), (away, 5, 0), (unplaced, 5, 0)):
        answers(person, "practice", e.starts_at - 3 * DAY, _given(qs, right_before), law)
        answers(person, "practice", e.ends_at + 3 * DAY, _given(qs, right_after), law)
    db.session.flush()
    later = e.ends_at + 40 * DAY
    gain = event_gain(e, later)
    assert _cells(gain, "attendees") == {"before": (1, 5, 1, 20.0), "on_site": (0, 0, 0, None), "after": (1, 5, 4, 80.0)}
    assert _cells(gain, "others") == {"before": (1, 5, 2, 40.0), "on_site": (0, 0, 0, None), "after": (1, 5, 3, 60.0)}
    assert gain_of(e, now=later) == gain
    # 西岭's event: nobody came; its others are 西岭's two, the guest among them.
    west_gain = event_gain(w, later)
    assert _cells(west_gain, "others")["before"] == (2, 10, 6, 60.0)
    assert west_gain["attendees"]["before"]["answers"] == 0
    year = year_gain(*year_bounds(2026), later)
    assert [(r["title"], r["others"]["before"]["people"]) for r in year["events"]] == [("宪法进万家", 1), ("宪法进校园", 2)]
    assert [r["attendees"]["before"]["people"] for r in year_gain(*year_bounds(2026), later, town_id=east.id)["events"]] == [1]


def test_a_kept_gain_is_counted_again_when_its_event_moves_to_another_town(make):
    law = make.category(name="宪法（测试）")
    qs = make.questions(5, law)
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    e = event(make, "宪法进万家", "constitution_day", make.org_unit(kind="department", town=east), START)
    e.quiz_category_id = law.id
    for town, right in ((east, 1), (west, 4)):
        answers(make.user(org_unit=make.org_unit(town=town)), "practice", e.starts_at - DAY, _given(qs, right), law)
    db.session.flush()
    later = e.ends_at + 40 * DAY
    assert gain_of(e, now=later)["others"]["before"]["correct"] == 1 and _kept_gains() == 1
    e.org_unit = make.org_unit(kind="department", town=west)  # entered under the wrong town, moved
    db.session.flush()
    assert gain_of(e, now=later)["others"]["before"]["correct"] == 4
