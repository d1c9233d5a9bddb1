"""谁执法谁普法 in the panel: each unit's tasks for a year, and the 考核 table of what each
did against them (counted by reports.duties), on screen and as a workbook; and the
year's annual report draft as a Word file."""
import io

from flask import request, send_file
from flask_admin import expose
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from accounts.models import OrgUnit
from activities.models import EVENT_KIND_LABELS
from admin.auth import StaffView
from admin.tenancy import chosen_town, picker
from admin.views import SecureModelView
from core import xlsx
from core.timeutil import local_today, utcnow
from reports import duties, snapshots
from reports.annual_report import annual_report_docx


class PublicityTaskForm(FlaskForm):
    year = IntegerField("年度", default=lambda: local_today().year, validators=[NumberRange(2000, 2100, "请填写正确的年度")])
    # A statement, kept to the viewer's town in SQL (admin.tenancy.keep_choices_in_town).
    org_unit = QuerySelectField("单位", query_factory=lambda: select(OrgUnit).where(OrgUnit.kind != "town").order_by(OrgUnit.kind, OrgUnit.name),
                                validators=[DataRequired("请选择单位")])
    events = IntegerField("开展普法活动（场）", default=0, validators=[NumberRange(0, 1000, "请填写 0 到 1000")])
    event_kinds = SelectMultipleField("计入的活动类型", choices=list(EVENT_KIND_LABELS.items()),
                                      description="不选则任何类型的活动都计入")
    people = IntegerField("覆盖群众（人次）", default=0, validators=[NumberRange(0, 1000000, "请填写 0 到 1000000")])
    exam_sat_percent = IntegerField("干部参加年度学法考试的比例（%）", description="不填则不考核",
                                    validators=[Optional(), NumberRange(0, 100, "请填写 0 到 100")])
    note = StringField("备注", validators=[Length(max=200)])


class PublicityTaskView(SecureModelView):
    """The tasks, set by the office at the start of the year."""

    form = PublicityTaskForm
    column_list = ("year", "org_unit", "events", "event_kinds", "people", "exam_sat_percent", "note")
    column_labels = {"year": "年度", "org_unit": "单位", "org_unit.name": "单位", "events": "活动（场）",
                     "event_kinds": "活动类型", "people": "覆盖（人次）", "exam_sat_percent": "干部参考率（%）", "note": "备注"}
    column_filters = ("year", "org_unit.name")
    column_default_sort = [("year", True), ("org_unit_id", False)]
    column_formatters = {
        "event_kinds": lambda v, c, m, n: duties.kinds_text(m.event_kinds),
        "exam_sat_percent": lambda v, c, m, n: "不考核" if m.exam_sat_percent is None else m.exam_sat_percent,
    }
    can_view_details = False

    def on_form_prefill(self, form, id):
        form.event_kinds.data = self.get_one(id).event_kinds

    def on_model_change(self, form, model, is_created):
        model.event_kinds = [k for k in EVENT_KIND_LABELS if k in (form.event_kinds.data or [])]
        super().on_model_change(form, model, is_created)

    def audit_summary(self, form, model, is_created) -> str:
        return f"{model.year}年 {model.org_unit.name} 普法责任：活动 {model.events} 场、覆盖 {model.people} 人次"


class DutyReviewView(StaffView):
    """考核: each unit's tasks against what it did, 完成/未完成."""

    def _year(self) -> int:
        year = request.args.get("year", type=int)
        return year if year and 2000 <= year <= 2100 else local_today().year

    @expose("/")
    def index(self):
        year = self._year()
        rows = duties.duty_progress(year, utcnow(), chosen_town())
        return self.render("admin/duties.html", year=year, headers=duties.HEADERS, table=duties.duty_table(rows),
                           done=sum(1 for r in rows if r["status"] == duties.DONE), total=len(rows), **picker())

    @expose("/export.xlsx")
    def export(self):
        year = self._year()
        data = duties.duty_xlsx(year, duties.duty_progress(year, utcnow(), chosen_town()))
        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{year}年谁执法谁普法考核.xlsx", mimetype=xlsx.MIME)


class AnnualReportView(StaffView):
    """年度报告: the draft of the year's 法治政府建设年度报告 as a Word file."""

    @expose("/")
    def index(self):
        return self.render("admin/annual_report.html", year=local_today().year, **picker())

    @expose("/<int:year>.docx")
    def download(self, year):
        if not 2000 <= year <= 2100:
            return self.render("admin/annual_report.html", year=local_today().year), 404
        now, town = utcnow(), chosen_town()
        # The whole district of several towns is reported town by town (as its year's page shows it).
        whole = picker()["district"] and town is None
        counted = snapshots.year_of(year, town, with_towns=whole, glance=False)
        data = annual_report_docx(counted.figures, duties.duty_progress(year, now, town), town="全区" if whole else "本镇",
                                  by_town=counted.by_town)
        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{year}年法治政府建设年度报告（草稿）.docx",
                         mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
