"""A believable demo town, made with Faker (zh_CN), whose history is replayed through
the real quiz services so balances, ledgers and leaderboards agree."""
import random
import secrets
from datetime import timedelta

from faker import Faker
from sqlalchemy import select

from accounts.admins import create_admin
from accounts.models import AdminUser, OrgUnit, User
from accounts.services import DEV_OPENID_PREFIX
from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from demo.events import resident_ids, seed_events
from demo.exams import seed_exams
from demo.rewards import seed_rewards
from quiz_bank import quizzes
from quiz_bank.loader import load_bank
from quiz_bank.models import Question

TOWN = "青山镇"
VILLAGES = ["东湖村", "西岭村", "南塘村", "北坡村", "柳湾村", "石桥村", "杨林村", "沙洲村"]
COMMUNITIES = ["江滨社区", "新街社区", "滨江花园社区"]
DEPARTMENTS = ["党政办", "司法所", "综合行政执法大队", "派出所", "自然资源所", "农业农村办", "生态环境分局"]
DEMO_ADMIN = "admin"


def seed(residents: int = 300, days: int = 7, echo=print) -> str:
    if db.session.scalar(select(OrgUnit).where(OrgUnit.name == TOWN)):
        return "演示数据已存在，未重复生成。"
    fake = Faker("zh_CN")
    rng = random.Random(2026)
    added = load_bank()
    echo(f"题库：{sum(added.values())} 道题已载入（{'、'.join(added)}）")

    town = OrgUnit(name=TOWN, kind="town")
    db.session.add(town)
    db.session.flush()
    units = [OrgUnit(name=n, kind="village", parent_id=town.id) for n in VILLAGES]
    units += [OrgUnit(name=n, kind="community", parent_id=town.id) for n in COMMUNITIES]
    departments = [OrgUnit(name=n, kind="department", parent_id=town.id) for n in DEPARTMENTS]
    db.session.add_all(units + departments)
    db.session.flush()

    people = []
    for i in range(residents):
        cadre = i % 10 == 0
        name = fake.name()
        people.append(User(
            openid=f"demo:{i:05d}", nickname=name[0] + fake.random_element(["大姐", "大哥", "阿姨", "师傅", "老师", "同学"]),
            real_name=name, role="cadre" if cadre else "resident",
            org_unit_id=rng.choice(departments if cadre else units).id, created_at=utcnow() - timedelta(days=days + 5),
        ))
    resident = User(openid=DEV_OPENID_PREFIX + "demo-resident", nickname="东湖张大姐", real_name="张秀英", role="resident", org_unit_id=units[0].id)
    cadre = User(openid=DEV_OPENID_PREFIX + "demo-cadre", nickname="司法所小李", real_name="李明", role="cadre", org_unit_id=departments[1].id)
    db.session.add_all(people + [resident, cadre])
    db.session.commit()
    department_ids = [d.id for d in departments]
    resident_id = resident.id
    cadre_ids = [p.id for p in people if p.role == "cadre"]

    answers = _replay_history([u.id for u in people + [resident, cadre]], days, rng, keen={resident.id, cadre.id})
    echo(f"历史：{len(people) + 2} 人，{answers} 次作答")
    echo(seed_exams(cadre_ids, cadre.id, department_ids, rng, fake))
    echo(seed_events(resident_ids(), resident_id, rng))

    password = secrets.token_urlsafe(12)
    if db.session.scalar(select(AdminUser).where(AdminUser.username == DEMO_ADMIN)) is None:
        create_admin(DEMO_ADMIN, password)
        admin_line = f"管理后台 /admin/  用户名 {DEMO_ADMIN}  密码 {password}"
    else:
        admin_line = f"管理后台 /admin/  用户名 {DEMO_ADMIN}（已存在，密码未改）"
    echo(seed_rewards(resident_id, {resident_id, cadre.id}, rng))
    return "\n".join([
        f"演示乡镇「{TOWN}」已生成：{len(units)} 个村和社区，{len(departments)} 个部门，{len(people) + 2} 名用户。",
        "小程序开发登录：code = demo-resident（居民）或 demo-cadre（干部）",
        admin_line,
    ])


def _replay_history(user_ids: list[int], days: int, rng: random.Random, keen: set[int]) -> int:
    """Replay past days of quizzes through the real services, with the clock moved back."""
    today = utcnow().replace(hour=2, minute=0, second=0, microsecond=0)
    categories = list(db.session.scalars(select(Question.category_id).distinct()))
    answers = 0
    for user_id in user_ids:
        # Keep the session small: every commit would otherwise expire the whole town.
        db.session.expunge_all()
        eager = user_id in keen
        skill = 0.85 if eager else rng.uniform(0.5, 0.9)
        for back in range(days, 0, -1):
            if not eager and rng.random() > 0.35:
                continue
            when = today - timedelta(days=back, minutes=-rng.randint(0, 600))
            answers += _play(user_id, "daily", None, when, skill, rng)
            if eager or rng.random() < 0.2:
                answers += _play(user_id, "practice", rng.choice(categories), when + timedelta(minutes=20), skill, rng)
            if eager:  # the keen review what is due, so the demo logins have a review streak
                try:
                    answers += _play(user_id, "review", None, when + timedelta(hours=3), skill, rng)
                except Conflict:
                    pass  # nothing due that day
    return answers


def _play(user_id: int, mode: str, category_id, when, skill: float, rng: random.Random) -> int:
    quiz, _ = quizzes.start_quiz(user_id, mode, category_id, now=when)
    # Read the quiz before answering: each answer commits, which expires it.
    quiz_id = quiz.id
    plan = [(item.question.id, item.question.answer, [o["key"] for o in item.question.options]) for item in quiz.items]
    for n, (qid, right_answer, keys) in enumerate(plan):
        wrong = [k for k in keys if [k] != right_answer]
        given = right_answer if rng.random() < skill else [rng.choice(wrong)]
        quizzes.answer(user_id, quiz_id, qid, given, now=when + timedelta(seconds=20 * (n + 1)))
    return len(plan)
