"""Factories: real rows with Faker (zh_CN) data, each overridable per test."""
import itertools

from faker import Faker

from accounts.models import AdminUser, OrgUnit, User
from core.extensions import db
from quiz_bank.models import Category, Question
from quiz_bank.questions import create_question

fake = Faker("zh_CN")
_seq = itertools.count(1)


class Factories:
    def org_unit(self, **kw) -> OrgUnit:
        unit = OrgUnit(name=kw.pop("name", None) or f"{fake.last_name()}家{next(_seq)}村", kind=kw.pop("kind", "village"), **kw)
        db.session.add(unit)
        db.session.flush()
        return unit

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
        db.session.flush()
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
