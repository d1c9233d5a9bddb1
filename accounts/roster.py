"""The cadre roster: imported from a spreadsheet, handed out as binding codes, and
bound to a mini-program account once."""
import io
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from accounts import tenancy
from accounts.models import Cadre, OrgUnit, User
from accounts.services import move_to_unit
from core import xlsx
from core.domain_errors import Conflict, Invalid
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes

HEADERS = ["姓名", "手机号", "单位", "职务", "是否新提拔"]
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
YES = {"是", "y", "yes", "true", "1", "新提拔", "√"}
NO = {"", "否", "n", "no", "false", "0"}
# No 0/O, 1/I/L: a code read aloud or copied from paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# Phones (or binding codes) asked about per IN list: far below SQLite's and PostgreSQL's
# limits on parameters.
PHONES_PER_QUERY = 1000


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass
class RosterRow:
    line: int
    name: str
    phone: str
    unit: OrgUnit
    position: str
    newly_promoted: bool


@dataclass
class RosterPlan:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    new: int = 0
    changed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def plan_roster(content: bytes, town_id: int | None = None) -> RosterPlan:
    """Read a roster (.xlsx) and check every row; nothing is written. A town's roster
    (`town_id`, accounts.tenancy) names units of that town and may not take over a cadre
    of another town (the phone is the key); a unit name several towns use is ambiguous
    on the district's roster."""
    from openpyxl import load_workbook  # heavy: imported where used

    plan = RosterPlan()
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    except Exception:
        plan.problems.append((1, "无法读取这个 Excel 文件，请确认它是 .xlsx 格式。"))
        return plan
    if not rows:
        plan.problems.append((1, "文件是空的。"))
        return plan
    header = [str(h or "").strip() for h in rows[0]]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        plan.problems.append((1, f"表头缺少：{'、'.join(missing)}。请使用花名册模板。"))
        return plan
    col = {h: header.index(h) for h in HEADERS}
    units: dict[str, OrgUnit | None] = {}
    for u in db.session.scalars(tenancy.scope(select(OrgUnit), OrgUnit, town_id)):
        units[u.name] = None if u.name in units else u  # None: more than one unit of the name
    lines = []
    for line, raw in enumerate(rows[1:], start=2):
        cells = ["" if v is None else str(v).strip() for v in raw]
        if any(cells):
            lines.append((line, cells))

    def cell(cells, name):
        i = col[name]
        return cells[i] if i < len(cells) else ""

    # Only the file's own phones are asked about: which of them are another town's cadres.
    elsewhere = set() if town_id is None else _phones_among(
        {_phone(cell(cells, "手机号")) for _, cells in lines}, ~tenancy.condition(Cadre, town_id))
    seen_phones: dict[str, int] = {}
    for line, cells in lines:
        name, phone, unit_name = cell(cells, "姓名"), _phone(cell(cells, "手机号")), cell(cells, "单位")
        promoted = cell(cells, "是否新提拔").lower()
        before = len(plan.problems)
        if not name or len(name) > 64:
            plan.problems.append((line, "姓名不能为空，且不超过 64 个字。"))
        if not PHONE_RE.match(phone):
            plan.problems.append((line, f"手机号“{phone}”不是 11 位手机号码。"))
        elif phone in seen_phones:
            plan.problems.append((line, f"手机号 {phone} 与第 {seen_phones[phone]} 行重复。"))
        elif phone in elsewhere:
            plan.problems.append((line, f"手机号 {phone} 是其他镇花名册上的干部，不能由本镇导入修改。"))
        unit = units.get(unit_name)
        if unit is None and unit_name in units:
            plan.problems.append((line, f"单位“{unit_name}”在多个镇都有，无法确定是哪一个，请在本镇的账号下导入。"))
        elif unit is None:
            plan.problems.append((line, f"单位“{unit_name}”不存在，请先在单位列表中添加，或改为已有的单位名称。"))
        if promoted not in YES | NO:
            plan.problems.append((line, f"是否新提拔应填“是”或“否”，而不是“{cell(cells, '是否新提拔')}”。"))
        if len(plan.problems) == before:
            seen_phones[phone] = line
            plan.rows.append(RosterRow(line, name, phone, unit, cell(cells, "职务")[:100], promoted in YES))
    plan.changed = len(_phones_among({r.phone for r in plan.rows}))
    plan.new = len(plan.rows) - plan.changed
    return plan


def _phone(text: str) -> str:
    """A phone number as typed in the sheet, without spaces or dashes; a number cell that
    Excel stored as a float loses its ".0"."""
    phone = text.replace(" ", "").replace("-", "")
    return phone[:-2] if phone.endswith(".0") else phone


def _phones_among(phones: set[str], *where) -> set[str]:
    """Which of `phones` are on the roster (meeting `where`): one IN query per
    PHONES_PER_QUERY phones, so the check reads the file's phones, never the whole roster."""
    ordered, found = sorted(p for p in phones if PHONE_RE.match(p)), set()
    for start in range(0, len(ordered), PHONES_PER_QUERY):
        found.update(db.session.scalars(select(Cadre.phone).where(Cadre.phone.in_(ordered[start:start + PHONES_PER_QUERY]), *where)))
    return found


def apply_roster(plan: RosterPlan) -> tuple[int, int]:
    """Write a checked roster: new cadres get a binding code; known ones (same phone)
    are updated and keep theirs. Returns (created, updated). A district's roster has
    thousands: the known cadres and the new codes are asked about PHONES_PER_QUERY at a
    time, as the check does (never one IN list past the database's limits, nor a query a
    row), and the new cadres go in as one bulk insert."""
    phones = [r.phone for r in plan.rows]
    by_phone = {}
    for start in range(0, len(phones), PHONES_PER_QUERY):
        by_phone.update((c.phone, c) for c in db.session.scalars(
            select(Cadre).where(Cadre.phone.in_(phones[start:start + PHONES_PER_QUERY]))))
    new = [row for row in plan.rows if row.phone not in by_phone]
    for row in plan.rows:
        if (cadre := by_phone.get(row.phone)) is not None:
            cadre.name, cadre.org_unit_id, cadre.position, cadre.newly_promoted, cadre.active = (
                row.name, row.unit.id, row.position, row.newly_promoted, True)
    if new:
        db.session.execute(insert(Cadre), [
            {"phone": row.phone, "binding_code": code, "name": row.name, "org_unit_id": row.unit.id, "position": row.position,
             "newly_promoted": row.newly_promoted, "active": True} for row, code in zip(new, _unused_codes(len(new)))])
    db.session.flush()
    return len(new), len(plan.rows) - len(new)


def _unused_codes(count: int) -> list[str]:
    """`count` distinct new binding codes that no cadre holds, checked PHONES_PER_QUERY
    at a time (a clash, one in 31^8 a code, is drawn again)."""
    codes: set[str] = set()
    while len(codes) < count:
        drawn = list({new_code() for _ in range(count - len(codes))} - codes)
        for start in range(0, len(drawn), PHONES_PER_QUERY):
            chunk = drawn[start:start + PHONES_PER_QUERY]
            codes.update(set(chunk) - set(db.session.scalars(select(Cadre.binding_code).where(Cadre.binding_code.in_(chunk)))))
    return list(codes)


def template() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = xlsx.sheet(book, "干部花名册", HEADERS, [12, 16, 20, 20, 12], first=True)
    sheet.append(["张三", "13800000000", "镇党政办", "主任", "否"])
    return xlsx.to_bytes(book)


def binding_sheet(cadres: list[Cadre]) -> bytes:
    """The codes to hand out, one row a cadre."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = xlsx.sheet(book, "绑定码", ["姓名", "单位", "职务", "手机号", "绑定码", "状态"], [12, 20, 20, 16, 14, 10], first=True)
    for c in cadres:
        sheet.append([c.name, c.org_unit.name, c.position, c.phone, c.binding_code, "已绑定" if c.user_id else "未绑定"])
    return xlsx.to_bytes(book)


@writes
def bind(user: User, real_name: str, code: str) -> User:
    """Make `user` the cadre whose name and binding code these are. A code binds once."""
    code = code.strip().upper().replace(" ", "")
    cadre = db.session.scalar(select(Cadre).where(Cadre.binding_code == code, Cadre.active.is_(True)))
    if cadre is None or cadre.name != real_name.strip():
        # One answer for both, so a code cannot be confirmed without the name.
        raise Invalid("姓名与绑定码不匹配，请核对后重试。", {"binding_code": ["姓名与绑定码不匹配。"]}, code="binding_mismatch")
    if cadre.user_id == user.id:
        return user
    if db.session.scalar(select(Cadre.id).where(Cadre.user_id == user.id)) is not None:
        raise Conflict("此微信账号已绑定其他干部身份。", code="already_cadre")
    # Conditional: of two accounts racing for one code, exactly one wins.
    won = db.session.execute(
        update(Cadre).where(Cadre.id == cadre.id, Cadre.user_id.is_(None)).values(user_id=user.id, bound_at=utcnow())
    ).rowcount
    if not won:
        raise Conflict("该绑定码已被使用。如有疑问请联系镇党政办。", code="already_bound")
    move_to_unit(user, cadre.org_unit_id)
    user.role, user.real_name = "cadre", cadre.name
    return user


def reset_binding(cadre: Cadre) -> None:
    """Release the cadre's account (a new phone, a mistaken binding) and issue a new code."""
    if cadre.user_id is not None:
        user = db.session.get(User, cadre.user_id)
        if user is not None:
            user.role = "resident"
    cadre.user_id, cadre.bound_at, cadre.binding_code = None, None, _unused_codes(1)[0]


def is_cadre_of(user_id: int):
    """SQL condition on Cadre: the active cadre this user is bound to."""
    return (Cadre.user_id == user_id) & Cadre.active.is_(True)


def cadre_of(user_id: int) -> Cadre | None:
    return db.session.scalar(select(Cadre).where(is_cadre_of(user_id)))
