"""Admin accounts for the panel."""
from sqlalchemy import select

from accounts.models import ADMIN_ROLES, AdminUser
from core.extensions import db


def create_admin(username: str, password: str, role: str = "admin") -> AdminUser:
    if role not in ADMIN_ROLES:
        raise ValueError(f"role must be one of {ADMIN_ROLES}")
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    if admin is None:
        admin = AdminUser(username=username)
        db.session.add(admin)
    admin.role = role
    admin.set_password(password)
    db.session.commit()
    return admin


def authenticate(username: str, password: str) -> AdminUser | None:
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    if admin and admin.active and admin.check_password(password):
        return admin
    return None
