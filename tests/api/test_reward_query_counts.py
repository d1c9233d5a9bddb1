"""GET /rewards sends the same number of statements for a page of 2 rewards as for a
page of 50, however many the person has redeemed: what each may still take is one
grouped count for the page, not a count per reward."""
from datetime import timedelta

from core.extensions import db
from core.timeutil import utcnow
from points.models import Redemption, Reward
from points.rewards import limit_month


def _shop(user, size: int, tag: str) -> None:
    """`size` rewards with a per-person limit (half monthly), each held once by `user`."""
    now = utcnow()
    rewards = [Reward(name=f"规模奖品{tag}-{i}", cost=10, stock=100, per_user_limit=3,
                      limit_period="month" if i % 2 else "all") for i in range(size)]
    db.session.add_all(rewards)
    db.session.flush()
    db.session.add_all([
        Redemption(user_id=user.id, reward_id=r.id, cost=10, status="pending", pickup_code=f"Q{tag}{r.id:09d}"[:16],
                   month=limit_month(now), created_at=now, expires_at=now + timedelta(days=7))
        for r in rewards
    ])
    db.session.flush()


def test_listing_rewards_costs_the_same_statements_for_2_or_50(api, make, count_queries):
    counts = {}
    for size in (2, 50):
        db.session.execute(db.delete(Redemption))
        db.session.execute(db.delete(Reward))
        user = make.user()
        _shop(user, size, str(size))
        me = api.as_user(user)
        me.get("/rewards?per_page=100")  # warm: the token's user, caches
        with count_queries() as sql:
            items = me.get("/rewards?per_page=100").json["items"]
        assert len(items) == size and {r["my_remaining"] for r in items} == {2}
        counts[size] = len(sql)
    assert counts[2] == counts[50], counts
