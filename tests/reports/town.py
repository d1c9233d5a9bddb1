"""A township's 2025, built with the factories, whose figures are counted by hand in
tests/reports/test_figures.py. Times are written in Beijing time and stored as UTC.

The tests look from two moments: 2025-12-06 10:00 (the year still running) and
2026-01-10 10:00 (the year over).

Events (organiser; who checked in):
  E0  2024-12-31 23:00 → 2025-01-01 00:30 法治讲座, 派出所; d (00:10 on New Year's Day)   belongs to 2024
  E5  2025-01-01 00:30 → 02:30 普法宣讲, 司法所; b              (UTC: still 2024-12-31)
  E4  2025-03-22 水法宣传, 司法所; nobody                        held, 0 reached
  E2  2025-06-26 禁毒日, 派出所; a
  E1  2025-12-04 宪法宣传日, 司法所; a b c d, on-site quiz a 4/5, b 3/5, c 0/5; 2 photos
  E7  2025-12-06 09:00 → 12:00 普法宣讲, 综合执法大队; d         going on at EARLY_DECEMBER
  E6  2025-12-16 法治讲座, 司法所; nobody; 1 photo               in the future at EARLY_DECEMBER
  E3  2025-12-31 20:00 → 2026-01-01 01:00 普法宣讲, 派出所; a, c (00:10 on New Year's Day); on-site quiz a 4/4

Residents: a, b of 东湖村, c of 西山社区, d who gave no village.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from activities.models import CheckIn, Event, EventPhoto
from core.extensions import db
from core.timeutil import from_local
from points.models import PointsEntry, Redemption
from quiz_bank.exams.models import ExamAttempt
from quiz_bank.models import Quiz, QuizItem

def at(*local) -> datetime:
    """A Beijing time as stored (naive UTC)."""
    return from_local(datetime(*local))


def event(make, title: str, kind: str, unit, start: datetime, end: datetime | None = None) -> Event:
    start = from_local(start)
    end = from_local(end) if end else start + timedelta(hours=2)
    return make.event(title=title, kind=kind, org_unit=unit, starts_at=start, ends_at=end)


def check_in(e: Event, user, local: datetime | None = None) -> None:
    db.session.add(CheckIn(event_id=e.id, user_id=user.id,
                           checked_in_at=from_local(local) if local else e.starts_at + timedelta(minutes=5)))


def photo(e: Event, n: int) -> None:
    db.session.add(EventPhoto(event_id=e.id, sha256=f"{e.id:032x}{n:032x}", mime_type="image/jpeg", size_bytes=100,
                              width=4, height=3, created_at=e.starts_at + timedelta(minutes=30)))


def on_site_quiz(e: Event, user, answered: int, correct: int, size: int = 5) -> None:
    db.session.add(Quiz(user_id=user.id, mode="event", event_id=e.id, status="finished" if answered == size else "in_progress",
                        question_count=size, answered_count=answered, correct_count=correct, started_at=e.starts_at,
                        closes_at=e.ends_at))


def answers(user, mode: str, when: datetime, given: list[tuple], category=None, at_event: Event | None = None) -> Quiz:
    """A quiz of `mode` answered at `when` (naive UTC): `given` is [(question, correct or None if unanswered)]."""
    quiz = Quiz(user_id=user.id, mode=mode, category_id=category.id if category else None, status="finished",
                question_count=len(given), answered_count=sum(ok is not None for _, ok in given),
                correct_count=sum(bool(ok) for _, ok in given), started_at=when,
                event_id=at_event.id if at_event else None, closes_at=at_event.ends_at if at_event else None)
    db.session.add(quiz)
    db.session.flush()
    for i, (question, ok) in enumerate(given):
        db.session.add(QuizItem(quiz_id=quiz.id, question_id=question.id, position=i, answer=["A"] if ok is not None else None,
                                correct=ok, answered_at=when if ok is not None else None))
    return quiz


def attempt(exam, cadre, status: str, score: int, when: datetime, number: int = 1) -> None:
    db.session.add(ExamAttempt(exam_id=exam.id, user_id=cadre.user_id, cadre_id=cadre.id, number=number, status=status,
                               started_at=when, deadline=when + timedelta(hours=1), submitted_at=when + timedelta(minutes=40),
                               score=score, passed=score >= exam.pass_score, total_score=100, pass_score=exam.pass_score, paper=[]))


_keys = iter(range(1, 10**9))


def points(user, delta: int, reason: str, when: datetime) -> None:
    db.session.add(PointsEntry(user_id=user.id, delta=delta, reason=reason, idempotency_key=f"town:{next(_keys)}",
                               balance_after=100, created_at=when))


def redemption(user, reward, status: str, when: datetime) -> None:
    db.session.add(Redemption(user_id=user.id, reward_id=reward.id, cost=reward.cost, status=status,
                              pickup_code=f"T{next(_keys):09d}", month=f"{when:%Y-%m}", created_at=when,
                              expires_at=when + timedelta(days=30), handed_over_at=when if status == "handed_over" else None))


@dataclass
class Town:
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    laws: dict = field(default_factory=dict)
    cadres: dict = field(default_factory=dict)
    exams: dict = field(default_factory=dict)
    rewards: dict = field(default_factory=dict)


def build_town(make) -> Town:
    t = Town()
    u = t.units = {name: make.org_unit(kind=kind, name=name) for name, kind in (
        ("东湖村", "village"), ("西山社区", "community"), ("司法所", "department"), ("派出所", "department"),
        ("综合执法大队", "department"))}
    p = t.people = {
        "a": make.user(real_name="张三", org_unit_id=u["东湖村"].id),
        "b": make.user(real_name="李四", org_unit_id=u["东湖村"].id),
        "c": make.user(real_name="王五", org_unit_id=u["西山社区"].id),
        "d": make.user(real_name="赵六", org_unit_id=None),
    }
    a, b, c, d = (p[k] for k in "abcd")

    e = t.events = {
        "E0": event(make, "岁末法治讲座", "lecture", u["派出所"], datetime(2024, 12, 31, 23, 0), datetime(2025, 1, 1, 0, 30)),
        "E5": event(make, "元旦普法宣讲", "outreach", u["司法所"], datetime(2025, 1, 1, 0, 30)),
        "E4": event(make, "水法宣传进校园", "water_week", u["司法所"], datetime(2025, 3, 22, 9, 0)),
        "E2": event(make, "禁毒宣传进社区", "antidrug_day", u["派出所"], datetime(2025, 6, 26, 9, 0)),
        "E1": event(make, "宪法进万家", "constitution_day", u["司法所"], datetime(2025, 12, 4, 9, 0)),
        "E7": event(make, "民法典进村宣讲", "outreach", u["综合执法大队"], datetime(2025, 12, 6, 9, 0), datetime(2025, 12, 6, 12, 0)),
        "E6": event(make, "年终法治讲座", "lecture", u["司法所"], datetime(2025, 12, 16, 9, 0)),
        "E3": event(make, "跨年普法夜", "outreach", u["派出所"], datetime(2025, 12, 31, 20, 0), datetime(2026, 1, 1, 1, 0)),
    }
    check_in(e["E0"], d, datetime(2025, 1, 1, 0, 10))
    check_in(e["E5"], b)
    check_in(e["E2"], a)
    for person in (a, b, c, d):
        check_in(e["E1"], person)
    check_in(e["E7"], d)
    check_in(e["E3"], a, datetime(2025, 12, 31, 20, 5))
    check_in(e["E3"], c, datetime(2026, 1, 1, 0, 10))
    on_site_quiz(e["E1"], b, 5, 3)
    on_site_quiz(e["E1"], c, 0, 0)          # opened, nothing answered: no participation
    on_site_quiz(e["E3"], a, 4, 4, size=4)
    photo(e["E1"], 1)
    photo(e["E1"], 2)
    photo(e["E6"], 1)

    # Online learning. 民法典 comes first in the bank, 宪法 second.
    law = t.laws = {"民法典": make.category(name="民法典（测试）", sort_order=1), "宪法": make.category(name="宪法（测试）", sort_order=2)}
    civil = make.questions(3, law["民法典"], source="《民法典》第一千零七十九条")
    const = make.questions(2, law["宪法"], source="《宪法》第三十三条")
    answers(a, "practice", at(2025, 3, 10, 20, 0), [(civil[0], True), (civil[1], True), (civil[2], False)], law["民法典"])
    answers(a, "practice", at(2025, 3, 11, 20, 0), [(civil[0], None)], law["民法典"])        # drawn, never answered
    answers(d, "practice", at(2025, 7, 1, 8, 0), [(const[0], False)], law["宪法"])
    answers(b, "daily", at(2025, 12, 31, 23, 30), [(civil[0], True), (const[1], False)])    # 15:30 UTC: still 2025
    answers(c, "challenge", at(2026, 1, 1, 0, 30), [(const[0], True)])                      # 2026 in Beijing
    answers(d, "practice", at(2024, 12, 31, 23, 59), [(civil[1], True)], law["民法典"])      # 2024
    # a's on-site quiz at E1, 4 of 5: answers at an event are not online learning.
    answers(a, "event", at(2025, 12, 4, 9, 30), [(q, True) for q in (*civil, const[0])] + [(const[1], False)], at_event=e["E1"])

    # Exams. 司法所: k1, k2; 派出所: k3, k4 (newly promoted); 综合执法大队: k5, no longer active.
    k = t.cadres = {
        "k1": make.cadre(make.user(), org_unit=u["司法所"], name="钱一"),
        "k2": make.cadre(make.user(), org_unit=u["司法所"], name="孙二"),
        "k3": make.cadre(make.user(), org_unit=u["派出所"], name="周三"),
        "k4": make.cadre(make.user(), org_unit=u["派出所"], name="吴四", newly_promoted=True),
        "k5": make.cadre(make.user(), org_unit=u["综合执法大队"], name="郑五", active=False),
    }
    rules = [(law["民法典"], "single", 5, 20)]
    x = t.exams = {
        "A0": make.exam(rules, title="2024年度学法考试", opens_at=at(2024, 11, 1, 9), closes_at=at(2024, 11, 30, 18)),
        "A1": make.exam(rules, title="2025年度学法考试", opens_at=at(2025, 11, 1, 9), closes_at=at(2025, 11, 30, 18),
                        attempts_allowed=2),
        "N1": make.exam(rules, title="2025年第一批任前考试", kind="new_leader", assign_all=False, assign_new_leaders=True,
                        opens_at=at(2025, 9, 1, 9), closes_at=at(2025, 9, 2, 18)),
        "N2": make.exam(rules, title="2025年第二批任前考试", kind="new_leader", assign_all=False, assign_new_leaders=True,
                        opens_at=at(2025, 10, 1, 9), closes_at=at(2025, 10, 2, 18)),
    }
    x["M1"] = make.exam(rules, title="2025年度学法考试补考", kind="makeup", assign_all=False, makeup_of_id=x["A1"].id,
                        opens_at=at(2025, 12, 10, 9), closes_at=at(2026, 1, 20, 18))
    x["M1"].cadres = [k["k3"]]
    attempt(x["A0"], k["k1"], "submitted", 90, at(2024, 11, 2, 9))
    attempt(x["A1"], k["k1"], "submitted", 80, at(2025, 11, 2, 9))
    attempt(x["A1"], k["k2"], "submitted", 40, at(2025, 11, 2, 9))
    attempt(x["A1"], k["k2"], "submitted", 70, at(2025, 11, 3, 9), number=2)   # passed the second time
    attempt(x["A1"], k["k3"], "expired", 50, at(2025, 11, 2, 9))
    attempt(x["A1"], k["k5"], "submitted", 100, at(2025, 11, 2, 9))              # inactive now: not counted
    attempt(x["N1"], k["k4"], "submitted", 85, at(2025, 9, 1, 10))
    attempt(x["M1"], k["k3"], "submitted", 90, at(2025, 12, 11, 9))

    # Points and rewards.
    points(a, 10, "practice_correct", at(2025, 3, 10, 20, 0))
    points(a, 3, "checkin", at(2025, 12, 4, 9, 5))
    points(b, 5, "daily_perfect", at(2025, 12, 31, 23, 30))
    points(a, -8, "redeem", at(2025, 12, 5, 10, 0))
    points(a, 8, "refund", at(2025, 12, 5, 10, 30))
    points(a, -8, "redeem", at(2025, 12, 5, 11, 0))
    points(c, 4, "challenge", at(2026, 1, 1, 0, 30))
    points(d, 2, "checkin", at(2024, 12, 31, 23, 59))
    r = t.rewards = {"洗衣液": make.reward(name="洗衣液", cost=8), "帆布袋": make.reward(name="普法宣传帆布袋", cost=5)}
    redemption(a, r["洗衣液"], "cancelled", at(2025, 12, 5, 10, 0))
    redemption(a, r["洗衣液"], "handed_over", at(2025, 12, 5, 11, 0))
    redemption(b, r["帆布袋"], "pending", at(2025, 12, 5, 12, 0))
    redemption(b, r["帆布袋"], "expired", at(2025, 6, 1, 12, 0))
    redemption(c, r["帆布袋"], "handed_over", at(2026, 1, 2, 9, 0))
    db.session.flush()
    return t
