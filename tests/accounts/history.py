"""A person with a bit of everything the app holds about people, made through the API
where the API makes it: for the export (GET /me/data) and deletion (DELETE /me) tests."""
from dataclasses import dataclass, field
from datetime import timedelta

from accounts.models import Reminder, SubscriptionCredit, User
from activities import tokens as checkin_tokens
from activities.models import EventPhoto
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams.attempts import paper_of, shown_keys
from quiz_bank.exams.models import ExamAttempt

HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


@dataclass
class History:
    user: User
    client: object  # tests.helpers.ApiClient signed in as the person
    quiz_ids: list = field(default_factory=list)
    checkin_event_ids: list = field(default_factory=list)
    redemption_ids: list = field(default_factory=list)
    attempt_id: int | None = None
    photo_id: int | None = None


def person_with_history(api, make, *, quizzes: int = 1, events: int = 1, cadre_exam=None, name: str | None = None) -> History:
    """`quizzes` practice quizzes (one right and one wrong answer each), check-ins at
    `events` geofenced events, a pending redemption, a photo, a subscription credit and a
    sent reminder; with `cadre_exam`, bound to the roster and one submitted attempt."""
    unit = make.org_unit()
    user = make.user(org_unit_id=unit.id, **({"real_name": name, "nickname": name} if name else {}))
    if cadre_exam is not None:
        make.cadre(user)
    me = api.as_user(user)
    h = History(user, me)
    category = make.category()
    make.questions(6, category)
    for _ in range(quizzes):
        quiz = me.post("/quizzes", json={"mode": "practice", "category_id": category.id}).get_json()
        first, second = quiz["questions"][:2]
        for q, answer in ((first, ["B"]), (second, ["A"])):
            assert me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": answer}).status_code == 200
        h.quiz_ids.append(quiz["id"])
    for _ in range(events):
        event = make.event(points=5)
        token = checkin_tokens.issue(event.id, event.token_seconds, utcnow())[0]
        assert me.post("/checkins", json={"token": token, **HERE}).status_code == 201
        h.checkin_event_ids.append(event.id)
    reward = make.reward(cost=2, stock=3)
    made = me.post("/redemptions", json={"reward_id": reward.id})
    assert made.status_code == 201, made.get_json()
    h.redemption_ids.append(made.get_json()["id"])
    photo = EventPhoto(event_id=h.checkin_event_ids[0] if events else make.event().id, sha256=f"{user.id:064d}",
                       mime_type="image/jpeg", size_bytes=10, width=4, height=3, caption="宣讲现场", uploaded_by_user_id=user.id)
    db.session.add_all([photo, SubscriptionCredit(user_id=user.id, template="reward_ready", credits=2),
                        Reminder(user_id=user.id, reason="reward_ready", subject_id=h.redemption_ids[0], status="sent",
                                 sent_at=utcnow() - timedelta(minutes=1))])
    db.session.flush()
    h.photo_id = photo.id
    if cadre_exam is not None:
        attempt = me.post(f"/exams/{cadre_exam.id}/attempts").get_json()
        question, order = paper_of(db.session.get(ExamAttempt, attempt["id"]))[0]
        assert me.put(f"/exam-attempts/{attempt['id']}/answers/{question.id}",
                      json={"answer": shown_keys(order, question.answer)}).status_code == 200
        assert me.post(f"/exam-attempts/{attempt['id']}/submit").status_code == 200
        h.attempt_id = attempt["id"]
    return h
