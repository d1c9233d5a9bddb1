"""The demo town's cadre roster and exams: last year's exam (closed, with results and
a certificate for demo-cadre), this year's exam open now, and an upcoming exam for
newly promoted leaders. Attempts are replayed through the real exam services."""
import random
from datetime import timedelta

from faker import Faker
from sqlalchemy import select

from accounts.models import Cadre, User
from accounts.roster import new_code
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams import attempts
from quiz_bank.exams.models import Exam, PaperRule
from quiz_bank.models import Category

POSITIONS = ["科员", "副主任", "主任", "副所长", "所长", "副队长", "村党支部书记", "社区主任"]
# (law, type, count, points): 50 questions, 100 points.
ANNUAL_RULES = [
    ("宪法", "single", 10, 2), ("民法典", "single", 10, 2), ("民法典", "multiple", 5, 4),
    ("行政处罚法", "single", 5, 2), ("行政处罚法", "true_false", 10, 1), ("长江保护法", "single", 5, 2),
    ("信访工作条例", "true_false", 5, 2),
]
NEW_LEADER_RULES = [("宪法", "single", 10, 3), ("民法典", "multiple", 5, 4), ("信访工作条例", "single", 10, 3), ("行政处罚法", "true_false", 10, 2)]


def seed_exams(cadre_ids: list[int], demo_cadre_id: int, department_ids: list[int], rng: random.Random, fake: Faker) -> str:
    now = utcnow()
    used_phones: set[str] = set()

    def phone() -> str:
        while True:
            p = fake.phone_number()
            if p not in used_phones:
                used_phones.add(p)
                return p

    roster = []
    for user in db.session.scalars(select(User).where(User.id.in_(cadre_ids + [demo_cadre_id])).order_by(User.id)):
        roster.append(Cadre(name=user.real_name, phone=phone(), org_unit_id=user.org_unit_id, position=rng.choice(POSITIONS),
                            newly_promoted=rng.random() < 0.15, binding_code=new_code(), user_id=user.id, bound_at=now - timedelta(days=30)))
    # Some cadres on the roster have not bound an account yet: their codes are on the sheet to hand out.
    for _ in range(8):
        roster.append(Cadre(name=fake.name(), phone=phone(), org_unit_id=rng.choice(department_ids),
                            position=rng.choice(POSITIONS), newly_promoted=rng.random() < 0.3, binding_code=new_code()))
    db.session.add_all(roster)
    db.session.flush()

    cats = {c.name: c.id for c in db.session.scalars(select(Category))}

    def exam(title, kind, opens, closes, rules, **kw):
        e = Exam(title=title, kind=kind, opens_at=opens, closes_at=closes, **kw)
        e.rules = [PaperRule(category_id=cats[law], qtype=t, count=n, points=p) for law, t, n, p in rules]
        db.session.add(e)
        return e

    last_year = exam(f"{now.year - 1}年度领导干部学法考试", "annual", now - timedelta(days=380), now - timedelta(days=350), ANNUAL_RULES,
                     duration_minutes=60, pass_score=60, attempts_allowed=2, assign_all=True, review_policy="after_close")
    this_year = exam(f"{now.year}年度领导干部学法考试", "annual", now - timedelta(days=5), now + timedelta(days=14), ANNUAL_RULES,
                     duration_minutes=60, pass_score=60, attempts_allowed=2, assign_all=True, review_policy="after_close")
    exam(f"{now.year}年第四季度新提拔领导干部任前法律知识考试", "new_leader", now + timedelta(days=10), now + timedelta(days=12),
         NEW_LEADER_RULES, duration_minutes=45, pass_score=70, attempts_allowed=1, assign_new_leaders=True, review_policy="after_submit")
    db.session.commit()

    sat = 0
    for cadre in roster:
        if cadre.user_id is None:
            continue
        # Last year: almost everyone sat it (demo-cadre passed, so a certificate is there).
        if cadre.user_id == demo_cadre_id or rng.random() < 0.9:
            _sit(cadre.user_id, last_year.id, last_year.opens_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)),
                 0.92 if cadre.user_id == demo_cadre_id else rng.uniform(0.45, 0.95), rng)
            sat += 1
        # This year: about half so far; demo-cadre's turn is still to come.
        if cadre.user_id != demo_cadre_id and rng.random() < 0.5:
            _sit(cadre.user_id, this_year.id, now - timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8)), rng.uniform(0.4, 0.98), rng)
            sat += 1
    return f"干部名册 {len(roster)} 人；考试 3 场（去年已结束、今年进行中、新提拔干部任前考试即将开始），已交卷 {sat} 份"


def _sit(user_id: int, exam_id: int, start, skill: float, rng: random.Random) -> None:
    attempt, _ = attempts.start_attempt(user_id, exam_id, now=start)
    attempt_id = attempt.id
    plan = []
    for n, (question, order) in enumerate(attempts.paper_of(attempt)):
        if rng.random() < skill:
            given = question.answer
        else:
            given = [next(o["key"] for o in question.options if o["key"] not in question.answer)]
        plan.append((question.id, attempts.shown_keys(order, given), start + timedelta(seconds=30 * (n + 1))))
    for question_id, given, at in plan:
        attempts.save_answer(user_id, attempt_id, question_id, given, now=at)
    attempts.submit(user_id, attempt_id, now=start + timedelta(minutes=35))
