from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, event, inspect, select, text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.timeutil import utcnow

ORG_KINDS = ("town", "village", "community", "department")
ORG_KIND_LABELS = {"town": "镇", "village": "村", "community": "社区", "department": "部门"}
USER_ROLES = ("resident", "cadre")
ADMIN_ROLES = ("admin", "editor", "reviewer")
ADMIN_ROLE_LABELS = {"admin": "管理员", "editor": "题库编辑", "reviewer": "只读审阅"}


class OrgUnit(db.Model):
    __tablename__ = "org_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    # The town the unit belongs to (a town's own id for the town): the tenant of
    # everything hung on the unit. Set when the unit is saved (accounts.tenancy).
    town_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    parent: Mapped["OrgUnit | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])

    __table_args__ = (CheckConstraint(f"kind IN {ORG_KINDS}", name="kind"),)

    def __str__(self) -> str:
        return self.name


@event.listens_for(OrgUnit, "before_insert")
@event.listens_for(OrgUnit, "before_update")
def _set_town(mapper, connection, unit: OrgUnit) -> None:
    """The one place a unit's town is set (rules in accounts.tenancy): a town is its own;
    another unit takes its parent's town, or, given no parent, the only town there is.
    A unit whose town changes takes its whole subtree with it (_retown_subtree); a save
    that changes neither its parent nor its kind reads nothing."""
    state = inspect(unit)
    if state.has_identity and not any(state.attrs[key].history.has_changes() for key in ("parent_id", "parent", "kind")):
        return
    before = unit.town_id if state.has_identity else None
    if unit.kind == "town":
        if unit.id is None:  # its own id is its town: taken from the sequence before the insert
            unit.id = connection.scalar(text(
                "SELECT nextval(pg_get_serial_sequence('org_unit', 'id'))" if connection.dialect.name == "postgresql"
                else "SELECT coalesce(max(id), 0) + 1 FROM org_unit"))
        unit.town_id = unit.id
    else:
        parent = unit.__dict__.get("parent")  # parent_id is already the new parent's by now
        if unit.parent_id is not None:
            if state.has_identity:
                _refuse_cycle(connection, unit, unit.parent_id)
            unit.town_id = (parent.town_id if parent is not None and parent.id == unit.parent_id else
                            connection.scalar(select(OrgUnit.town_id).where(OrgUnit.id == unit.parent_id)))
        elif unit.town_id is None:
            towns = connection.scalars(select(OrgUnit.id).where(OrgUnit.kind == "town").limit(2)).all()
            if len(towns) != 1:
                raise ValueError(f"单位“{unit.name}”须属于某个镇：请选择它的上级镇。")
            unit.parent_id = unit.town_id = towns[0]
    if state.has_identity and unit.town_id != before:
        _retown_subtree(connection, state.session, unit)


def _refuse_cycle(connection, unit: OrgUnit, parent_id: int) -> None:
    """A unit may not be put under itself or one of its own sub-units (one statement:
    the new parent's chain of ancestors, read upwards; UNION stops on a loop already there)."""
    table = OrgUnit.__table__
    up = select(table.c.id, table.c.parent_id).where(table.c.id == parent_id).cte("ancestors", recursive=True)
    above = table.alias("above")
    up = up.union(select(above.c.id, above.c.parent_id).join(up, above.c.id == up.c.parent_id))
    if connection.scalar(select(up.c.id).where(up.c.id == unit.id).limit(1)) is not None:
        raise ValueError(f"不能把单位“{unit.name}”移到它自己或它的下级单位之下。")


def _retown_subtree(connection, session, unit: OrgUnit) -> None:
    """Give every unit under `unit` (down to, not into, another town) the unit's town, in
    one statement; the people, cadres and events hung on them follow through their unit.
    Sub-units loaded in the session are told their new town without being reloaded."""
    table = OrgUnit.__table__
    below = select(table.c.id).where(table.c.parent_id == unit.id, table.c.kind != "town").cte("subtree", recursive=True)
    child = table.alias("child")
    below = below.union(select(child.c.id).join(below, child.c.parent_id == below.c.id).where(child.c.kind != "town"))
    moved = connection.scalars(update(table).where(table.c.id.in_(select(below.c.id)), table.c.id != unit.id)
                               .values(town_id=unit.town_id).returning(table.c.id)).all()
    for unit_id in moved:
        loaded = session.identity_map.get(identity_key(OrgUnit, unit_id)) if session is not None else None
        if loaded is not None:
            set_committed_value(loaded, "town_id", unit.town_id)


class User(db.Model):
    """A person using the mini-program: a resident, or a cadre once bound to the roster."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    # WeChat openids are 28 characters; development logins are "dev:" + a code of up to 128.
    openid: Mapped[str] = mapped_column(String(160), unique=True)
    # Kept on the server only: needed to decrypt WeChat data, never sent to the client.
    session_key: Mapped[str | None] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(String(64), default="")
    avatar_url: Mapped[str] = mapped_column(String(500), default="")
    real_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(20), default="resident")
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    points_balance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when the person deleted their account (注销, accounts.privacy): the row stays,
    # anonymous, so the ledger and the figures stay true; its tokens stop working.
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)

    org_unit: Mapped[OrgUnit | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("points_balance >= 0", name="balance_not_negative"),
        CheckConstraint(f"role IN {USER_ROLES}", name="role"),
    )

    def __str__(self) -> str:
        return self.real_name or self.nickname or f"用户{self.id}"


class Cadre(db.Model):
    """A cadre on the roster an admin imported. A logged-in user becomes this cadre by
    giving the name and the personal binding code (once)."""

    __tablename__ = "cadre"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # The roster's key: a re-import updates the row with the same phone number.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    position: Mapped[str] = mapped_column(String(100), default="")
    newly_promoted: Mapped[bool] = mapped_column(default=False)
    binding_code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)
    bound_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    user: Mapped["User | None"] = relationship()

    def __str__(self) -> str:
        return f"{self.name}（{self.org_unit.name if self.org_unit else ''}）"


class AdminUser(db.Model):
    """Township staff using the admin panel."""

    __tablename__ = "admin_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="admin")
    # The town whose staff this account is; None: district (区级) staff, who see every town.
    town_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-step login: the TOTP secret (base32), and the last time step accepted, so a
    # code seen over a shoulder cannot be used again.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_last_step: Mapped[int | None]
    # Part of every session's id: raising it ends every session of the account.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    town: Mapped[OrgUnit | None] = relationship()

    __table_args__ = (CheckConstraint(f"role IN {ADMIN_ROLES}", name="role"),)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_epoch = (self.session_epoch or 0) + 1  # a new password signs out every session

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_epoch}"

    def __str__(self) -> str:
        return self.username


class AuditLog(db.Model):
    """Who changed what in the admin panel, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    admin: Mapped[AdminUser | None] = relationship(lazy="joined")


# -- subscription messages (reminders/) ---------------------------------------------
REMINDER_STATUSES = ("sending", "sent", "failed")


class SubscriptionCredit(db.Model):
    """How many subscription messages of one template a person still allows: WeChat
    delivers one message per acceptance in wx.requestSubscribeMessage."""

    __tablename__ = "subscription_credit"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    # The template's name in WECHAT_TEMPLATES (a reminder's reason), not WeChat's id.
    template: Mapped[str] = mapped_column(String(40), primary_key=True)
    credits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("credits >= 0", name="credits_not_negative"),)


class Reminder(db.Model):
    """One reminder: a person, a reason and what it is about (an exam, a redemption).
    The key is the primary key, so a reminder is claimed once and goes at most once."""

    __tablename__ = "reminder"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    # sending: claimed, WeChat asked (kept if the run dies: never sent twice);
    # sent; failed: WeChat refused or was unreachable, tried again while failures allow.
    status: Mapped[str] = mapped_column(String(20), default="sending")
    failures: Mapped[int] = mapped_column(default=0)
    errcode: Mapped[int | None]
    errmsg: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tried_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(f"status IN {REMINDER_STATUSES}", name="status"),)
