"""The subscription-message templates chosen in the mini-program console, from
WECHAT_TEMPLATES (JSON): reason -> template id, or {"id", "fields", "page"}.

A template's keywords (thing1, time2, …) are the console's own, so `fields` says which
of a reminder's values fills each: its title, its time or its note. A bad setting stops
no one: what is wrong is reported by the command, and the reason goes unsent."""
import json
from dataclasses import dataclass

from flask import current_app

from reminders.reasons import REASONS

VALUES = ("title", "time", "note")
DEFAULT_FIELDS = {"thing1": "title", "time2": "time", "thing3": "note"}


@dataclass(frozen=True)
class Template:
    reason: str
    id: str
    fields: dict
    page: str


def configured() -> tuple[dict[str, Template], list[str]]:
    """The templates by reason, and what is wrong in the setting (a Chinese line each)."""
    raw = current_app.config.get("WECHAT_TEMPLATES") or "{}"
    try:
        specs = raw if isinstance(raw, dict) else json.loads(raw)
    except ValueError:
        return {}, ["WECHAT_TEMPLATES 不是有效的 JSON，所有订阅消息都不会发送。"]
    if not isinstance(specs, dict):
        return {}, ["WECHAT_TEMPLATES 应是 JSON 对象（提醒名 → 模板 ID），所有订阅消息都不会发送。"]
    templates, problems = {}, []
    for name, spec in specs.items():
        if name not in REASONS:
            problems.append(f"WECHAT_TEMPLATES 中的 {name} 不是已知的提醒（可用：{'、'.join(REASONS)}），已忽略。")
            continue
        template = _template(name, spec if isinstance(spec, dict) else {"id": spec})
        if isinstance(template, str):
            problems.append(template)
        elif template.id:
            templates[name] = template
    return templates, problems


def _template(name: str, spec: dict) -> Template | str:
    template_id, fields, page = spec.get("id") or "", spec.get("fields", DEFAULT_FIELDS), spec.get("page", REASONS[name].page)
    if not isinstance(template_id, str) or not isinstance(page, str):
        return f"WECHAT_TEMPLATES 中 {name} 的模板 ID 和页面应是文字，此提醒不会发送。"
    if not isinstance(fields, dict) or not fields or any(value not in VALUES for value in fields.values()):
        return f"WECHAT_TEMPLATES 中 {name} 的 fields 应把模板的每个关键词对应到 {'、'.join(VALUES)} 之一，此提醒不会发送。"
    return Template(name, template_id.strip(), dict(fields), page)
