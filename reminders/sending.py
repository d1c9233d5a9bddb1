"""flask reminders send: every due reminder, each at most once, one credit each.

A reminder is claimed before WeChat is asked (its row, keyed by person, reason and
subject, turns `sending` in the same unit that takes one of the person's credits), so
two runs at once never send it twice, and a run that dies mid-send leaves it claimed:
at most once rather than twice. WeChat's answer settles it: `sent`, or `failed` with
its errcode and message and the credit given back (none left if WeChat says the person
allows no more, 43101), tried again by later runs while failures <= REMINDER_RETRIES."""
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from flask import current_app
from sqlalchemy import and_, exists, or_, update

from accounts.models import Reminder, SubscriptionCredit
from accounts.services import wechat_client
from accounts.wechat import STALE_ACCESS_TOKEN, WeChatApiError
from activities import checkin_codes
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
    failures: list[str] = field(default_factory=list)


def send_due(now: datetime | None = None) -> Run:
    """Send every reminder due at `now` whose template is configured."""
    now = now or utcnow()
    templates, problems = configured()
    run = Run(problems=problems, unconfigured=[name for name in REASONS if name not in templates])
    if not templates:
        return run
    token = None
    for name, template in templates.items():
        for due in REASONS[name].due(now, partial(_wanted, name)):
            token = token or _access_token()  # before any claim: a claim is never left unsent for want of it
            if not _claim(name, due, now):
                continue
            errcode, errmsg = _send(token, template, due)
            _settle(name, due, errcode, errmsg)
            if errcode in STALE_ACCESS_TOKEN:  # the cached token went stale: the next send fetches another
                _forget(token)
                token = None
            if errcode == 0:
                run.sent += 1
            else:
                answer = errmsg if errcode is None else f"错误码 {errcode}，{errmsg}"
                run.failures.append(f"{REASONS[name].label}（用户 {due.user_id}，编号 {due.subject_id}）：{answer}")
    return run


def _forget(token: str) -> None:
    checkin_codes._tokens().forget(token)  # the shared cache of WeChat's access token


class CannotSend(Exception):
    """No WeChat credentials, or no access token: nothing can be sent this run."""


def _access_token() -> str:
    if not checkin_codes.wechat_configured():
        raise CannotSend("未设置 WECHAT_APPID 和 WECHAT_SECRET，无法发送订阅消息。")
    try:
        return checkin_codes.access_token()
    except WeChatApiError as error:
        raise CannotSend(f"无法获取微信接口凭证：{error.message}。未发送的提醒在下次运行时发送。")


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


def _settle(reason: str, due: Due, errcode: int | None, errmsg: str) -> None:
    key = (Reminder.user_id == due.user_id, Reminder.reason == reason, Reminder.subject_id == due.subject_id)
    with writing():
        if errcode == 0:
            db.session.execute(update(Reminder).where(*key).values(status="sent", sent_at=utcnow(), errcode=None, errmsg=""))
            return
        db.session.execute(update(Reminder).where(*key).values(
            status="failed", failures=Reminder.failures + 1, errcode=errcode, errmsg=errmsg[:200]))
        # WeChat used no acceptance: give the credit back, unless it says none is left.
        credits = 0 if errcode == NO_CONSENT_LEFT else SubscriptionCredit.credits + 1
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


def _send(token: str, template: Template, due: Due) -> tuple[int | None, str]:
    """(errcode, errmsg) of subscribeMessage.send; errcode 0 is sent, None is no answer."""
    import requests

    client = wechat_client()
    try:
        # Chinese as UTF-8, not \u escapes: what WeChat's own examples send.
        resp = client.http.post(f"{client.api_base}/cgi-bin/message/subscribe/send", params={"access_token": token},
                                data=json.dumps(message(template, due), ensure_ascii=False).encode(),
                                headers={"Content-Type": "application/json; charset=utf-8"}, timeout=client.timeout)
    except requests.RequestException as error:
        return None, f"无法连接微信服务（{type(error).__name__}）"
    try:
        data = resp.json()
    except ValueError:
        data = None
    errcode = data.get("errcode", 0) if isinstance(data, dict) else None
    if resp.status_code >= 400 or not isinstance(errcode, int):
        return None, f"微信服务返回 HTTP {resp.status_code}，内容无法识别"
    return errcode, str(data.get("errmsg") or "")
