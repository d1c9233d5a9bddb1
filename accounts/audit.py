"""The audit log: every change made in the admin panel, with who and when; and who saw
or exported people's personal information (个人信息保护法)."""
from accounts.models import AuditLog
from core.extensions import db
from core.transactions import writing

VIEWED, EXPORTED = "view_personal", "export_personal"
# Every action the log records, as the panel's 操作日志 names it (and filters by it).
ACTION_LABELS = {
    "create": "新建", "update": "修改", "retire": "停用", "delete": "删除", "new_version": "新版本", "import": "导入",
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录被锁定", "logout": "退出登录",
    "totp_on": "开启两步验证", "totp_off": "关闭两步验证", "end_sessions": "结束所有会话",
    "publish": "发布", "reject": "驳回", "undo_import": "撤销导入", "confirm": "确认无误",
    VIEWED: "查看个人信息", EXPORTED: "导出个人信息",
}


def record(admin_id: int | None, action: str, entity: str, entity_id, summary: str = "") -> None:
    if action not in ACTION_LABELS:  # a new action without its Chinese name fails its first test, not the log's reader
        raise ValueError(f"audit action {action!r} has no label in accounts.audit.ACTION_LABELS")
    db.session.add(AuditLog(admin_id=admin_id, action=action, entity=entity, entity_id=str(entity_id or ""), summary=summary[:2000]))


def personal(admin_id: int, action: str, entity: str, entity_id, summary: str) -> None:
    """Someone saw (VIEWED) or exported (EXPORTED) people's personal information: written
    at once in a unit of its own, as the page or file it records changes nothing."""
    with writing():
        record(admin_id, action, entity, entity_id, summary)
