"""Rewards in the panel, the pickup counter, and the points books."""
import io
from datetime import datetime

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import FileField
from wtforms.validators import NumberRange, Optional

from accounts import tenancy
from accounts.models import OrgUnit
from activities.photos import store_image
from admin import personal_data
from admin.auth import StaffView, forbidden, has_role
from admin.secrets import SecretColumns
from admin.tenancy import chosen_town, get_or_404, picker, viewer_town
from admin.views import LocalDateBetween, LocalTimesMixin, SecureModelView, _local_time, _yes_no
from core import xlsx
from core.domain_errors import DomainError
from core.extensions import db
from core.timeutil import local_naive, local_text, local_today, utcnow
from points import rewards
from points.models import REDEMPTION_STATUS_LABELS, Redemption
from reports import snapshots

COUNTER_STAFF = ("admin",)  # editors keep the question bank
LIMIT_PERIOD_LABELS = {"all": "总共", "month": "每月"}


def _image(view, context, model, name):
    url = rewards.reward_image_url(model)
    return Markup(f'<img src="{url}" alt="" style="max-height:48px">') if url else ""


class RewardView(LocalTimesMixin, SecureModelView):
    editors = ("admin",)
    local_time_fields = ("offered_from", "offered_until")
    column_list = ("id", "image", "name", "town", "cost", "stock", "per_user_limit", "limit_period", "offered_from", "offered_until",
                   "visible")
    column_labels = {
        "id": "编号", "image": "图片", "name": "名称", "description": "介绍", "cost": "所需积分", "stock": "库存",
        "per_user_limit": "每人限兑", "limit_period": "限兑周期", "offered_from": "兑换开始", "offered_until": "兑换截止",
        "visible": "上架", "image_file": "图片", "created_at": "创建时间", "town": "所属镇",
    }
    # The stored picture's digest and type are the app's, not the clerk's (the picture shows).
    column_details_exclude_list = ("image_sha256", "image_mime")
    column_searchable_list = ("name",)
    column_filters = ("visible", "limit_period")
    column_choices = {"limit_period": list(LIMIT_PERIOD_LABELS.items())}
    column_formatters = {
        "image": _image, "offered_from": _local_time, "offered_until": _local_time, "visible": _yes_no,
        "per_user_limit": lambda v, c, m, n: "不限" if m.per_user_limit is None else m.per_user_limit,
        "town": lambda v, c, m, n: m.town.name if m.town else tenancy.DISTRICT,
    }
    form_columns = ("name", "town", "description", "image_file", "cost", "stock", "per_user_limit", "limit_period",
                    "offered_from", "offered_until", "visible")
    form_extra_fields = {"image_file": FileField("图片", description="JPEG、PNG 或 WebP，不超过 10 MB；不选则保留原图")}
    form_choices = {"limit_period": list(LIMIT_PERIOD_LABELS.items())}
    form_args = {
        # A statement, kept to the viewer's town in SQL (admin.tenancy.keep_choices_in_town).
        "town": {"query_factory": lambda: select(OrgUnit).where(OrgUnit.kind == "town").order_by(OrgUnit.name, OrgUnit.id),
                 "allow_blank": True, "blank_text": f"{tenancy.DISTRICT}（各镇居民都可兑换）",
                 "description": "哪个镇的居民可以兑换、在哪个镇领取；镇级账号新建的奖品属于本镇"},
        "cost": {"validators": [NumberRange(1, 100_000, "所需积分须为正数")]},
        "stock": {"validators": [NumberRange(0, 1_000_000, "库存不能为负数")]},
        "per_user_limit": {"validators": [Optional(), NumberRange(1, 1000, "限兑件数须为正数")], "description": "不填为不限"},
        "offered_from": {"description": "北京时间；不填为立即开始"},
        "offered_until": {"description": "北京时间；不填为长期"},
    }

    domain_check = staticmethod(rewards.check_reward)

    def create_model(self, form):
        return self._keep_image(form) and super().create_model(form)

    def update_model(self, form, model):
        return self._keep_image(form) and super().update_model(form, model)

    def _keep_image(self, form) -> bool:
        """Check and keep the uploaded picture before the save's unit of work begins:
        image work never holds the write lock."""
        upload, g.reward_image = form.image_file.data, None
        if upload and getattr(upload, "filename", ""):
            try:
                g.reward_image = store_image(upload.read(), upload.filename, upload.mimetype)
            except DomainError as exc:
                flash(exc.message, "error")
                return False
        return True

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if viewer_town() is not None:  # a town's reward, whatever was posted
            model.town = db.session.get(OrgUnit, viewer_town())
        if g.reward_image:
            model.image_sha256, model.image_mime = g.reward_image

    def audit_summary(self, form, model, is_created) -> str:
        return f"奖品：{model.name}，{model.cost} 积分，库存 {model.stock}，{'上架' if model.visible else '下架'}"


class RedemptionView(SecretColumns, SecureModelView):
    """Every redemption, read-only: the counter hands over, the phone cancels."""

    # A pending code is what the counter hands the reward over against.
    secret_columns = ("pickup_code",)

    can_create = False
    can_edit = False
    # Nor a form: Flask-Admin's would pick 兑换人 from a list of every resident (a
    # district's million accounts) and 奖品 from every reward, for a page never shown.
    form = FlaskForm
    column_list = ("id", "reward", "user", "cost", "status", "pickup_code", "created_at", "expires_at", "handed_over_at", "handed_over_by_admin")
    column_labels = {
        "id": "编号", "reward": "奖品", "reward.name": "奖品", "user": "兑换人", "cost": "积分", "status": "状态",
        "pickup_code": "领取码", "created_at": "兑换时间", "expires_at": "领取截止", "handed_over_at": "领取时间",
        "handed_over_by_admin": "经办人", "closed_at": "取消/过期时间", "month": "月份", "unit": "村/社区",
        "user.real_name": "兑换人姓名", "user.nickname": "微信昵称",
    }
    column_filters = ("status", "reward.name", LocalDateBetween(Redemption.created_at, "兑换日期"))
    # By who redeemed, as the counter is asked ("王秀英 came for her rice"); by the code for admins only.
    column_searchable_list = ("pickup_code", "user.real_name", "user.nickname")
    column_choices = {"status": list(REDEMPTION_STATUS_LABELS.items())}
    column_default_sort = ("id", True)
    column_formatters = {"created_at": _local_time, "expires_at": _local_time, "handed_over_at": _local_time, "closed_at": _local_time}

    # The list as a workbook, its search and filters applied: never the pickup codes (a
    # file goes further than the panel, and a pending code collects the reward).
    can_export = True
    export_types = ["xlsx"]
    column_export_list = ("id", "reward", "user", "unit", "cost", "status", "created_at", "expires_at", "handed_over_at",
                          "handed_over_by_admin", "closed_at")
    column_formatters_export = {
        "unit": lambda v, c, m, n: m.user.org_unit.name if m.user.org_unit else "未填写",
        **{name: lambda v, c, m, n: local_naive(getattr(m, n)) for name in ("created_at", "expires_at", "handed_over_at", "closed_at")},
    }
    EXPORT_WIDTHS = {"id": 8, "reward": 20, "user": 14, "unit": 20, "cost": 8, "status": 10, "handed_over_by_admin": 12}

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in self.export_types:
            abort(404)
        from openpyxl import Workbook

        columns = self._export_columns
        book = Workbook()
        ws = xlsx.sheet(book, "兑换记录", [str(label) for _, label in columns],
                        [self.EXPORT_WIDTHS.get(name, 18) for name, _ in columns], first=True)
        for row in self._export_data()[1]:
            ws.append([_cell(self.get_export_value(row, name)) for name, _ in columns])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        personal_data.exported("redemption", "", self._export_summary(ws.max_row - 1))
        return send_file(io.BytesIO(xlsx.to_bytes(book)), as_attachment=True, mimetype=xlsx.MIME,
                         download_name=f"兑换记录_{local_text(utcnow(), '%Y%m%d_%H%M')}.xlsx")

    def _export_summary(self, rows: int) -> str:
        """What was exported, for the audit log: the town, the list's filters and search
        as the clerk set them, and how many rows."""
        conditions = []
        for arg, value in request.args.items():
            key = arg[3:].split("_", 1)[-1] if arg.startswith("flt") and "_" in arg else None
            if key in (self._filter_args or {}) and (flt := self._filter_args[key][1]).validate(value):
                names = dict(flt.get_options(self) or [])  # a status in words, not its code
                shown = "、".join(str(names.get(v, v)) for v in value.split(",")) if names else value.replace(" to ", " 至 ")
                conditions.append(f"{flt.name} {flt.operation()} {shown}")
        if search := request.args.get("search"):
            conditions.append(f"搜索“{search}”")
        what = "：" + "；".join(conditions) if conditions else "，未筛选"
        return f"导出{tenancy.town_name(viewer_town())}兑换记录（{rows} 条）{what}"


def _cell(value):
    """A value a cell can hold: numbers, text and times as they are, a row (奖品, 兑换人) by its name."""
    return value if value is None or isinstance(value, (str, int, float, datetime)) else str(value)


class PickupView(StaffView):
    """The counter: find a redemption by its code (typed, or from a scanner that types
    it) and hand the reward over."""

    @expose("/", methods=("GET",))
    def index(self):
        code = request.args.get("code", "")
        found = rewards.find_by_code(code) if code else None
        if found is not None and not tenancy.belongs(found, viewer_town()):
            found = None  # another town's counter hands it over
        if code and found is None:
            flash("没有找到这个领取码，请核对后重试。", "error")
        return self.render("admin/pickup.html", code=code, found=found, labels=REDEMPTION_STATUS_LABELS,
                           can_hand_over=has_role(*COUNTER_STAFF))

    @expose("/<int:redemption_id>/hand-over", methods=("POST",))
    def hand_over(self, redemption_id):
        if not has_role(*COUNTER_STAFF):
            return forbidden()
        get_or_404(Redemption, redemption_id)
        try:
            done = rewards.hand_over(redemption_id, current_user.id)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        flash(f"已发放：{done.reward.name}（领取码 {done.pickup_code}）。", "success")
        return redirect(url_for(".index"))


class BooksView(StaffView):
    """Points issued, spent and outstanding, and rewards handed out, by month."""

    @expose("/")
    def index(self):
        year = request.args.get("year", type=int) or local_today().year
        if not 2000 <= year <= 2100:
            year = local_today().year
        counted = snapshots.counted("books", year, chosen_town())
        return self.render("admin/books.html", year=year, counted_at=counted.counted_at, **counted.data, **picker())
