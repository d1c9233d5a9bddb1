"""Events in the panel, and the projector page with the rotating check-in code."""
import io
from functools import lru_cache

from flask import abort, jsonify, request, send_file, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import select
from wtforms import FloatField, RadioField
from wtforms.validators import NumberRange, Optional

from accounts import tenancy
from activities import attendance, tokens
from activities import checkin_codes
from activities.archive import safe_name
from activities.events import check_event
from activities.geo import GCJ02, WGS84
from activities.models import EVENT_KIND_LABELS, Event
from admin import personal_data
from admin.auth import forbidden, has_role
from admin.secrets import SECRET_READERS
from admin.tenancy import get_or_404, viewer_town
from admin.views import LocalDateBetween, LocalTimesMixin, SecureModelView, _local_time, asked_page
from core import xlsx
from core.extensions import db
from core.timeutil import local_text, utcnow
from quiz_bank.questions import quiz_laws
from reports import learning_gain


ATTENDANCE_PAGE_SIZE = 50


def _pages(rows: int) -> int:
    return max((rows + ATTENDANCE_PAGE_SIZE - 1) // ATTENDANCE_PAGE_SIZE, 1)


@lru_cache(maxsize=256)
def qr_svg(token: str) -> str:
    """The QR code of a token, as inline SVG (cached: one drawing per period)."""
    import segno  # heavy: imported where used

    # A viewBox and no fixed size: the projector's CSS scales the code to the screen.
    return segno.make(token, error="m").svg_inline(scale=10, border=2, dark="#000", light="#fff", omitsize=True)


def _links(view, context, model, name):
    photos = f'<a href="{url_for(".checkin_list", event_id=model.id)}">签到名单</a> · <a href="/admin/event-photos/{model.id}">照片</a>'
    if not has_role(*SECRET_READERS):
        return Markup(photos)
    return Markup(
        f'<a href="{url_for(".projector", event_id=model.id)}" target="_blank" class="projector-link">签到大屏</a> · {photos}'
    )


# Worded for the clerk, who knows where the numbers came from, not what a datum is.
COORD_TYPE_CHOICES = [
    (GCJ02, "从腾讯地图、高德地图等国内地图上取的坐标（GCJ-02）"),
    (WGS84, "GPS 设备或手机定位得到的坐标（WGS-84）"),
]


def _event_state(view, context, model, name):
    now = utcnow()
    if now < model.starts_at:
        return "未开始"
    return "进行中" if now < model.ends_at else "已结束"


class EventView(LocalTimesMixin, SecureModelView):
    editors = ("admin",)  # editors keep the question bank; events are the office's
    local_time_fields = ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at")
    column_list = ("id", "title", "kind", "org_unit", "starts_at", "state", "location_name", "checkin_count", "points", "links")
    column_labels = {
        "id": "编号", "title": "活动名称", "kind": "类型", "org_unit": "主办单位", "org_unit.name": "主办单位",
        "starts_at": "开始时间", "ends_at": "结束时间", "checkin_opens_at": "签到开始", "checkin_closes_at": "签到截止",
        "location_name": "地点", "latitude": "纬度", "longitude": "经度", "coord_type": "坐标来源", "radius_m": "签到范围（米）",
        "points": "签到积分", "quiz_category": "现场答题法律", "quiz_size": "现场答题题数", "quiz_points_each": "每答对一题积分",
        "token_seconds": "签到码更换间隔（秒）", "checkin_count": "签到人数", "description": "活动介绍", "links": "", "state": "状态",
        "created_at": "创建时间",
    }
    column_searchable_list = ("title", "location_name")
    column_filters = ("kind", "org_unit.name", LocalDateBetween(Event.starts_at, "开始日期"))
    column_choices = {"kind": list(EVENT_KIND_LABELS.items()), "coord_type": COORD_TYPE_CHOICES}
    column_default_sort = ("starts_at", True)
    column_formatters = {"starts_at": _local_time, "ends_at": _local_time, "checkin_opens_at": _local_time,
                         "checkin_closes_at": _local_time, "created_at": _local_time, "links": _links, "state": _event_state}
    form_columns = (
        "title", "kind", "org_unit", "starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at", "location_name",
        "latitude", "longitude", "coord_type", "radius_m", "points", "quiz_category", "quiz_size", "quiz_points_each", "token_seconds",
        "description",
    )
    form_choices = {"kind": list(EVENT_KIND_LABELS.items())}
    # Flask-Admin has no converter for SQLAlchemy's Double.
    form_overrides = {"latitude": FloatField, "longitude": FloatField, "coord_type": RadioField}
    form_widget_args = {"coord_type": {"class": "list-unstyled mb-0"}}  # not Bootstrap's one-line input box
    form_args = {
        "starts_at": {"description": "北京时间"},
        "checkin_opens_at": {"description": "通常比活动开始早一些"},
        "latitude": {"validators": [Optional(), NumberRange(-90, 90, "纬度须在 -90 到 90 之间")],
                     "description": "不填经纬度和范围：不限签到位置（如室内信号差的礼堂）"},
        "longitude": {"validators": [Optional(), NumberRange(-180, 180, "经度须在 -180 到 180 之间")]},
        "coord_type": {"choices": COORD_TYPE_CHOICES,
                       "description": "两种坐标在国内相差几百米，选错了到场的人也会签不上到。"
                                     "百度地图的坐标不能直接用，请在腾讯地图或高德地图上取点。"},
        "radius_m": {"validators": [Optional(), NumberRange(10, 10_000, "范围须在 10 到 10000 米之间")]},
        "points": {"validators": [NumberRange(0, 100, "签到积分须在 0 到 100 之间")]},
        "quiz_category": {"description": "选择后，已签到的人在活动期间可参加该法律的现场答题（仅用于考试的法律不列出）",
                          "query_factory": quiz_laws, "blank_text": "（不设现场答题）"},
        "quiz_size": {"validators": [NumberRange(1, 20, "题数须在 1 到 20 之间")]},
        "quiz_points_each": {"validators": [NumberRange(0, 50, "每题积分须在 0 到 50 之间")]},
        "token_seconds": {"validators": [NumberRange(10, 600, "须在 10 到 600 秒之间")]},
    }

    domain_check = staticmethod(check_event)
    # The form takes the place from the browser's location or pasted map coordinates.
    create_template = "admin/event_create.html"
    edit_template = "admin/event_edit.html"

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # Coordinates a clerk pastes come from a map app: GCJ-02 unless they say otherwise.
        if not form.is_submitted():
            form.coord_type.data = GCJ02
        return form

    def audit_summary(self, form, model, is_created) -> str:
        return f"活动：{model.title}（{local_text(model.starts_at, '%Y-%m-%d')}）"

    # The projector's code checks anyone in who holds it (wherever the event has no
    # geofence): a secret, for admins only.
    @expose("/projector/<int:event_id>")
    def projector(self, event_id):
        if not has_role(*SECRET_READERS):
            return forbidden()
        event = get_or_404(Event, event_id)
        return self.render("admin/event_projector.html", event=event, kind=EVENT_KIND_LABELS[event.kind],
                           state_url=url_for(".projector_state", event_id=event.id), **self._state(event))

    @expose("/projector/<int:event_id>/state.json")
    def projector_state(self, event_id):
        """What the projector polls: the current code and the live count, one row read."""
        if not has_role(*SECRET_READERS):
            return forbidden()
        row = db.session.execute(tenancy.scope(
            select(Event.id, Event.token_seconds, Event.checkin_count).where(Event.id == event_id), Event, viewer_town())
        ).one_or_none()
        if row is None:
            return jsonify({"error": "活动不存在"}), 404
        return jsonify(self._state(row))

    @expose("/projector/<int:event_id>/code")
    def projector_code(self, event_id):
        """The mini-program code of a token of this event (?t=), for the projector's <image>."""
        if not has_role(*SECRET_READERS):
            return forbidden()
        token = request.args.get("t", "")
        get_or_404(Event, event_id)
        try:
            if tokens.read(token)[0] != event_id:
                abort(404)
        except tokens.InvalidToken:
            abort(404)
        found = checkin_codes.code_image(token) or abort(404)
        response = send_file(io.BytesIO(found[0]), mimetype=found[1], max_age=3600)
        response.cache_control.private = True  # a live check-in code: never in a shared cache
        return response

    # Who came and how they did: every staff role reads it, as it reads the event.
    @expose("/<int:event_id>/attendance")
    def checkin_list(self, event_id):
        event = get_or_404(Event, event_id)
        pages = {name: asked_page(name) for name in ("page", "qpage")}
        figures = attendance.summary(event.id)
        gain = learning_gain.gain_of(event)
        return self.render(
            "admin/event_attendance.html", event=event, kind=EVENT_KIND_LABELS.get(event.kind, event.kind), figures=figures,
            gain=gain, gain_lines=learning_gain.summary(gain) if gain else [], too_few=learning_gain.TOO_FEW,
            min_answers=learning_gain.MIN_ANSWERS,
            attendees=attendance.checkins_page(event.id, pages["page"], ATTENDANCE_PAGE_SIZE),
            results=attendance.quiz_page(event.id, pages["qpage"], ATTENDANCE_PAGE_SIZE), **pages,
            pages=_pages(figures["checkins"]), qpages=_pages(figures["quiz_people"]), first=(pages["page"] - 1) * ATTENDANCE_PAGE_SIZE,
            qfirst=(pages["qpage"] - 1) * ATTENDANCE_PAGE_SIZE,
            args={k: v for k, v in request.args.items() if k in pages},
        )

    @expose("/<int:event_id>/attendance.xlsx")
    def checkin_list_xlsx(self, event_id):
        event = get_or_404(Event, event_id)
        name = safe_name(event.title) or f"活动{event.id}"
        personal_data.exported("event", event.id, f"导出活动“{event.title}”的签到与答题名单")
        return send_file(io.BytesIO(attendance.event_xlsx(event)), as_attachment=True, mimetype=xlsx.MIME,
                         download_name=f"{local_text(event.starts_at, '%Y-%m-%d')}_{name}_签到与答题.xlsx")

    @staticmethod
    def _state(event) -> dict:
        now = utcnow()
        token, until = tokens.issue(event.id, event.token_seconds, now)
        # WeChat's 扫一扫 opens a mini-program code or a link QR; the bare token is for development.
        code = checkin_codes.projector_code(token, url_for(".projector_code", event_id=event.id, t=token))
        return {"token": token, "svg": code.markup(qr_svg), "notice": code.notice, "count": event.checkin_count,
                "refresh_in": max(1, int((until - now).total_seconds()) + 1)}
