from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core.extensions import db
from points import ledger
from points.models import PointsEntry
from points.rules import load_rules


def _balance_matches_ledger(user_id):
    total = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(PointsEntry.user_id == user_id))
    return total == _balance(user_id)


def _balance(user_id):
    return db.session.scalar(select(User.points_balance).where(User.id == user_id))


def test_every_payment_is_an_entry_with_the_balance_after(app, make):
    user = make.user()
    r = app.config["POINTS_RULES"]["daily_correct"]
    ledger.credit(user.id, r, 2, "t:1")
    ledger.credit(user.id, r, 2, "t:2")
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.user_id == user.id).order_by(PointsEntry.id)).all()
    assert [(e.delta, e.balance_after, e.reason) for e in entries] == [(2, 2, "daily_correct"), (2, 4, "daily_correct")]
    assert entries[0].note == "每日答题答对"
    assert _balance_matches_ledger(user.id)


def test_the_same_idempotency_key_never_pays_twice(app, make):
    user = make.user()
    r = app.config["POINTS_RULES"]["daily_correct"]
    ledger.credit(user.id, r, 2, "quiz:1:q:1")
    db.session.commit()
    with pytest.raises(IntegrityError):
        ledger.credit(user.id, r, 2, "quiz:1:q:1")
    db.session.rollback()
    assert _balance(user.id) == 2 and _balance_matches_ledger(user.id)


def test_cap_is_per_local_day_and_grants_what_is_left(app, make):
    user = make.user()
    r = load_rules({"challenge": {"daily_cap": 10}})["challenge"]
    day1 = datetime(2026, 11, 24, 3, 0)  # 11:00 in Shanghai
    assert ledger.credit(user.id, r, 6, "c:1", now=day1) == 6
    assert ledger.credit(user.id, r, 6, "c:2", now=day1) == 4  # only 4 left under the cap
    assert ledger.credit(user.id, r, 6, "c:3", now=day1) == 0
    assert ledger.credit(user.id, r, 6, "c:4", now=datetime(2026, 11, 24, 16, 5)) == 6  # 00:05 next day in Shanghai
    assert _balance(user.id) == 16 and _balance_matches_ledger(user.id)


def test_rules_are_configurable_in_one_place():
    rules = load_rules('{"practice_correct": {"points": 3, "daily_cap": 30}}')
    assert rules["practice_correct"].points == 3 and rules["practice_correct"].daily_cap == 30
    assert rules["daily_correct"].points == 2  # the others keep their defaults
    assert rules["challenge"].for_streak(4) == 1 and rules["challenge"].for_streak(25) == 10 and rules["challenge"].for_streak(2) == 0


def test_points_and_ledger_endpoints(api, make, app):
    user = make.user()
    r = app.config["POINTS_RULES"]["practice_correct"]
    ledger.credit(user.id, r, 1, "p:1", now=datetime(2020, 1, 1))
    ledger.credit(user.id, r, 1, "p:2")
    me = api.as_user(user)
    assert me.get("/points").get_json() == {"balance": 2, "earned_today": 1}
    page = me.get("/points/ledger?per_page=1").get_json()
    assert page["total"] == 2 and page["items"][0]["balance_after"] == 2
    assert page["items"][0]["created_at"].endswith("+08:00")
