"""Consents as credits, and the templates read from WECHAT_TEMPLATES."""
import pytest
from sqlalchemy import select

from accounts.models import SubscriptionCredit
from core.domain_errors import Invalid
from core.extensions import db
from reminders.subscriptions import listing, subscribe
from reminders.templates import configured


def test_each_acceptance_is_one_credit_per_person_and_template(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", {"reward_ready": "tmpl-ready", "reward_expiring": "tmpl-expiring"})
    wang, li = make.user(), make.user()
    subscribe(wang.id, ["reward_ready", "reward_expiring"])
    subscribe(wang.id, ["reward_ready"])
    subscribe(li.id, ["reward_expiring"])

    rows = db.session.execute(select(SubscriptionCredit.user_id, SubscriptionCredit.template, SubscriptionCredit.credits)).all()
    assert sorted(rows) == sorted([(wang.id, "reward_ready", 2), (wang.id, "reward_expiring", 1), (li.id, "reward_expiring", 1)])
    assert [(t["name"], t["remaining"]) for t in listing(li.id)] == [("reward_ready", 0), ("reward_expiring", 1)]


def test_exam_reminders_are_for_cadres(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", {"exam_open": "tmpl-open"})
    resident, cadre = make.user(), make.user()
    make.cadre(cadre)
    with pytest.raises(Invalid) as refused:
        subscribe(resident.id, ["exam_open"])
    assert refused.value.details == {"templates": ["exam_open 不是可订阅的消息模板。"]}
    subscribe(cadre.id, ["exam_open"])
    assert listing(cadre.id)[0]["remaining"] == 1 and listing(resident.id) == []


@pytest.mark.parametrize("setting, problem", [
    ("{not json", "WECHAT_TEMPLATES 不是有效的 JSON"),
    ('["tmpl-open"]', "应是 JSON 对象"),
    ('{"exam_opened": "tmpl-open"}', "exam_opened 不是已知的提醒"),
    ('{"exam_open": {"id": "tmpl-open", "fields": {"thing1": "name"}}}', "exam_open 的 fields 应把模板的每个关键词对应到 title、time、note 之一"),
    ('{"exam_open": {"id": 42}}', "exam_open 的模板 ID 和页面应是文字"),
])
def test_a_bad_setting_is_named_and_its_templates_are_not_offered(app, monkeypatch, setting, problem):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", setting)
    templates, problems = configured()
    assert templates == {} and len(problems) == 1 and problem in problems[0]


def test_a_template_may_name_its_keywords_and_page(app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", {
        "exam_open": {"id": "tmpl-open", "fields": {"thing2": "title", "date5": "time"}, "page": "pkg/exam/index?exam={id}"},
        "reward_ready": " tmpl-ready ", "reward_expiring": ""})
    templates, problems = configured()
    assert problems == [] and set(templates) == {"exam_open", "reward_ready"}  # an empty id: not configured
    assert templates["exam_open"].fields == {"thing2": "title", "date5": "time"} and templates["exam_open"].page == "pkg/exam/index?exam={id}"
    assert templates["reward_ready"].id == "tmpl-ready" and templates["reward_ready"].fields == {"thing1": "title", "time2": "time", "thing3": "note"}
