"""DELETE /me (注销): the identity goes, anonymous rows stay so totals stay true; the
token stops working at once; check-in locations are reduced after the retention period."""
import os
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import redis
from sqlalchemy import func, select

from accounts import privacy
from accounts.models import AuditLog, Cadre, SubscriptionCredit, User
from accounts.revocation import Revoked
from activities import tokens as checkin_tokens
from activities.models import CheckIn, Event, EventPhoto
from core.extensions import db
from core.timeutil import local_today, utcnow
from points.models import PointsEntry, PointsTally, Redemption, Reward
from quiz_bank.exams import results
from quiz_bank.models import Quiz, QuizItem
from reports.figures import year_figures
from tests.accounts.history import person_with_history
from tests.admin.conftest import login, panel  # noqa: F401 (the panel fixture: a client for its forms)


def _totals():
    return db.session.execute(select(func.sum(PointsEntry.delta), func.count(PointsEntry.id))).one()


def _figures():
    """The year's figures but for the shop's and the points' (the cancelled redemption moves them)."""
    return {k: v for k, v in year_figures(local_today().year).items() if k not in ("rewards", "points", "headlines")}


def test_deletion_removes_the_identity_and_keeps_the_figures(api, make, app):
    exam = make.exam()
    h = person_with_history(api, make, cadre_exam=exam, name="王五")
    user = h.user
    cadre_id = db.session.scalar(select(Cadre.id).where(Cadre.user_id == user.id))
    old_code = db.session.get(Cadre, cadre_id).binding_code
    event = db.session.get(Event, h.checkin_event_ids[0])
    before = {
        "ledger": _totals(), "checkins": event.checkin_count, "exam": results.exam_results(exam)["total"],
        "figures": _figures(), "answers": db.session.scalar(select(func.count()).select_from(QuizItem)),
        "stock": db.session.scalar(select(Reward.stock).join(Redemption).where(Redemption.id == h.redemption_ids[0])),
    }
    balance = user.points_balance

    r = h.client.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {h.client.token}"})
    assert r.status_code == 204 and r.data == b""

    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone.deleted_at is not None and gone.real_name == "" and gone.avatar_url == "" and gone.session_key is None
    assert gone.nickname == privacy.DELETED_NICKNAME and gone.openid == f"deleted:{user.id}"
    # The roster keeps the office's row, unbound, with a new code (the old one was used).
    cadre = db.session.get(Cadre, cadre_id)
    assert cadre.user_id is None and cadre.name == "王五" and cadre.binding_code != old_code
    # No place left: the check-in keeps only that the geofence let it in.
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.user_id == user.id))
    assert (checkin.latitude, checkin.longitude, checkin.accuracy_m, checkin.distance_m) == (None, None, None, None)
    assert checkin.in_range is True
    # The photo is the office's record of the event, no longer tied to who took it.
    assert db.session.get(EventPhoto, h.photo_id).uploaded_by_user_id is None
    assert db.session.scalar(select(func.count()).select_from(SubscriptionCredit).where(SubscriptionCredit.user_id == user.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(PointsTally).where(PointsTally.user_id == user.id)) == 0
    # The pending redemption was cancelled and refunded through the shop's own path.
    redemption = db.session.get(Redemption, h.redemption_ids[0])
    assert redemption.status == "cancelled"
    assert db.session.scalar(select(Reward.stock).where(Reward.id == redemption.reward_id)) == before["stock"] + 1
    assert gone.points_balance == balance + redemption.cost

    # Totals stay true: the ledger (plus the refund), the event's head count, the exam, the year.
    ledger_sum, entries = _totals()
    assert (ledger_sum, entries) == (before["ledger"][0] + redemption.cost, before["ledger"][1] + 1)
    assert db.session.get(Event, event.id).checkin_count == before["checkins"]
    assert results.exam_results(exam)["total"] == before["exam"]
    assert _figures() == before["figures"]
    assert db.session.scalar(select(func.count()).select_from(QuizItem)) == before["answers"]
    assert db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.user_id == user.id)) == 1
    audit = app.test_cli_runner().invoke(args=["points", "audit"])
    assert audit.exit_code == 0 and "核对无误" in audit.output
    logged = db.session.scalar(select(AuditLog).where(AuditLog.entity == "app_user", AuditLog.entity_id == str(user.id)))
    assert logged.action == "delete" and "王五" not in logged.summary


def test_after_deletion_the_books_page_no_longer_names_the_person(api, make, panel):
    """积分账目 is shown as last counted (reports.snapshots), and its audit names whoever's
    balance is not their ledger: the name goes with the account, not at the nightly count."""
    town, other = make.town(name="甲镇"), make.town(name="乙镇")
    leaving = make.user(org_unit_id=make.org_unit(town=town).id, real_name="钱七", nickname="钱七", points_balance=5)
    make.user(org_unit_id=make.org_unit(town=other).id, real_name="孙八", nickname="孙八", points_balance=3)
    login(panel, make.admin("admin"))
    pages = ("/admin/books/", f"/admin/books/?town={town.id}")
    for page in pages:
        assert "钱七" in panel.get(page).get_data(as_text=True)
    me = api.as_user(leaving)
    assert me.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"}).status_code == 204

    for page in pages:
        text = panel.get(page).get_data(as_text=True)
        assert "钱七" not in text and f"用户 {leaving.id}（{privacy.DELETED_NICKNAME}）余额 5" in text, page


def test_the_token_stops_at_once_and_a_retry_is_never_a_500(api, make):
    me = api.as_user(make.user())
    assert me.get("/points").status_code == 200
    assert me.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"}).status_code == 204
    for call in (lambda: me.get("/points"), lambda: me.get("/me"), lambda: me.get("/me/data"),
                 lambda: me.post("/quizzes", json={"mode": "daily"}),
                 lambda: me.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"})):
        r = call()
        assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"


def test_the_same_wechat_login_makes_a_new_empty_account(api, make):
    first = api.post("/auth/login", json={"code": "leaving-resident"}).get_json()
    me = api.as_user(db.session.get(User, first["user"]["id"]))
    event = make.event(points=4)
    me.post("/checkins", json={"token": checkin_tokens.issue(event.id, event.token_seconds, utcnow())[0],
                               "latitude": 30.5123, "longitude": 114.3456})
    me.patch("/me", json={"real_name": "赵六"})
    assert me.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"}).status_code == 204

    again = api.post("/auth/login", json={"code": "leaving-resident"}).get_json()
    assert again["user"]["id"] != first["user"]["id"]
    assert again["user"]["real_name"] == "" and again["user"]["points_balance"] == 0
    fresh = api.as_user(db.session.get(User, again["user"]["id"]))
    data = fresh.get("/me/data").get_json()
    assert data["checkins"] == [] and data["points_ledger"] == []


def test_a_process_started_after_the_deletion_still_refuses_the_token(api, make, app):
    user = make.user()
    me = api.as_user(user)
    assert me.client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"}).status_code == 204
    restarted = Revoked(app)  # a new worker: nothing in memory until it reads the database
    restarted.learn()
    issued = time.time() - 60
    assert restarted.holds(user.id, issued) and not restarted.holds(make.user().id, issued)
    # A token issued after the deletion is another account's (ids are reused when a test rolls back).
    assert not restarted.holds(user.id, time.time() + 1)


def test_revocations_are_shared_through_redis(app):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"pufa-test-{uuid.uuid4().hex}"
    config = {"TOKEN_TTL_SECONDS": 60, "REDIS_URL": url, "RATELIMIT_KEY_PREFIX": prefix}
    one, other = Revoked(SimpleNamespace(config=config)), Revoked(SimpleNamespace(config=config))
    one.learned = other.learned = True
    try:
        deleted = time.time()
        one.note(987654, deleted)
        assert other.holds(987654, deleted - 5) and not other.holds(987654, deleted + 1)
        assert not other.holds(987655, deleted - 5)
        assert 0 < redis.Redis.from_url(url).ttl(f"{prefix}:revoked:987654") <= 60
    finally:
        redis.Redis.from_url(url).delete(f"{prefix}:revoked:987654")


def test_retention_reduces_only_old_locations_and_is_idempotent(api, make, app):
    h = person_with_history(api, make, events=2)
    old, recent = db.session.scalars(select(CheckIn).where(CheckIn.user_id == h.user.id).order_by(CheckIn.id)).all()
    old.checked_in_at = utcnow() - timedelta(days=31)
    hall = make.event(latitude=None, longitude=None, radius_m=None)
    unfenced = CheckIn(event_id=hall.id, user_id=h.user.id, checked_in_at=utcnow() - timedelta(days=40),
                       latitude=30.1, longitude=114.1)
    db.session.add(unfenced)
    db.session.flush()

    result = app.test_cli_runner().invoke(args=["privacy", "prune-locations"])
    assert result.exit_code == 0 and "30 天前的 2 条" in result.output
    db.session.expire_all()
    assert (old.latitude, old.longitude, old.distance_m, old.in_range) == (None, None, None, True)
    assert (unfenced.latitude, unfenced.in_range) == (None, None)  # no geofence: no range to be in
    assert recent.latitude == 30.5123 and recent.in_range is None
    assert privacy.prune_locations(30, batch=1) == 0  # nothing left to do
    assert "0 条" in app.test_cli_runner().invoke(args=["privacy", "prune-locations"]).output
    assert privacy.prune_locations(0, batch=1) == 1 and recent.latitude is None
