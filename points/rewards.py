"""The reward shop: redeeming points for rewards, cancelling, handing over at the
counter, and unclaimed redemptions expiring with a refund.

Every path takes its locks in one order: the redemption row, then the person's row
(the points), then the reward's row (the stock). Points and stock move in one
transaction, each with a conditional update, so neither goes below zero and no
retried tap pays or takes twice."""
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from accounts import audit, tenancy
from activities.photos import image_url
from core.domain_errors import Conflict, NotFound
from core.extensions import db
from core.timeutil import to_local, utcnow
from core.transactions import writes
from points import ledger
from points.models import Redemption, Reward

# No 0/O or 1/I/L: read aloud at the counter or typed from a phone, it is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10, about 8e14: not guessable, and short enough to type
HELD = ("pending", "handed_over")  # what counts towards a per-person limit


def offered(reward: Reward, now: datetime) -> bool:
    return reward.visible and (reward.offered_from is None or reward.offered_from <= now) and (
        reward.offered_until is None or now <= reward.offered_until)


def check_reward(reward: Reward) -> None:
    """Raise ValueError (a Chinese message) if the reward cannot be offered as set up."""
    if reward.offered_from and reward.offered_until and reward.offered_until <= reward.offered_from:
        raise ValueError("兑换截止时间须晚于开始时间。")


def reward_image_url(reward: Reward) -> str | None:
    return image_url(reward.image_sha256, reward.image_mime) if reward.image_sha256 else None


def limit_month(now: datetime) -> str:
    """The local month a redemption made at `now` counts towards for a monthly limit."""
    return f"{to_local(now):%Y-%m}"


def held_counts(user_id: int, reward_ids: list[int], month: str) -> dict[int, int]:
    """How many of each reward the person holds towards its per-person limit, in one
    grouped query: pending or handed over, and for a monthly limit only `month`'s.
    Rewards held none of are absent."""
    if not reward_ids:
        return {}
    rows = db.session.execute(
        select(Redemption.reward_id, func.count()).join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.user_id == user_id, Redemption.reward_id.in_(reward_ids), Redemption.status.in_(HELD),
               or_(Reward.limit_period != "month", Redemption.month == month))
        .group_by(Redemption.reward_id)
    )
    return {reward_id: n for reward_id, n in rows}


def rewards_page(page: int, per_page: int, user_id: int, now: datetime | None = None) -> dict:
    """Visible rewards that are on offer now or will be, each with how many more the
    person may take now (`my_remaining`, None when unlimited)."""
    now = now or utcnow()
    q = (select(Reward).where(Reward.visible.is_(True), (Reward.offered_until.is_(None)) | (Reward.offered_until >= now),
                              tenancy.rewards_for(user_id))
         .order_by(Reward.cost, Reward.id))
    pagination = db.paginate(q, page=page, per_page=per_page, error_out=False)
    limited = [r.id for r in pagination.items if r.per_user_limit is not None]
    held = held_counts(user_id, limited, limit_month(now))
    items = []
    for r in pagination.items:
        remaining = None if r.per_user_limit is None else max(r.per_user_limit - held.get(r.id, 0), 0)
        items.append({
            "id": r.id, "name": r.name, "description": r.description, "image_url": reward_image_url(r), "cost": r.cost,
            "stock": r.stock, "per_user_limit": r.per_user_limit, "limit_period": r.limit_period, "my_remaining": remaining,
            "offered_from": r.offered_from, "offered_until": r.offered_until,
            "available": offered(r, now) and r.stock > 0 and remaining != 0,
        })
    return {"items": items, "page": pagination.page, "per_page": pagination.per_page, "total": pagination.total}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """As typed or scanned at the counter: spaces, dashes and case do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


@writes
def redeem(user_id: int, reward_id: int, now: datetime | None = None) -> Redemption:
    now = now or utcnow()
    # Another town's reward is not on offer to this person (accounts.tenancy): not found.
    reward = db.session.scalar(select(Reward).where(Reward.id == reward_id, tenancy.rewards_for(user_id)))
    if reward is None or not reward.visible:
        raise NotFound("奖品不存在或已下架。")
    if not offered(reward, now):
        raise Conflict("该奖品不在兑换时间内。", code="not_offered")
    if reward.stock < 1:  # a quick answer; the conditional update below is what holds
        raise Conflict("该奖品已兑完。", code="out_of_stock")
    redemption = Redemption(
        user_id=user_id, reward_id=reward.id, cost=reward.cost, status="pending", pickup_code=_new_code(),
        month=limit_month(now), created_at=now,
        expires_at=now + timedelta(days=current_app.config["REDEMPTION_EXPIRY_DAYS"]),
    )
    db.session.add(redemption)
    db.session.flush()
    # Refused (not enough points, limit, stock) or failed, none of it stays: the unit
    # rolls back. This locks the person's row: their other redemptions wait here, so
    # the limit count below sees every one that committed before.
    ledger.spend_or_refund(user_id, -reward.cost, "redeem", f"redeem:{redemption.id}", f"兑换：{reward.name}"[:200], now)
    if reward.per_user_limit is not None:
        held = held_counts(user_id, [reward.id], redemption.month).get(reward.id, 0)
        if held > reward.per_user_limit:  # this one included
            per = "每月" if reward.limit_period == "month" else "每人"
            raise Conflict(f"该奖品{per}限兑 {reward.per_user_limit} 件，您已达到上限。", code="limit_reached")
    taken = db.session.execute(
        update(Reward).where(Reward.id == reward.id, Reward.stock >= 1).values(stock=Reward.stock - 1)
    ).rowcount
    if not taken:
        raise Conflict("该奖品已兑完。", code="out_of_stock")
    return redemption


def my_redemptions(user_id: int, page: int, per_page: int):
    return db.paginate(
        select(Redemption).where(Redemption.user_id == user_id).order_by(Redemption.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )


@writes
def cancel(user_id: int, redemption_id: int, now: datetime | None = None) -> Redemption:
    """The person changed their mind while it is still pending: points and stock back."""
    redemption = db.session.scalar(select(Redemption).where(Redemption.id == redemption_id, Redemption.user_id == user_id))
    if redemption is None:
        raise NotFound("兑换记录不存在。")
    _close(redemption, "cancelled", now or utcnow())
    return redemption


def _close(redemption: Redemption, status: str, now: datetime) -> None:
    """Cancel or expire a pending redemption, refunding both; exactly one of cancel,
    expiry and hand-over wins the conditional update."""
    won = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == "pending")
        .values(status=status, closed_at=now)
    ).rowcount
    if not won:
        db.session.rollback()
        db.session.refresh(redemption)
        raise Conflict(f"该兑换{_label(redemption.status)}，不能取消。", code="not_pending")
    why = "取消兑换" if status == "cancelled" else "逾期未领取"
    ledger.spend_or_refund(redemption.user_id, redemption.cost, "refund", f"refund:{redemption.id}",
                           f"{why}退回：{redemption.reward.name}"[:200], now)
    db.session.execute(update(Reward).where(Reward.id == redemption.reward_id).values(stock=Reward.stock + 1))
    db.session.commit()
    db.session.refresh(redemption)


def _label(status: str) -> str:
    from points.models import REDEMPTION_STATUS_LABELS

    return REDEMPTION_STATUS_LABELS.get(status, status)


def find_by_code(code: str) -> Redemption | None:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(select(Redemption).where(Redemption.pickup_code == code).options(joinedload(Redemption.user)))


@writes
def hand_over(redemption_id: int, admin_id: int, now: datetime | None = None) -> Redemption:
    """Staff give the reward out against the code: recorded with who and when."""
    now = now or utcnow()
    won = db.session.execute(
        update(Redemption).where(Redemption.id == redemption_id, Redemption.status == "pending", Redemption.expires_at >= now)
        .values(status="handed_over", handed_over_at=now, handed_over_by=admin_id)
    ).rowcount
    if won:
        done = db.session.get(Redemption, redemption_id)
        audit.record(admin_id, "update", "redemption", redemption_id, f"发放奖品：{done.reward.name}，领取码 {done.pickup_code}")
        db.session.commit()
    else:
        db.session.rollback()
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("兑换记录不存在。")
    if not won:
        if redemption.status == "pending":
            raise Conflict("该兑换已过领取期限，请让兑换人重新兑换。", code="expired")
        raise Conflict(f"该兑换{_label(redemption.status)}，不能再领取。", code="not_pending")
    return redemption


@writes
def expire_unclaimed(now: datetime | None = None) -> int:
    """Refund every pending redemption past its pickup deadline (schedule it daily)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Redemption.id).where(Redemption.status == "pending", Redemption.expires_at < now)
    ).all()
    db.session.rollback()
    done = 0
    for redemption_id in due:
        redemption = db.session.get(Redemption, redemption_id)
        try:
            _close(redemption, "expired", now)
            done += 1
        except Conflict:  # handed over or cancelled meanwhile
            continue
    return done


def pickup_qr(redemption: Redemption) -> str:
    """The pickup code as a QR image for the phone to show (a PNG data URI)."""
    import segno  # heavy: imported where used

    return segno.make(redemption.pickup_code, error="m").png_data_uri(scale=8, border=2)
