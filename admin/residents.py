"""居民 in the panel: find a person, and one person's record. Read-only; the records come
from accounts.residents and the domains it calls.

Every role may look people up (as the cadre roster and the redemptions show names to
all); a phone number is shown in full to admins only, masked (138****1234) to others."""
from flask import abort, flash, request
from flask_admin import expose

from accounts import residents
from accounts.models import ORG_KIND_LABELS
from admin import personal_data
from admin.auth import StaffView, has_role
from admin.secrets import SECRET_READERS
from admin.tenancy import chosen_town, picker, unit_choices, viewer_town
from admin.views import asked_page
from core.domain_errors import Invalid
from points.leaderboard import PERIOD_LABELS
from points.models import REDEMPTION_STATUS_LABELS
from points.rules import REASON_LABELS
from quiz_bank.exams.models import ATTEMPT_STATUS_LABELS

PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 20


def masked(phone: str | None) -> str:
    """A phone as this account may see it: whole for admins, 138****1234 for others."""
    if not phone:
        return ""
    if has_role(*SECRET_READERS):
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def _unit_arg() -> int | None:
    value = request.args.get("unit", "")
    return int(value) if value.isdigit() else None


class ResidentView(StaffView):
    @expose("/")
    def index(self):
        name, phone, role = (request.args.get(k, "").strip()[:64] for k in ("q", "phone", "role"))
        unit, page, town = _unit_arg(), asked_page(), chosen_town()
        try:
            found, total = residents.search(name, phone, unit, role, page, PAGE_SIZE, town)
        except Invalid as exc:
            flash(exc.message, "error")
            found, total = [], 0
        args = {k: v for k, v in request.args.items() if k != "page"}
        cap = residents.COUNT_CAP  # past it the count says "more than", and pages stop at the cap
        listed = min(total, cap)
        towns = picker()
        return self.render(
            "admin/residents.html", found=found, total=total, over=total > cap, cap=cap, page=page,
            pages=max((listed + PAGE_SIZE - 1) // PAGE_SIZE, 1), args=args, name=name, phone=phone, unit=unit, role=role,
            units=unit_choices(town, unit, towns["district"]), no_unit=residents.NO_UNIT,
            roles=residents.ROLE_LABELS, kinds=ORG_KIND_LABELS, masked=masked, searched=bool(request.args), **towns,
        )

    @expose("/<int:user_id>/")
    def detail(self, user_id):
        record = residents.record(user_id, asked_page(), LEDGER_PAGE_SIZE, viewer_town())
        if record is None:
            abort(404)
        ledger = record["ledger"]
        page = self.render(
            "admin/resident.html", r=record, person=record["user"], masked=masked, roles=residents.ROLE_LABELS,
            periods=PERIOD_LABELS, reasons=REASON_LABELS, modes=residents.QUIZ_MODE_LABELS,
            redemption_labels=REDEMPTION_STATUS_LABELS, attempt_labels=ATTEMPT_STATUS_LABELS,
            page=ledger.page, pages=max(ledger.pages, 1), args={},
        )
        # Logged once the page is drawn: the log's own unit commits, which would expire what it shows.
        personal_data.viewed("app_user", user_id, f"查看居民个人页：{record['user']}")
        return page
