"""The demo town's reward shop: everyday goods in stock, and some history of
redemptions (handed over, pending, cancelled) made through the real services."""
import random
from datetime import timedelta

from sqlalchemy import select

from accounts.models import AdminUser, User
from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from points import rewards
from points.models import Reward

# (name, description, cost, stock, per-person limit, limit period)
SHOP = [
    ("洗衣液（2kg）", "家用洗衣液一瓶。", 30, 40, 2, "month"),
    ("食用油（1.8L）", "非转基因菜籽油一桶。", 60, 20, 1, "month"),
    ("5斤装大米", "本地稻米，真空包装。", 50, 30, 1, "month"),
    ("《民法典》普法读本", "民法典通俗读本，图文版。", 20, 100, 1, "all"),
    ("保温杯", "不锈钢保温杯，印有“尊法学法守法用法”。", 40, 25, None, "all"),
    ("折叠雨伞", "晴雨两用折叠伞。", 35, 0, None, "all"),  # sold out: shows as unavailable
]


def seed_rewards(demo_resident_id: int, demo_ids: set[int], rng: random.Random) -> str:
    """The shop and its history. The demo logins (`demo_ids`) are left out of the random
    redemptions, which could spend a balance to nothing: whoever tries the demo finds
    points to spend."""
    now = utcnow()
    for name, description, cost, stock, limit, period in SHOP:
        db.session.add(Reward(name=name, description=description, cost=cost, stock=stock, per_user_limit=limit,
                              limit_period=period, visible=True, offered_from=now - timedelta(days=30)))
    db.session.commit()
    shop = list(db.session.scalars(select(Reward).where(Reward.stock > 0)))
    staff_id = db.session.scalar(select(AdminUser.id).order_by(AdminUser.id))
    richest = list(db.session.scalars(
        select(User.id).where(User.points_balance >= 40, User.id.not_in(demo_ids)).order_by(User.points_balance.desc()).limit(40)
    ))
    made = {"handed_over": 0, "pending": 0, "cancelled": 0}
    for n, user_id in enumerate(richest):
        reward = rng.choice(shop)
        try:
            redemption = rewards.redeem(user_id, reward.id, now=now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)))
        except Conflict:  # not enough points, or its limit: as at a real counter
            continue
        fate = "handed_over" if n % 3 else ("pending" if n % 2 else "cancelled")
        if fate == "handed_over" and staff_id is not None:
            rewards.hand_over(redemption.id, staff_id, now=redemption.created_at + timedelta(days=1))
        elif fate == "cancelled":
            rewards.cancel(user_id, redemption.id, now=redemption.created_at + timedelta(hours=2))
        else:
            fate = "pending"
        made[fate] += 1
    # demo-resident has one waiting at the counter, if it leaves points to try the shop with.
    book = db.session.scalar(select(Reward).where(Reward.name == "《民法典》普法读本"))
    if db.session.get(User, demo_resident_id).points_balance > book.cost:
        rewards.redeem(demo_resident_id, book.id)
        made["pending"] += 1
    return (f"积分商城：{len(SHOP)} 种奖品；兑换记录 已领取 {made['handed_over']}、待领取 {made['pending']}、"
            f"已取消 {made['cancelled']} 笔")
