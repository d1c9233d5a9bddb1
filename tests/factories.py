"""Factories: real rows with Faker (zh_CN) data, each overridable per test."""
import itertools
from datetime import timedelta

from faker import Faker
from sqlalchemy import select

from accounts.models import AdminUser, Cadre, OrgUnit, User
from accounts.roster import new_code
from core.extensions import db
from core.timeutil import utcnow
from activities.models import Event
from points import ledger
from points.models import Reward
from quiz_bank.exams.models import Exam, PaperRule
from quiz_bank.models import Category, Question
from quiz_bank.questions import create_question, recount

fake = Faker("zh_CN")
_seq = itertools.count(1)


DEFAULT_TOWN = "测试镇"


class Factories:
    def org_unit(self, **kw) -> OrgUnit:
        """A unit (a village unless told otherwise) of `town` (an OrgUnit of kind town),
        or of the test's default town, made when first needed: with it, a test that
        does not care about towns runs as a township of one town."""
        kind = kw.pop("kind", "village")
        town = kw.pop("town", None)
        if kind != "town" and "parent" not in kw and "parent_id" not in kw:
            kw["parent"] = town or self.default_town()
        unit = OrgUnit(name=kw.pop("name", None) or f"{fake.last_name()}家{next(_seq)}村", kind=kind, **kw)
        db.session.add(unit)
        db.session.flush()
        return unit

    def town(self, **kw) -> OrgUnit:
        return self.org_unit(kind="town", name=kw.pop("name", None) or f"{fake.city_name()}镇{next(_seq)}", **kw)

    def default_town(self) -> OrgUnit:
        found = db.session.scalar(select(OrgUnit).where(OrgUnit.kind == "town", OrgUnit.name == DEFAULT_TOWN))
        return found or self.org_unit(kind="town", name=DEFAULT_TOWN)

    def user(self, **kw) -> User:
        n = next(_seq)
        user = User(openid=kw.pop("openid", f"dev:test-{n}-{fake.pystr(8)}"), nickname=kw.pop("nickname", fake.name()),
                    real_name=kw.pop("real_name", fake.name()), **kw)
        db.session.add(user)
        db.session.flush()
        return user

    def category(self, **kw) -> Category:
        n = next(_seq)
        cat = Category(name=kw.pop("name", f"{fake.word()}法{n}"), slug=kw.pop("slug", f"law-{n}"), description=kw.pop("description", fake.sentence()), **kw)
        db.session.add(cat)
        db.session.flush()
        return cat

    def question(self, category: Category | None = None, **kw) -> Question:
        category = category or self.category()
        qtype = kw.pop("type", "single")
        n = next(_seq)
        if qtype == "true_false":
            options, answer = [], kw.pop("answer", ["T"])
        else:
            options = kw.pop("options", None) or [{"key": k, "text": f"{fake.sentence(nb_words=4)}{n}{k}"} for k in "ABCD"]
            answer = kw.pop("answer", ["A", "C"] if qtype == "multiple" else ["B"])
        question = create_question({
            "category_id": category.id, "type": qtype, "stem": kw.pop("stem", f"{fake.sentence()}（第{n}题）"),
            "options": options, "answer": answer, "explanation": kw.pop("explanation", fake.paragraph()),
            "source": kw.pop("source", "《民法典》第一千零七十九条"), "difficulty": kw.pop("difficulty", 1),
        })
        for field, value in kw.items():
            setattr(question, field, value)
        recount({category.id, question.category_id})  # a status or exam_only set here, as the services keep it
        return question

    def questions(self, n: int, category: Category | None = None, **kw) -> list[Question]:
        category = category or self.category()
        return [self.question(category, **kw) for _ in range(n)]

    def admin(self, role: str = "admin", password: str = "correct-horse", **kw) -> AdminUser:
        admin = AdminUser(username=kw.pop("username", f"staff{next(_seq)}"), role=role, **kw)
        admin.set_password(password)
        db.session.add(admin)
        db.session.flush()
        return admin

    def cadre(self, user: User | None = None, **kw) -> Cadre:
        """A cadre on the roster; with `user`, already bound to that account."""
        unit = kw.pop("org_unit", None) or self.org_unit(kind="department", name=f"{fake.company_prefix()}办{next(_seq)}")
        cadre = Cadre(name=kw.pop("name", None) or (user.real_name if user else fake.name()), phone=kw.pop("phone", f"139{next(_seq):08d}"),
                      org_unit_id=unit.id, position=kw.pop("position", fake.job()[:100]), binding_code=kw.pop("binding_code", new_code()), **kw)
        if user is not None:
            cadre.user_id, cadre.bound_at = user.id, utcnow()
            user.role, user.org_unit_id = "cadre", unit.id
        db.session.add(cadre)
        db.session.flush()
        return cadre

    def exam(self, rules: list[tuple] | None = None, **kw) -> Exam:
        """An exam open now, assigned to every cadre unless told otherwise. `rules`:
        (category, type, count, points) tuples; by default 5 single-choice questions
        of a new category, 20 points each."""
        now = utcnow()
        exam = Exam(title=kw.pop("title", f"{now.year}年度学法考试{next(_seq)}"), kind=kw.pop("kind", "annual"),
                    opens_at=kw.pop("opens_at", now - timedelta(hours=1)), closes_at=kw.pop("closes_at", now + timedelta(days=1)),
                    duration_minutes=kw.pop("duration_minutes", 60), pass_score=kw.pop("pass_score", 60),
                    assign_all=kw.pop("assign_all", True), review_policy=kw.pop("review_policy", "after_submit"), **kw)
        if rules is None:
            category = self.category()
            self.questions(8, category)
            rules = [(category, "single", 5, 20)]
        exam.rules = [PaperRule(category_id=c.id, qtype=t, count=n, points=p) for c, t, n, p in rules]
        db.session.add(exam)
        db.session.flush()
        return exam

    def event(self, **kw) -> Event:
        """An event going on now at 东湖村文化广场 (geofenced, 200 m) with check-in open,
        unless told otherwise."""
        now = utcnow()
        starts = kw.pop("starts_at", now - timedelta(minutes=30))
        ends = kw.pop("ends_at", now + timedelta(hours=2))
        unit = kw.pop("org_unit", None) or self.org_unit(kind="department", name=f"司法所{next(_seq)}")
        event = Event(title=kw.pop("title", f"民法典进村宣讲{next(_seq)}"), kind=kw.pop("kind", "outreach"), org_unit_id=unit.id,
                      starts_at=starts, ends_at=ends, checkin_opens_at=kw.pop("checkin_opens_at", starts - timedelta(minutes=30)),
                      checkin_closes_at=kw.pop("checkin_closes_at", ends), location_name=kw.pop("location_name", "东湖村文化广场"),
                      latitude=kw.pop("latitude", 30.5123), longitude=kw.pop("longitude", 114.3456), radius_m=kw.pop("radius_m", 200),
                      points=kw.pop("points", 3), **kw)
        db.session.add(event)
        db.session.flush()
        return event

    def reward(self, **kw) -> Reward:
        reward = Reward(name=kw.pop("name", f"{fake.word()}洗衣液{next(_seq)}"), description=kw.pop("description", fake.sentence()),
                        cost=kw.pop("cost", 20), stock=kw.pop("stock", 10), **kw)
        db.session.add(reward)
        db.session.flush()
        return reward

    def rich_user(self, points: int = 100, **kw) -> User:
        """A person with `points` earned (through the ledger, so the books agree)."""
        user = self.user(**kw)
        ledger.spend_or_refund(user.id, points, "checkin", f"test-grant:{user.id}:{next(_seq)}", "测试积分")
        db.session.flush()
        return user
