"""flask reminders send: every due reminder, each at most once, one credit each.

A reminder is claimed before WeChat is asked (its row, keyed by person, reason and
subject, turns `sending` in the same unit that takes one of the person's credits), so
two runs at once never send it twice, and a run that dies mid-send leaves it claimed:
at most once rather than twice. WeChat's answer settles it: `sent`, or `failed` with
its errcode and message and the credit given back (none left if WeChat says the person
allows no more, 43101), tried again by later runs while failures <= REMINDER_RETRIES.

A send that went out but got no answer (timed out, or the connection broke after the
request was sent) may have been delivered, and a delivered message used one of the
person's acceptances: sending it again could deliver a duplicate that uses another.
So it is never retried: the reminder stays `sending` (outcome unknown, as when a run
dies mid-send) with errmsg saying why, and its credit stays used. Only a send WeChat
certainly did not act on is `failed` and retried: one it refused with an errcode or an
HTTP error, or one that never reached it (no connection). A stale access token is not a
failure: the WeChat client (accounts.wechat) replaces it and sends once more."""
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from flask import current_app
from sqlalchemy import and_, exists, or_, update

from accounts import wechat
from accounts.models import Reminder, SubscriptionCredit
from accounts.services import wechat_client
from core.extensions import db
from core.sql import insert
from core.timeutil import to_local, utcnow
from core.transactions import writing
from reminders.reasons import REASONS, Due
from reminders.templates import Template, configured

NO_CONSENT_LEFT = 43101  # "user refuse to accept the msg": no acceptance left to use
# The build a message opens follows the build the projector's codes open.
MINIPROGRAM_STATE = {"release": "formal", "trial": "trial", "develop": "developer"}
THING_MAX = 20  # WeChat's limit on a thing keyword's value, in characters


@dataclass
class Run:
    """What one run did, for the command's output."""

    problems: list[str] = field(default_factory=list)
    unconfigured: list[str] = field(default_factory=list)
    sent: int = 0
    failures: list[str] = field(default_factory=list)  # not delivered: tried again by a later run
    unknown: list[str] = field(default_factory=list)  # maybe delivered (no answer): never sent again


def send_due(now: datetime | None = None) -> Run:
    """Send every reminder due at `now` whose template is configured."""
    now = now or utcnow()
    templates, problems = configured()
    run = Run(problems=problems, unconfigured=[name for name in REASONS if name not in templates])
    if not templates:
        return run
    client = None
    for name, template in templates.items():
        for due in REASONS[name].due(now, partial(_wanted, name)):
            client = client or _client()  # before any claim: a claim is never left unsent for want of it
            if not _claim(name, due, now):
                continue
            error = _send(client, template, due)
            _settle(name, due, error)
            if error is None:
                run.sent += 1
                continue
            answer = error.errmsg if error.errcode is None else f"错误码 {error.errcode}，{error.errmsg}"
            line = f"{REASONS[name].label}（用户 {due.user_id}，编号 {due.subject_id}）：{answer}"
            (run.unknown if isinstance(error, wechat.WeChatNoAnswer) else run.failures).append(line)
    return run


class CannotSend(Exception):
    """No WeChat credentials, or no access token: nothing can be sent this run."""


def _client() -> wechat.WeChatClient:
    """The WeChat client, with an access token at hand."""
    if not wechat.configured():
        raise CannotSend("未设置 WECHAT_APPID 和 WECHAT_SECRET，无法发送订阅消息。")
    client = wechat_client()
    try:
        client.access_token()
    except wechat.WeChatError as error:
        raise CannotSend(f"无法获取微信接口凭证：{error.message.rstrip('。')}。未发送的提醒在下次运行时发送。")
    return client


def _wanted(reason: str, user_id, subject_id):
    """SQL: the person holds a credit for the reason, and this reminder is neither sent,
    nor being sent, nor given up."""
    reminder, credit = Reminder.__table__.c, SubscriptionCredit.__table__.c
    return and_(
        exists().where(credit.user_id == user_id, credit.template == reason, credit.credits > 0),
        ~exists().where(reminder.user_id == user_id, reminder.reason == reason, reminder.subject_id == subject_id,
                        or_(reminder.status != "failed", reminder.failures > current_app.config["REMINDER_RETRIES"])),
    )


class _Taken(Exception):
    """No credit left, or another run holds the reminder: the unit rolls back."""


def _claim(reason: str, due: Due, now: datetime) -> bool:
    key = (Reminder.user_id == due.user_id, Reminder.reason == reason, Reminder.subject_id == due.subject_id)
    try:
        with writing():
            if not db.session.execute(
                update(SubscriptionCredit).where(SubscriptionCredit.user_id == due.user_id, SubscriptionCredit.template == reason,
                                                 SubscriptionCredit.credits >= 1)
                .values(credits=SubscriptionCredit.credits - 1, updated_at=now)
            ).rowcount:
                raise _Taken
            retried = db.session.execute(
                update(Reminder).where(*key, Reminder.status == "failed", Reminder.failures <= current_app.config["REMINDER_RETRIES"])
                .values(status="sending", tried_at=now)
            ).rowcount
            if not retried and not db.session.execute(
                insert(Reminder).values(user_id=due.user_id, reason=reason, subject_id=due.subject_id, status="sending",
                                        failures=0, errmsg="", created_at=now, tried_at=now).on_conflict_do_nothing()
            ).rowcount:
                raise _Taken
    except _Taken:
        return False
    return True


def _settle(reason: str, due: Due, error: wechat.WeChatError | None) -> None:
    key = (Reminder.user_id == due.user_id, Reminder.reason == reason, Reminder.subject_id == due.subject_id)
    with writing():
        if error is None:
            db.session.execute(update(Reminder).where(*key).values(status="sent", sent_at=utcnow(), errcode=None, errmsg=""))
            return
        if isinstance(error, wechat.WeChatNoAnswer):
            # Perhaps delivered: it stays claimed (never sent again) and its credit used.
            db.session.execute(update(Reminder).where(*key).values(errcode=None, errmsg=error.errmsg[:200]))
            return
        db.session.execute(update(Reminder).where(*key).values(
            status="failed", failures=Reminder.failures + 1, errcode=error.errcode, errmsg=error.errmsg[:200]))
        # WeChat used no acceptance: give the credit back, unless it says none is left.
        credits = 0 if error.errcode == NO_CONSENT_LEFT else SubscriptionCredit.credits + 1
        db.session.execute(update(SubscriptionCredit).where(SubscriptionCredit.user_id == due.user_id,
                                                            SubscriptionCredit.template == reason).values(credits=credits))


def message(template: Template, due: Due) -> dict:
    """subscribeMessage.send's body for one reminder."""
    values = {"title": due.title, "time": _when(due.time), "note": due.note}
    data = {}
    for keyword, value_name in template.fields.items():
        value = values[value_name]
        if keyword.startswith("thing") and len(value) > THING_MAX:
            value = value[:THING_MAX - 1] + "…"
        data[keyword] = {"value": value}
    state = MINIPROGRAM_STATE.get(current_app.config["WXACODE_ENV_VERSION"], "formal")
    return {"touser": due.openid, "template_id": template.id, "page": template.page.format(id=due.subject_id),
            "data": data, "miniprogram_state": state, "lang": "zh_CN"}


def _when(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _send(client: wechat.WeChatClient, template: Template, due: Due) -> wechat.WeChatError | None:
    """None when WeChat took the message, else what went wrong."""
    try:
        client.send_subscribe_message(message(template, due))
    except wechat.WeChatError as error:
        return error
    return None
