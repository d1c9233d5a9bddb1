"""flask reminders send: what is due goes once, only with a credit, failures retried."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import Reminder, SubscriptionCredit
from core.extensions import db
from core.timeutil import to_local, utcnow
from points.rewards import redeem
from quiz_bank.exams.attempts import start_attempt
from reminders.subscriptions import subscribe

SEND = "/cgi-bin/message/subscribe/send"
TEMPLATES = {"exam_open": "tmpl-exam-open", "exam_closing": "tmpl-exam-closing",
             "reward_ready": "tmpl-reward-ready", "reward_expiring": "tmpl-reward-expiring"}


@pytest.fixture
def templates(app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", TEMPLATES)
    monkeypatch.setitem(app.config, "REMINDER_RETRIES", 1)
    return TEMPLATES


@pytest.fixture
def send(app, wechat, templates, monkeypatch):
    """Runs the command against the fake WeChat server; returns its output."""
    monkeypatch.delitem(app.extensions, "pufa_wechat_token", raising=False)  # a token of this fake

    def run():
        result = app.test_cli_runner().invoke(args=["reminders", "send"])
        assert result.exit_code == 0, result.output
        return result.output

    return run


def sends(wechat):
    return [r["body"] for r in wechat.requests if r["path"] == SEND]


def credits(user, template):
    db.session.expire_all()
    return db.session.scalar(select(SubscriptionCredit.credits).where(
        SubscriptionCredit.user_id == user.id, SubscriptionCredit.template == template)) or 0


def reminder(user, reason, subject_id):
    db.session.expire_all()
    return db.session.get(Reminder, (user.id, reason, subject_id))


def cadre_user(make):
    user = make.user(openid="o-cadre-zhang")
    make.cadre(user)
    return user


def test_an_open_exam_is_reminded_once_and_never_twice(make, wechat, send):
    user = cadre_user(make)
    exam = make.exam(title="2026年度领导干部学法考试", closes_at=utcnow() + timedelta(days=5))
    subscribe(user.id, ["exam_open"])
    subscribe(user.id, ["exam_open"])  # two acceptances: two messages allowed

    assert "已发送订阅消息 1 条，失败 0 条" in send()
    assert "已发送订阅消息 0 条" in send()

    [message] = sends(wechat)
    closes = to_local(exam.closes_at)
    assert message["touser"] == "o-cadre-zhang" and message["template_id"] == "tmpl-exam-open"
    assert message["page"] == f"pages/exam/exam?id={exam.id}"
    assert message["data"] == {"thing1": {"value": "2026年度领导干部学法考试"},
                               "time2": {"value": f"{closes.year}年{closes.month}月{closes.day}日 {closes:%H:%M}"},
                               "thing3": {"value": "考试已开始，请在截止前参加"}}
    assert credits(user, "exam_open") == 1  # one consent used, one left for the next exam
    assert reminder(user, "exam_open", exam.id).status == "sent"


def test_without_a_credit_nothing_is_sent(make, wechat, send):
    subscribed, other = cadre_user(make), make.user()
    make.cadre(other)
    exam = make.exam()
    subscribe(subscribed.id, ["reward_ready"])  # a credit, but for another template

    assert "已发送订阅消息 0 条" in send()
    assert sends(wechat) == []
    assert reminder(subscribed, "exam_open", exam.id) is None and reminder(other, "exam_open", exam.id) is None


def test_a_wechat_error_is_recorded_and_tried_again(make, wechat, send):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])
    wechat.send_reply = {"errcode": -1, "errmsg": "system error"}

    output = send()
    assert "失败 1 条" in output and "错误码 -1，system error" in output and "最多重试 1 次" in output
    failed = reminder(user, "exam_open", exam.id)
    assert (failed.status, failed.failures, failed.errcode, failed.errmsg) == ("failed", 1, -1, "system error")
    assert credits(user, "exam_open") == 1  # WeChat used no consent: the credit is back

    wechat.send_reply = None
    assert "已发送订阅消息 1 条" in send()
    assert reminder(user, "exam_open", exam.id).status == "sent" and credits(user, "exam_open") == 0
    assert len(sends(wechat)) == 2


def test_a_stale_access_token_is_replaced_and_the_send_made_once_more(make, wechat, send):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])
    send()  # fetches at-1 and sends with it
    other = make.user()
    make.cadre(other)
    subscribe(other.id, ["exam_open"])
    wechat.revoked.add("at-1")  # WeChat no longer takes the cached token: it refused, so sent nothing

    assert "已发送订阅消息 1 条，失败 0 条" in send()
    assert reminder(other, "exam_open", exam.id).status == "sent" and credits(other, "exam_open") == 0
    assert [r["access_token"] for r in wechat.requests if r["path"] == SEND] == ["at-1", "at-1", "at-2"]


def test_an_unreachable_wechat_is_recorded_as_a_failure(app, make, wechat, send, monkeypatch):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])
    subscribe(user.id, ["exam_open"])
    send()  # the access token is cached from here on
    make.exam()
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delitem(app.extensions, "pufa_wechat")

    output = send()
    assert "失败 1 条" in output and "无法连接微信服务（ConnectionError）" in output
    failed = db.session.scalar(select(Reminder).where(Reminder.user_id == user.id, Reminder.subject_id != exam.id))
    assert (failed.status, failed.errcode, failed.failures) == ("failed", None, 1)


def test_a_send_wechat_does_not_answer_in_time_is_never_sent_again(app, make, wechat, send):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])
    subscribe(user.id, ["exam_open"])  # a second acceptance a duplicate would use up
    wechat.send_delay = app.config["WECHAT_TIMEOUT"] + 0.5  # WeChat took it, but answers too late

    output = send()
    assert "失败 0 条，未收到微信答复 1 条" in output and "ReadTimeout" in output and "可能已送达" in output and "不再重试" in output
    assert "之后运行时重试" not in output
    unknown = reminder(user, "exam_open", exam.id)
    assert (unknown.status, unknown.failures, unknown.sent_at) == ("sending", 0, None)  # outcome unknown
    assert "可能已送达" in unknown.errmsg
    assert credits(user, "exam_open") == 1  # the acceptance it may have used stays used

    wechat.send_delay = 0.0
    assert "已发送订阅消息 0 条，失败 0 条" in send()
    assert len(sends(wechat)) == 1  # the person gets it once at most, never twice


def test_a_failure_is_retried_at_most_retries_times(make, wechat, send):
    user = cadre_user(make)
    make.exam()
    subscribe(user.id, ["exam_open"])
    wechat.send_reply = {"errcode": 47003, "errmsg": "argument invalid! data.thing1.value invalid"}

    send(), send()  # the first try and one retry (REMINDER_RETRIES = 1)
    assert "已发送订阅消息 0 条，失败 0 条" in send()
    assert len(sends(wechat)) == 2
    assert credits(user, "exam_open") == 1


def test_wechat_saying_no_consent_is_left_empties_the_credits(make, wechat, send):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])
    subscribe(user.id, ["exam_open"])
    wechat.send_reply = {"errcode": 43101, "errmsg": "user refuse to accept the msg"}

    send()
    assert credits(user, "exam_open") == 0
    wechat.send_reply = None
    send()
    assert len(sends(wechat)) == 1  # not tried again without a new acceptance
    subscribe(user.id, ["exam_open"])
    assert "已发送订阅消息 1 条" in send()
    assert reminder(user, "exam_open", exam.id).status == "sent"


def test_closing_exams_are_reminded_a_day_before_to_those_who_have_not_sat_them(make, wechat, send):
    sat, unsat = cadre_user(make), make.user()
    make.cadre(unsat)
    closing = make.exam(closes_at=utcnow() + timedelta(hours=10))
    make.exam(closes_at=utcnow() + timedelta(hours=30))  # more than a day left
    start_attempt(sat.id, closing.id)
    for user in (sat, unsat):
        subscribe(user.id, ["exam_closing"])

    assert "已发送订阅消息 1 条" in send()
    [message] = sends(wechat)
    assert message["touser"] == unsat.openid and message["template_id"] == "tmpl-exam-closing"
    assert message["data"]["thing3"] == {"value": "距截止不足24小时，请尽快参加"}


def test_a_waiting_reward_is_reminded_and_again_two_days_before_it_expires(make, wechat, send):
    user = make.rich_user(points=100)
    reward = make.reward(name="《民法典》普法读本（2026年版）精装本附赠书签")
    redemption = redeem(user.id, reward.id)
    subscribe(user.id, ["reward_ready", "reward_expiring"])

    assert "已发送订阅消息 1 条" in send()
    [ready] = sends(wechat)
    assert ready["template_id"] == "tmpl-reward-ready" and ready["page"] == f"pages/redemption/redemption?id={redemption.id}"
    assert ready["data"]["thing1"]["value"] == "《民法典》普法读本（2026年版）精装…"  # 20 characters, WeChat's limit
    assert ready["data"]["thing3"]["value"] == f"凭领取码{redemption.pickup_code}领取"

    redemption.expires_at = utcnow() + timedelta(days=1, hours=20)
    db.session.commit()
    assert "已发送订阅消息 1 条" in send()
    assert sends(wechat)[-1]["template_id"] == "tmpl-reward-expiring"
    assert sends(wechat)[-1]["data"]["thing3"]["value"] == "2天内到期，逾期积分退回"


def test_a_reason_without_a_template_is_skipped_and_said_once(app, make, wechat, send, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES",
                        '{"exam_open": {"id": "tmpl-open", "fields": {"thing5": "title", "date3": "time"}}, "exam_ending": "x"}')
    user = cadre_user(make)
    make.exam()
    make.exam()
    subscribe(user.id, ["exam_open", "exam_open"])

    output = send()
    assert output.count("未在 WECHAT_TEMPLATES 配置模板") == 1
    assert "考试即将截止提醒（exam_closing）、奖品待领取提醒（reward_ready）、奖品即将过期提醒（reward_expiring）" in output
    assert "exam_ending 不是已知的提醒" in output
    assert "已发送订阅消息 1 条" in output  # one credit, two open exams: one message
    assert set(sends(wechat)[0]["data"]) == {"thing5", "date3"}


def test_without_wechat_credentials_nothing_is_claimed(app, make, templates):
    user = cadre_user(make)
    exam = make.exam()
    subscribe(user.id, ["exam_open"])

    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 1 and "未设置 WECHAT_APPID 和 WECHAT_SECRET" in result.output
    assert reminder(user, "exam_open", exam.id) is None and credits(user, "exam_open") == 1


def test_a_review_reminder_goes_in_the_evening_once_a_day_to_who_has_not_reviewed(app, make, wechat, templates, monkeypatch):
    from datetime import datetime

    from quiz_bank import quizzes
    from reminders.sending import send_due

    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", {**templates, "review_due": "tmpl-review"})
    monkeypatch.delitem(app.extensions, "pufa_wechat_token", raising=False)
    law = make.category()
    questions = make.questions(3, law)
    late, diligent = make.user(openid="o-late"), make.user(openid="o-diligent")
    morning = datetime(2026, 11, 30, 1, 0)  # 09:00 in Shanghai
    for person in (late, diligent):
        subscribe(person.id, ["review_due"])
        subscribe(person.id, ["review_due"])  # two acceptances: two evenings
        quiz, _ = quizzes.start_quiz(person.id, "practice", law.id, now=morning)
        for item in quiz.items:
            quizzes.answer(person.id, quiz.id, item.question_id, ["A"] if item.question.answer != ["A"] else ["B"], now=morning)
    review, _ = quizzes.start_quiz(diligent.id, "review", now=morning)
    quizzes.answer(diligent.id, review.id, review.items[0].question_id, ["A"], now=morning)

    assert send_due(morning + timedelta(hours=3)).sent == 0  # 12:00: not yet
    evening = morning + timedelta(hours=11)  # 20:00
    assert send_due(evening).sent == 1
    assert send_due(evening + timedelta(hours=1)).sent == 0  # once a day
    [message] = sends(wechat)
    assert message["touser"] == "o-late" and message["template_id"] == "tmpl-review"
    assert message["data"]["thing1"] == {"value": f"今天有{len(questions)}道题到了复习时间"}
    assert credits(late, "review_due") == 1
    # The next evening neither has reviewed that day: both are reminded (late with the second credit).
    assert send_due(evening + timedelta(days=1)).sent == 2


def test_reminders_and_check_in_codes_share_one_access_token(app, make, wechat, send, monkeypatch):
    from activities import checkin_codes

    monkeypatch.delitem(app.extensions, "pufa_wxacodes", raising=False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    user = cadre_user(make)
    make.exam()
    subscribe(user.id, ["exam_open"])

    assert checkin_codes.code_image("AAAAAQAAAAAAAAAAAAAAAAAAAAA") is not None  # the projector's code: fetches at-1
    assert "已发送订阅消息 1 条" in send()
    assert len([r for r in wechat.requests if r["path"] == "/cgi-bin/stable_token"]) == 1
    assert {r["access_token"] for r in wechat.requests if r["path"] in (SEND, "/wxa/getwxacodeunlimit")} == {"at-1"}
