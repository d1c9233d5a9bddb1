"""The demo town's publicity events: this year's past events with check-ins and on-site
quizzes replayed through the real services, one going on now, and upcoming ones."""
import random
from datetime import datetime, timedelta

from sqlalchemy import select

from accounts.models import OrgUnit, User
from activities import checkins, tokens
from activities.events import start_event_quiz
from activities.models import Event
from core.extensions import db
from core.timeutil import from_local, to_local, utcnow
from quiz_bank import quizzes
from quiz_bank.models import Category

# The square of 东湖村, where the event going on now is held (for trying check-in).
DONGHU = (30.5123, 114.3456)


def seed_events(resident_ids: list[int], demo_resident_id: int, rng: random.Random) -> str:
    now = utcnow()
    year = to_local(now).year
    units = {u.name: u.id for u in db.session.scalars(select(OrgUnit))}
    cats = {c.name: c.id for c in db.session.scalars(select(Category))}

    def at(month, day, hour, minute=0):
        return from_local(datetime(year, month, day, hour, minute))

    def event(title, kind, unit, starts, hours, place, law=None, fence=DONGHU, radius=300, points=2, **kw):
        e = Event(title=title, kind=kind, org_unit_id=units[unit], starts_at=starts, ends_at=starts + timedelta(hours=hours),
                  checkin_opens_at=starts - timedelta(minutes=30), checkin_closes_at=starts + timedelta(hours=hours),
                  location_name=place, latitude=fence[0] if fence else None, longitude=fence[1] if fence else None,
                  radius_m=radius if fence else None, points=points, quiz_category_id=cats.get(law), quiz_size=5,
                  quiz_points_each=2, **kw)
        db.session.add(e)
        return e

    past = [
        event("中国水周·节水护水法治宣传", "water_week", "生态环境分局", at(3, 22, 9), 3, "柳湾村江堤广场", "水法", (30.498, 114.361)),
        event("禁毒法进校园主题班会", "school", "派出所", at(6, 20, 14), 2, "青山镇中心小学礼堂", "禁毒法", None),
        event("6·25全国土地日宣传", "land_day", "自然资源所", at(6, 25, 9), 3, "镇政府门前广场", "土地管理法", (30.507, 114.350)),
        event("6·26国际禁毒日集中宣传", "antidrug_day", "派出所", at(6, 26, 9), 3, "新街社区服务中心", "禁毒法", (30.510, 114.352)),
        event("长江保护法宣讲·渔民专场", "outreach", "综合行政执法大队", at(9, 12, 15), 2, "沙洲村渔民新村", "长江保护法", (30.489, 114.372)),
        event("民法典婚姻家庭编法治讲座", "lecture", "司法所", at(10, 18, 19), 2, "江滨社区党群服务中心", "民法典", None),
    ]
    live = event("民法典进村宣讲", "outreach", "司法所", now - timedelta(minutes=40), 3, "东湖村文化广场", "民法典", DONGHU,
                 description="司法所律师讲解民法典中与村民生活密切相关的条文。签到后可参加现场答题。")
    upcoming = [
        event(f"{year}年12·4国家宪法日宣传", "constitution_day", "党政办", at(12, 4, 9), 3, "镇政府门前广场", "宪法", (30.507, 114.350)),
        event("信访工作条例专题讲座", "lecture", "党政办", now + timedelta(days=10), 2, "镇政府三楼会议室", "信访工作条例", None),
    ]
    db.session.commit()
    # Replaying expunges the session: keep ids, not objects.
    past_ids, live_id, live_title = [e.id for e in past], live.id, live.title
    total = len(past) + 1 + len(upcoming)

    checked, answered = 0, 0
    for n, event_id in enumerate(past_ids):
        crowd = rng.sample(resident_ids, k=min(len(resident_ids), rng.randint(25, 60)))
        if n == 3 and demo_resident_id not in crowd:  # demo-resident went to Anti-Drug Day
            crowd.append(demo_resident_id)
        checked_c, answered_c = _attend(event_id, crowd, rng)
        checked, answered = checked + checked_c, answered + answered_c
    _attend(live_id, rng.sample(resident_ids, k=min(len(resident_ids), 18)), rng, until=now)
    return (f"普法活动 {total} 场（已结束 {len(past_ids)}、进行中 1、即将开始 {total - len(past_ids) - 1}），"
            f"签到 {checked} 人次，现场答题 {answered} 题；进行中的活动“{live_title}”编号 {live_id}（flask events token {live_id} 取签到码）")


def _attend(event_id: int, user_ids: list[int], rng: random.Random, until: datetime | None = None) -> tuple[int, int]:
    e = db.session.get(Event, event_id)
    start, end, token_seconds = e.starts_at, min(e.ends_at, until or e.ends_at), e.token_seconds
    fence = (e.latitude, e.longitude) if e.geofenced else None
    has_quiz = e.quiz_category_id is not None
    checked = answered = 0
    for user_id in user_ids:
        db.session.expunge_all()
        when = start - timedelta(minutes=20) + timedelta(seconds=rng.randint(0, int((end - start).total_seconds() * 0.6) + 1200))
        when = min(when, end - timedelta(minutes=5))
        token = tokens.issue(event_id, token_seconds, when)[0]
        lat, lng = (fence[0] + rng.uniform(-0.0008, 0.0008), fence[1] + rng.uniform(-0.0008, 0.0008)) if fence else (None, None)
        checkins.check_in(user_id, token, lat, lng, rng.choice([10.0, 20.0, 35.0, 65.0]), now=when)
        checked += 1
        # Most people who check in also take the on-site quiz.
        if has_quiz and rng.random() < 0.8:
            quiz_at = max(when, start) + timedelta(minutes=rng.randint(5, 30))
            if quiz_at >= end:
                continue
            quiz, _ = start_event_quiz(user_id, event_id, now=quiz_at)
            quiz_id = quiz.id
            plan = [(i.question.id, i.question.answer, [o["key"] for o in i.question.options]) for i in quiz.items]
            skill = rng.uniform(0.5, 0.95)
            for n, (qid, right, keys) in enumerate(plan):
                given = right if rng.random() < skill else [next(k for k in keys if [k] != right)]
                quizzes.answer(user_id, quiz_id, qid, given, now=quiz_at + timedelta(seconds=25 * (n + 1)))
                answered += 1
    return checked, answered


def resident_ids() -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.role == "resident", User.openid.like("demo:%"))))
