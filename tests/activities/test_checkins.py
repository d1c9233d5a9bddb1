"""Checking in with the projector's code, and the on-site quiz."""
from datetime import timedelta

from sqlalchemy import func, select

from activities import tokens
from activities.models import CheckIn, Event
from core.extensions import db
from core.timeutil import utcnow
from points.models import PointsEntry
from quiz_bank.models import Quiz

HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


def _token(event, now=None):
    return tokens.issue(event.id, event.token_seconds, now or utcnow())[0]


def _checkins(event_id=None):
    q = select(func.count()).select_from(CheckIn)
    return db.session.scalar(q.where(CheckIn.event_id == event_id) if event_id else q)


def test_token_is_short_steady_for_its_period_and_signed(app):
    now = utcnow().replace(microsecond=0)
    token, until = tokens.issue(7, 30, now)
    assert len(token) <= 32 and token.replace("-", "").replace("_", "").isalnum()
    assert tokens.issue(7, 30, now + timedelta(seconds=(until - now).total_seconds() - 1))[0] == token
    assert tokens.issue(7, 30, until)[0] != token
    event_id, issued = tokens.read(token)
    assert event_id == 7 and issued <= now < until
    # Every one-character change is refused, the last character's spare bits included.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    forged = [token[:i] + c + token[i + 1:] for i in (0, 13, 26) for c in alphabet if c != token[i]]
    for bad in (*forged, token[:-2], "", "x" * 27, token + "=="):
        try:
            tokens.read(bad)
        except tokens.InvalidToken:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_check_in_pays_once_and_counts(api, make):
    event = make.event(points=3)
    user = make.user()
    me = api.as_user(user)
    r = me.post("/checkins", json={"token": _token(event), **HERE})
    assert r.status_code == 201, r.json
    assert r.json["event_id"] == event.id and r.json["points_awarded"] == 3
    again = me.post("/checkins", json={"token": _token(event), **HERE})
    assert again.status_code == 409 and again.json["code"] == "already_checked_in"
    assert me.get("/points").json["balance"] == 3
    db.session.refresh(event)
    assert event.checkin_count == 1
    listed = me.get("/events?status=ongoing").json["items"]
    assert [(e["id"], e["checked_in"]) for e in listed] == [(event.id, True)]
    assert me.get("/checkins").json["items"][0]["event_title"] == event.title


def test_screenshot_kept_for_later_is_refused(api, make, app):
    event = make.event(token_seconds=30)
    me = api.as_user(make.user())
    grace = app.config["CHECKIN_TOKEN_GRACE_SECONDS"]
    # Still fine a little after the projector moved on (a slow login)...
    recent = _token(event, utcnow() - timedelta(seconds=30 + grace - 40))
    assert me.post("/checkins", json={"token": recent, **HERE}).status_code == 201
    # ...but not a code photographed earlier.
    other = api.as_user(make.user())
    old = _token(event, utcnow() - timedelta(seconds=30 + grace + 5))
    r = other.post("/checkins", json={"token": old, **HERE})
    assert r.status_code == 410 and r.json["code"] == "token_expired"
    assert _checkins(event.id) == 1


def test_forged_malformed_or_unknown_event_tokens(api, make):
    event = make.event()
    me = api.as_user(make.user())
    good = _token(event)
    ghost = tokens.issue(event.id + 1000, 30, utcnow())[0]
    future = tokens.issue(event.id, 30, utcnow() + timedelta(minutes=5))[0]
    for bad in (good[:-1] + ("A" if good[-1] != "A" else "B"), "not-a-token", ghost, future):
        r = me.post("/checkins", json={"token": bad, **HERE})
        assert r.status_code == 422 and r.json["code"] == "invalid_token", (bad, r.json)
    assert me.post("/checkins", json={"token": 12345, **HERE}).status_code == 422
    assert _checkins() == 0 and db.session.scalar(select(func.count()).select_from(PointsEntry)) == 0


def test_geofence_uses_accuracy_up_to_a_limit(api, make, app):
    event = make.event(radius_m=100)
    # About 150 m north of the place.
    north = {"latitude": 30.5123 + 150 / 111_195, "longitude": 114.3456}
    a, b, c = (api.as_user(make.user()) for _ in range(3))
    r = a.post("/checkins", json={"token": _token(event), **north, "accuracy": 10})
    assert r.status_code == 403 and r.json["code"] == "out_of_range" and r.json["details"]["distance_m"] == 150
    # A fix whose own error covers the gap gets in.
    assert b.post("/checkins", json={"token": _token(event), **north, "accuracy": 60}).status_code == 201
    # A claimed error of kilometres counts only up to the limit.
    far = {"latitude": 30.5123 + 2000 / 111_195, "longitude": 114.3456, "accuracy": 5000}
    assert c.post("/checkins", json={"token": _token(event), **far}).json["code"] == "out_of_range"
    # Missing or impossible coordinates where the event needs them.
    r = c.post("/checkins", json={"token": _token(event)})
    assert r.status_code == 422 and set(r.json["details"]) == {"latitude", "longitude"}
    assert c.post("/checkins", json={"token": _token(event), "latitude": 95, "longitude": 114}).status_code == 422
    assert _checkins(event.id) == 1


def test_no_geofence_in_a_hall(api, make):
    event = make.event(latitude=None, longitude=None, radius_m=None)
    assert api.as_user(make.user()).post("/checkins", json={"token": _token(event)}).status_code == 201


def test_check_in_window(api, make):
    now = utcnow()
    later = make.event(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2),
                       checkin_opens_at=now + timedelta(hours=23))
    over = make.event(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1),
                      checkin_opens_at=now - timedelta(hours=3), checkin_closes_at=now - timedelta(hours=1))
    me = api.as_user(make.user())
    for event in (later, over):
        r = me.post("/checkins", json={"token": _token(event), **HERE})
        assert r.status_code == 409 and r.json["code"] == "checkin_closed"
    statuses = {e["id"]: e["status"] for e in me.get("/events").json["items"]}
    assert statuses == {later.id: "upcoming", over.id: "past"}


def test_on_site_quiz_only_for_people_checked_in_during_the_event(api, make):
    law = make.category(name="禁毒法")
    questions = make.questions(6, law)
    event = make.event(kind="antidrug_day", points=2, quiz_category_id=law.id, quiz_size=5, quiz_points_each=3)
    user = make.user()
    me = api.as_user(user)
    r = me.post(f"/events/{event.id}/quiz")
    assert r.status_code == 403 and r.json["code"] == "not_checked_in"
    me.post("/checkins", json={"token": _token(event), **HERE})
    r = me.post(f"/events/{event.id}/quiz")
    assert r.status_code == 201 and r.json["mode"] == "event" and len(r.json["questions"]) == 5
    assert me.post(f"/events/{event.id}/quiz").json["id"] == r.json["id"]  # resumes, one per person
    answers = {q.id: q.answer for q in questions}
    paid = [me.post(f"/quizzes/{r.json['id']}/answers", json={"question_id": q["id"], "answer": answers[q["id"]]}).json["points_awarded"]
            for q in r.json["questions"]]
    assert paid == [3] * 5
    # Learning pays more than showing up: 5 x 3 against 2 for the check-in.
    assert me.get("/points").json["balance"] == 2 + 15


def test_on_site_quiz_closes_with_the_event(api, make):
    law = make.category()
    make.questions(6, law)
    event = make.event(quiz_category_id=law.id)
    user = make.user()
    me = api.as_user(user)
    me.post("/checkins", json={"token": _token(event), **HERE})
    quiz = me.post(f"/events/{event.id}/quiz").json
    event.ends_at = utcnow() - timedelta(minutes=1)
    db.session.get(Quiz, quiz["id"]).closes_at = event.ends_at
    db.session.commit()
    q = quiz["questions"][0]
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": ["B"]})
    assert r.status_code == 409 and r.json["code"] == "quiz_closed"
    other = make.user()
    db.session.add(CheckIn(event_id=event.id, user_id=other.id, checked_in_at=utcnow()))
    db.session.commit()
    assert api.as_user(other).post(f"/events/{event.id}/quiz").json["code"] == "event_not_ongoing"


def test_event_without_quiz(api, make):
    event = make.event()
    me = api.as_user(make.user())
    me.post("/checkins", json={"token": _token(event), **HERE})
    assert me.post(f"/events/{event.id}/quiz").json["code"] == "no_quiz"
    assert me.post("/events/99999/quiz").status_code == 404


def test_projector_count_is_one_row(make):
    event = make.event()
    assert db.session.get(Event, event.id).checkin_count == 0


def test_event_setup_rules(make):
    import pytest

    from activities.events import check_event

    law = make.category()
    make.questions(3, law)
    event = make.event()
    check_event(event)
    event.radius_m = None  # a half-filled geofence
    with pytest.raises(ValueError, match="同时填写"):
        check_event(event)
    event.latitude = event.longitude = None
    event.quiz_category, event.quiz_size, event.quiz_points_each, event.points = law, 5, 2, 2
    with pytest.raises(ValueError, match="只有 3 道"):
        check_event(event)
    event.quiz_size = 3
    # 3 x 2 = 6 pays more than 2 for checking in: fine; then check-in worth as much: refused.
    check_event(event)
    event.points = 6
    with pytest.raises(ValueError, match="应高于签到积分"):
        check_event(event)


def test_an_on_site_quiz_counts_only_questions_a_quiz_may_serve(make):
    import pytest

    from activities.events import check_event

    law, kept = make.category(), make.category(exam_only=True)
    make.questions(3, law)
    make.questions(3, law, exam_only=True)
    make.questions(6, kept)
    event = make.event(latitude=None, longitude=None, radius_m=None)
    event.quiz_category, event.quiz_size, event.quiz_points_each, event.points = law, 5, 2, 2
    with pytest.raises(ValueError, match="只有 3 道"):
        check_event(event)  # the three exam-only ones would never be served
    event.quiz_category = kept
    with pytest.raises(ValueError, match="只有 0 道"):
        check_event(event)
