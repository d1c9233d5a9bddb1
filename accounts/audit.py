"""The audit log: every change made in the admin panel, with who and when."""
from accounts.models import AuditLog
from core.extensions import db


def record(admin_id: int | None, action: str, entity: str, entity_id, summary: str = "") -> None:
    db.session.add(AuditLog(admin_id=admin_id, action=action, entity=entity, entity_id=str(entity_id or ""), summary=summary[:2000]))
