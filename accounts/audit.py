"""The audit log: every change made in the admin panel, with who and when; and who saw
or exported people's personal information (个人信息保护法)."""
from accounts.models import AuditLog
from core.extensions import db
from core.transactions import writing

VIEWED, EXPORTED = "view_personal", "export_personal"
PERSONAL_ACTIONS = {VIEWED: "查看个人信息", EXPORTED: "导出个人信息"}


def record(admin_id: int | None, action: str, entity: str, entity_id, summary: str = "") -> None:
    db.session.add(AuditLog(admin_id=admin_id, action=action, entity=entity, entity_id=str(entity_id or ""), summary=summary[:2000]))


def personal(admin_id: int, action: str, entity: str, entity_id, summary: str) -> None:
    """Someone saw (VIEWED) or exported (EXPORTED) people's personal information: written
    at once in a unit of its own, as the page or file it records changes nothing."""
    with writing():
        record(admin_id, action, entity, entity_id, summary)
