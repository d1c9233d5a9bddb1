"""The cadre roster in the panel: the list, an xlsx import with a preview, and the
sheet of binding codes to hand out."""
import io
import os

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import Regexp

from accounts import audit, roster, tenancy
from accounts.models import Cadre
from admin import personal_data
from admin.auth import StaffView, forbidden, has_role
from admin.secrets import SECRET_READERS, SecretColumns
from admin.tenancy import viewer_town
from admin.uploads import stash, stashed
from admin.views import SecureModelView, _local_time, _yes_no
from core.extensions import db
from core.transactions import writes, writing
from quiz_bank.exams import papers

EDITORS = ("admin",)


class CadreView(SecretColumns, SecureModelView):
    editors = EDITORS
    # A binding code makes its holder this cadre (POST /me/cadre-binding): shown,
    # searched and exported for admins only.
    secret_columns = ("binding_code",)
    column_list = ("name", "org_unit", "position", "phone", "newly_promoted", "binding_code", "bound", "bound_at", "active")
    column_labels = {
        "name": "姓名", "org_unit": "单位", "org_unit.name": "单位", "position": "职务", "phone": "手机号",
        "newly_promoted": "新提拔", "binding_code": "绑定码", "bound": "已绑定", "bound_at": "绑定时间", "active": "在册",
        "user": "绑定的账号", "created_at": "创建时间",
    }
    column_searchable_list = ("name", "phone", "binding_code")
    column_filters = ("org_unit.name", "newly_promoted", "active")
    column_formatters = {"bound": lambda v, c, m, n: "是" if m.user_id else "否", "bound_at": _local_time,
                         "newly_promoted": _yes_no, "active": _yes_no}
    column_default_sort = ("id", False)
    form_columns = ("name", "phone", "org_unit", "position", "newly_promoted", "active")
    form_args = {"phone": {"validators": [Regexp(roster.PHONE_RE.pattern, message="请输入 11 位手机号码")]}}

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.binding_code = roster.new_code()

    def audit_summary(self, form, model, is_created) -> str:
        return f"干部：{model.name}（{model.phone}）"

    def is_action_allowed(self, name):
        return has_role(*EDITORS) and super().is_action_allowed(name)

    @expose("/")
    def index_view(self):
        personal_data.viewed("cadre", "", "查看干部名册（含手机号）")
        return super().index_view()

    @action("reset_binding", "解除绑定并换新绑定码", "解除所选干部的微信绑定，并生成新的绑定码？旧绑定码将作废。")
    @writes
    def reset_binding(self, ids):
        if not has_role(*EDITORS):
            return forbidden()
        cadres = db.session.scalars(tenancy.scope(select(Cadre).where(Cadre.id.in_([int(i) for i in ids])), Cadre, viewer_town())).all()
        for cadre in cadres:
            roster.reset_binding(cadre)
            self._audit("update", cadre, f"解除绑定并换新绑定码：{cadre.name}")
        flash(f"已为 {len(cadres)} 名干部解除绑定并生成新的绑定码。", "success")


class RosterImportView(StaffView):
    """Upload the roster, preview every problem, confirm; download the binding codes."""

    @expose("/")
    def index(self):
        return self.render("admin/roster_import.html", can_import=has_role(*EDITORS))

    @expose("/template.xlsx")
    def template(self):
        return send_file(io.BytesIO(roster.template()), download_name="干部花名册模板.xlsx", as_attachment=True)

    @expose("/binding-codes.xlsx")
    def binding_codes(self):
        if not has_role(*SECRET_READERS):
            return forbidden()
        cadres = db.session.scalars(tenancy.scope(select(Cadre).where(Cadre.active.is_(True)), Cadre, viewer_town())
                                    .order_by(Cadre.org_unit_id, Cadre.name)).all()
        personal_data.exported("cadre", "", f"导出干部绑定码（{len(cadres)} 人）")
        return send_file(io.BytesIO(roster.binding_sheet(cadres)), download_name="干部绑定码.xlsx", as_attachment=True)

    @expose("/preview", methods=("POST",))
    def preview(self):
        if not has_role(*EDITORS):
            return forbidden()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择花名册文件。", "error")
            return redirect(url_for(".index"))
        if not upload.filename.lower().endswith(".xlsx"):
            flash("花名册须为 Excel（.xlsx）文件，请使用模板。", "error")
            return redirect(url_for(".index"))
        token, path = stash(upload, ".xlsx")
        with open(path, "rb") as f:
            plan = roster.plan_roster(f.read(), viewer_town())
        return self.render("admin/roster_preview.html", plan=plan, token=token, filename=upload.filename)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        if not has_role(*EDITORS):
            return forbidden()
        path = stashed(request.form.get("token", ""))
        if path is None:
            flash("上传的文件已失效，请重新上传。", "error")
            return redirect(url_for(".index"))
        with open(path, "rb") as f:
            plan = roster.plan_roster(f.read(), viewer_town())
        if not plan.ok:
            flash("花名册中有问题，未导入。请修改后重新上传。", "error")
            return redirect(url_for(".index"))
        with writing():
            created, updated = roster.apply_roster(plan)
            drawn = papers.draw_ahead_for_open_exams()
            audit.record(current_user.id, "import", "cadre", "", f"导入干部花名册 {request.form.get('filename', '')}：新增 {created} 人，更新 {updated} 人")
        os.remove(path)
        also = f"已为新安排参加考试的人员抽好试卷 {drawn} 份。" if drawn else ""
        flash(f"花名册已导入：新增 {created} 人，更新 {updated} 人。{also}请下载绑定码发给新增的干部。", "success")
        return redirect(url_for("cadres.index_view"))
