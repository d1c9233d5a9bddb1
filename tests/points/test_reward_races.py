"""The reward shop under concurrent taps, on separate connections (the proof runs on
PostgreSQL via TEST_DATABASE_URL; on SQLite the same tests pass through its write lock)."""
import threading

import pytest
from sqlalchemy import func, select

from core.domain_errors import Conflict
from core.extensions import db
from points import books, rewards
from points.models import Redemption, Reward
from tests.api.test_races import _auth, _balance, _ledger_total, _race

pytestmark = pytest.mark.committing


def test_fifty_people_ten_in_stock(app, make):
    reward_id = make.reward(cost=10, stock=10).id
    users = [make.rich_user(30).id for _ in range(50)]
    db.session.commit()
    headers = [_auth(u) for u in users]
    results = _race(app, 50, lambda i, c: c.post("/api/v1/redemptions", json={"reward_id": reward_id}, headers=headers[i]))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 10 + [409] * 40
    assert {r.get_json()["code"] for r in results if r.status_code == 409} == {"out_of_stock"}
    db.session.rollback()
    assert db.session.get(Reward, reward_id).stock == 0
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 10
    assert books.audit() == []
    assert sorted(_balance(u) for u in users) == [20] * 10 + [30] * 40


def test_one_person_ten_taps_with_points_for_one(app, make):
    reward_id = make.reward(cost=25, stock=100).id
    user_id = make.rich_user(30).id
    db.session.commit()
    headers = _auth(user_id)
    results = _race(app, 10, lambda i, c: c.post("/api/v1/redemptions", json={"reward_id": reward_id}, headers=headers))
    assert sorted(r.status_code for r in results) == [201] + [409] * 9
    assert {r.get_json()["code"] for r in results if r.status_code == 409} == {"insufficient_points"}
    db.session.rollback()
    assert _balance(user_id) == _ledger_total(user_id) == 5
    assert db.session.get(Reward, reward_id).stock == 99


def test_one_person_ten_taps_on_a_limit_of_one(app, make):
    reward_id = make.reward(cost=5, stock=100, per_user_limit=1).id
    user_id = make.rich_user(500).id
    db.session.commit()
    headers = _auth(user_id)
    results = _race(app, 10, lambda i, c: c.post("/api/v1/redemptions", json={"reward_id": reward_id}, headers=headers))
    assert sorted(r.status_code for r in results) == [201] + [409] * 9
    assert {r.get_json()["code"] for r in results if r.status_code == 409} == {"limit_reached"}
    db.session.rollback()
    assert _balance(user_id) == _ledger_total(user_id) == 495
    assert db.session.get(Reward, reward_id).stock == 99


@pytest.mark.parametrize("round_", range(5))
def test_cancel_and_hand_over_racing_exactly_one_wins(app, make, round_):
    reward_id = make.reward(cost=10, stock=1).id
    user_id = make.rich_user(10).id
    staff_id = make.admin().id
    db.session.commit()
    with app.test_request_context():
        redemption_id = rewards.redeem(user_id, reward_id).id
    db.session.remove()
    headers = _auth(user_id)
    barrier = threading.Barrier(2)
    outcome = {}

    def counter():
        with app.app_context():
            barrier.wait()
            try:
                rewards.hand_over(redemption_id, staff_id)
                outcome["hand_over"] = "won"
            except Conflict as exc:
                outcome["hand_over"] = exc.code
            finally:
                db.session.remove()

    def phone():
        client = app.test_client()
        barrier.wait()
        outcome["cancel"] = client.post(f"/api/v1/redemptions/{redemption_id}/cancel", headers=headers).status_code

    threads = [threading.Thread(target=counter), threading.Thread(target=phone)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.rollback()
    red = db.session.get(Redemption, redemption_id)
    reward = db.session.get(Reward, reward_id)
    if outcome["hand_over"] == "won":
        assert outcome["cancel"] == 409 and red.status == "handed_over"
        assert _balance(user_id) == 0 and reward.stock == 0
    else:
        assert outcome["hand_over"] == "not_pending" and outcome["cancel"] == 200 and red.status == "cancelled"
        assert _balance(user_id) == 10 and reward.stock == 1
    assert _balance(user_id) == _ledger_total(user_id)
