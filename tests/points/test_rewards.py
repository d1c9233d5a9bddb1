"""The reward shop through the API: redeem, cancel, limits, pickup, expiry, the books.

A refused redemption rolls its transaction back; here the requests share the test's
session, so each test commits what it built before the first request that may fail."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from points import books, rewards
from points.models import PointsEntry, Redemption, Reward


def _balance(api_user):
    return api_user.get("/points").json["balance"]


def test_redeem_takes_points_and_stock_and_gives_a_pickup_code(api, make):
    user = make.rich_user(50)
    reward = make.reward(cost=20, stock=3, name="5斤装大米")
    me = api.as_user(user)
    listed = me.get("/rewards").json["items"]
    assert [(r["id"], r["available"], r["cost"], r["stock"]) for r in listed] == [(reward.id, True, 20, 3)]
    r = me.post("/redemptions", json={"reward_id": reward.id})
    assert r.status_code == 201, r.json
    body = r.json
    assert body["status"] == "pending" and body["cost"] == 20 and body["reward"]["name"] == "5斤装大米"
    assert len(body["pickup_code"]) == 10 and body["pickup_qr"].startswith("data:image/png;base64,")
    assert _balance(me) == 30
    db.session.refresh(reward)
    assert reward.stock == 2
    ledger = me.get("/points/ledger").json["items"][0]
    assert ledger["delta"] == -20 and ledger["reason"] == "redeem" and "5斤装大米" in ledger["note"]
    assert me.get("/redemptions").json["items"][0]["pickup_code"] == body["pickup_code"]
    # Spending does not lower the leaderboards, which count what was learned.
    assert books.audit() == []


def test_pickup_codes_differ_and_cannot_be_guessed(api, make):
    user = make.rich_user(1000)
    reward = make.reward(cost=1, stock=50)
    me = api.as_user(user)
    codes = {me.post("/redemptions", json={"reward_id": reward.id}).json["pickup_code"] for _ in range(20)}
    assert len(codes) == 20 and all(set(c) <= set(rewards.CODE_ALPHABET) for c in codes)


def test_refusals(api, make):
    poor = api.as_user(make.rich_user(5))
    rich_user = make.rich_user(500)
    rich = api.as_user(rich_user)
    reward = make.reward(cost=20, stock=1)
    hidden = make.reward(visible=False)
    later = make.reward(offered_from=utcnow() + timedelta(days=3))
    over = make.reward(offered_until=utcnow() - timedelta(days=1))
    db.session.commit()
    r = poor.post("/redemptions", json={"reward_id": reward.id})
    assert r.status_code == 409 and r.json["code"] == "insufficient_points"
    assert rich.post("/redemptions", json={"reward_id": reward.id}).status_code == 201
    r = rich.post("/redemptions", json={"reward_id": reward.id})
    assert r.status_code == 409 and r.json["code"] == "out_of_stock"
    assert rich.post("/redemptions", json={"reward_id": hidden.id}).status_code == 404
    assert rich.post("/redemptions", json={"reward_id": 999999}).status_code == 404
    r = rich.post("/redemptions", json={"reward_id": later.id})
    assert r.status_code == 409 and r.json["code"] == "not_offered"
    assert rich.post("/redemptions", json={"reward_id": over.id}).json["code"] == "not_offered"
    assert rich.post("/redemptions", json={"reward_id": "x"}).status_code == 422
    # Nothing was taken by any refusal.
    assert _balance(poor) == 5 and _balance(rich) == 480
    ids = {r["id"] for r in rich.get("/rewards").json["items"]}
    assert hidden.id not in ids and over.id not in ids and later.id in ids


def test_per_person_limits_in_all_and_per_month(api, make):
    user = make.rich_user(1000)
    me = api.as_user(user)
    once = make.reward(cost=10, stock=10, per_user_limit=1, limit_period="all")
    monthly = make.reward(cost=10, stock=10, per_user_limit=2, limit_period="month")
    db.session.commit()
    first = me.post("/redemptions", json={"reward_id": once.id}).json
    r = me.post("/redemptions", json={"reward_id": once.id})
    assert r.status_code == 409 and r.json["code"] == "limit_reached"
    # A cancelled one does not count.
    me.post(f"/redemptions/{first['id']}/cancel")
    assert me.post("/redemptions", json={"reward_id": once.id}).status_code == 201
    assert [me.post("/redemptions", json={"reward_id": monthly.id}).status_code for _ in range(3)] == [201, 201, 409]
    # Last month's do not count towards this month.
    for red in db.session.scalars(select(Redemption).where(Redemption.reward_id == monthly.id)):
        red.month = "2000-01"
    db.session.commit()
    assert me.post("/redemptions", json={"reward_id": monthly.id}).status_code == 201
    assert books.audit() == []


def test_cancel_refunds_points_and_stock_once(api, make):
    user = make.rich_user(30)
    reward = make.reward(cost=20, stock=1)
    db.session.commit()
    me = api.as_user(user)
    red = me.post("/redemptions", json={"reward_id": reward.id}).json
    r = me.post(f"/redemptions/{red['id']}/cancel")
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["pickup_qr"] is None
    assert _balance(me) == 30
    db.session.refresh(reward)
    assert reward.stock == 1
    again = me.post(f"/redemptions/{red['id']}/cancel")
    assert again.status_code == 409 and again.json["code"] == "not_pending"
    assert _balance(me) == 30
    other = api.as_user(make.user())
    assert other.post(f"/redemptions/{red['id']}/cancel").status_code == 404


def test_handed_over_cannot_be_cancelled(api, make):
    user = make.rich_user(30)
    staff = make.admin()
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    red = me.post("/redemptions", json={"reward_id": reward.id}).json
    found = rewards.find_by_code(red["pickup_code"].lower()[:4] + "-" + red["pickup_code"][4:])
    assert found.id == red["id"]
    done = rewards.hand_over(found.id, staff.id)
    assert done.status == "handed_over" and done.handed_over_by == staff.id and done.handed_over_at is not None
    r = me.post(f"/redemptions/{red['id']}/cancel")
    assert r.status_code == 409 and r.json["code"] == "not_pending"
    assert _balance(me) == 10
    assert rewards.find_by_code("ZZZZZZZZZZ") is None and rewards.find_by_code("short") is None


def test_unclaimed_redemptions_expire_with_a_refund(api, make, app):
    user = make.rich_user(50)
    reward = make.reward(cost=20, stock=5)
    me = api.as_user(user)
    old = me.post("/redemptions", json={"reward_id": reward.id}).json
    fresh = me.post("/redemptions", json={"reward_id": reward.id}).json
    db.session.get(Redemption, old["id"]).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rewards", "expire"])
    assert "1 笔" in result.output, result.output
    statuses = {r["id"]: r["status"] for r in me.get("/redemptions").json["items"]}
    assert statuses == {old["id"]: "expired", fresh["id"]: "pending"}
    assert _balance(me) == 30
    db.session.refresh(reward)
    assert reward.stock == 4
    staff = make.admin()
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        rewards.hand_over(old["id"], staff.id)
    assert refused.value.code == "not_pending"


def test_points_audit_command_finds_a_tampered_balance(app, make):
    user = make.rich_user(40)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["points", "audit"])
    assert ok.exit_code == 0 and "核对无误" in ok.output
    user.points_balance = 45  # someone edited the database by hand
    db.session.commit()
    bad = runner.invoke(args=["points", "audit"])
    assert bad.exit_code == 1 and f"用户 {user.id}" in bad.output and "差 5" in bad.output


def test_monthly_books(api, make):
    user = make.rich_user(100)
    staff = make.admin()
    reward = make.reward(cost=30, name="保温杯")
    me = api.as_user(user)
    kept = me.post("/redemptions", json={"reward_id": reward.id}).json
    dropped = me.post("/redemptions", json={"reward_id": reward.id}).json
    me.post(f"/redemptions/{dropped['id']}/cancel")
    rewards.hand_over(kept["id"], staff.id)
    month = books.monthly_points()[-1]
    assert (month["issued"], month["spent"], month["refunded"], month["net_spent"], month["outstanding"]) == (100, 60, 30, 30, 70)
    reasons = {(r["reason"], r["points"]) for r in books.monthly_by_reason()}
    assert reasons == {("checkin", 100), ("redeem", -60), ("refund", 30)}
    handed = books.monthly_handed_out()
    assert [(h["reward"], h["count"], h["points"]) for h in handed] == [("保温杯", 1, 30)]
    assert db.session.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.user_id == user.id)) == 70
    assert db.session.get(Reward, reward.id).stock == 9
