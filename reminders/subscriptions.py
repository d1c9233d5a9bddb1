"""What each person allows us to send: one credit per acceptance of a template in
wx.requestSubscribeMessage, since WeChat delivers one message per acceptance.

The phone reports what was accepted (POST /me/subscriptions), each template once per
report, as one tap of requestSubscribeMessage accepts each template once. A retried
report is the same tap again only if it carries the same Idempotency-Key, which
api.idempotency answers from the first time without adding anything."""
from sqlalchemy import select

from accounts.models import SubscriptionCredit
from accounts.services import get_user
from core.domain_errors import Invalid
from core.extensions import db
from core.sql import insert
from core.timeutil import utcnow
from core.transactions import writes
from reminders.reasons import REASONS
from reminders.templates import Template, configured


def offered(role: str) -> dict[str, Template]:
    """The configured templates that may concern a person of this role, by name."""
    templates, _ = configured()
    return {name: t for name, t in templates.items() if role in REASONS[name].roles}


def listing(user_id: int) -> list[dict]:
    """Every template offered to the person, with how many messages of it they allow."""
    user = get_user(user_id)
    credits = dict(db.session.execute(
        select(SubscriptionCredit.template, SubscriptionCredit.credits).where(SubscriptionCredit.user_id == user.id)
    ).all())
    return [{"name": name, "label": REASONS[name].label, "template_id": t.id, "remaining": credits.get(name, 0)}
            for name, t in offered(user.role).items()]


@writes
def subscribe(user_id: int, names: list[str]) -> None:
    """Add one credit per template the person accepted; nothing if one is not offered."""
    user = get_user(user_id)
    templates = offered(user.role)
    refused = [name for name in dict.fromkeys(names) if name not in templates]
    if refused:
        raise Invalid(f"不能订阅这些消息：{'、'.join(refused)}。可订阅：{'、'.join(templates) or '无'}。",
                      {"templates": [f"{name} 不是可订阅的消息模板。" for name in refused]})
    now = utcnow()
    for name in dict.fromkeys(names):
        db.session.execute(
            insert(SubscriptionCredit).values(user_id=user.id, template=name, credits=1, updated_at=now)
            .on_conflict_do_update(index_elements=["user_id", "template"],
                                   set_={"credits": SubscriptionCredit.__table__.c.credits + 1, "updated_at": now})
        )
