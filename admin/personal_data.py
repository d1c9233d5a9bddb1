"""Who in the panel saw or exported people's personal information: a person's page, the
roster with its phones, and every file of names (rankings, redemptions, check-in lists,
exam results, binding codes, certificates). In 操作日志 under 查看个人信息 and 导出个人信息."""
from flask_login import current_user

from accounts import audit


def viewed(entity: str, entity_id, what: str) -> None:
    audit.personal(current_user.id, audit.VIEWED, entity, entity_id, what)


def exported(entity: str, entity_id, what: str) -> None:
    audit.personal(current_user.id, audit.EXPORTED, entity, entity_id, what)
