"""Exams in the panel: the exam, who sits it, and its paper rules, with the paper's
total shown while editing. Times are typed and shown in Asia/Shanghai. Once people have
sat an exam, what decides their results holds still (quiz_bank.exams.checks); the edit
page says so and offers a copy as a new exam instead."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.model.form import InlineFormAdmin
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, ValidationError

from accounts.models import Cadre
from admin.auth import forbidden
from admin.tenancy import get_or_404, viewer_town
from admin.views import LocalTimesMixin, SecureModelView, _local_time
from core.extensions import db
from core.transactions import writing
from quiz_bank.exams import papers
from quiz_bank.exams.checks import attempt_count, check_exam, check_exam_deletable
from quiz_bank.exams.copying import copy_exam
from quiz_bank.exams.models import EXAM_KIND_LABELS, REVIEW_POLICY_LABELS, Exam, PaperRule
from quiz_bank.models import TYPE_LABELS


class PaperRuleInline(InlineFormAdmin):
    form_columns = ("id", "category", "qtype", "count", "points")
    form_label = "组卷规则"
    column_labels = {"category": "法律分类", "qtype": "题型", "count": "题数", "points": "每题分值"}
    form_choices = {"qtype": list(TYPE_LABELS.items())}
    form_args = {
        "category": {"validators": []},
        "count": {"validators": [NumberRange(1, 200, "题数须在 1 到 200 之间")]},
        "points": {"validators": [NumberRange(1, 100, "每题分值须在 1 到 100 之间")]},
    }


class ExamForm(FlaskForm):
    def populate_obj(self, obj):
        # The lock on a sat exam's rules (check_exam, run next) reads the attribute history
        # of what the form changes. Filling the form in loads attributes the save's unit of
        # work expired; the autoflush of such a load would save what was filled in so far
        # and wipe its history before the check.
        with db.session.no_autoflush:
            super().populate_obj(obj)


class ExamView(LocalTimesMixin, SecureModelView):
    editors = ("admin",)
    form_base_class = ExamForm
    local_time_fields = ("opens_at", "closes_at")
    create_template = "admin/exam_create.html"
    edit_template = "admin/exam_edit.html"
    column_list = ("id", "title", "kind", "opens_at", "closes_at", "duration_minutes", "total", "pass_score", "attempts_allowed", "review_policy")
    column_labels = {
        "id": "编号", "title": "考试名称", "kind": "类型", "opens_at": "开放时间", "closes_at": "关闭时间",
        "duration_minutes": "时长（分钟）", "total": "总分", "pass_score": "合格分", "attempts_allowed": "可考次数",
        "assign_all": "全体干部参加", "assign_new_leaders": "新提拔干部参加", "units": "参加单位", "cadres": "指定人员",
        "shuffle_options": "打乱选项顺序", "review_policy": "公布答案", "excellent_percent": "优秀线（总分的%）",
        "good_percent": "良好线（总分的%）", "rules": "组卷规则", "makeup_of": "补考来源", "created_at": "创建时间",
    }
    column_searchable_list = ("title",)
    column_filters = ("kind",)
    column_default_sort = ("opens_at", True)
    column_choices = {"kind": list(EXAM_KIND_LABELS.items()), "review_policy": list(REVIEW_POLICY_LABELS.items())}
    column_formatters = {
        "opens_at": _local_time, "closes_at": _local_time, "created_at": _local_time,
        "total": lambda v, c, m, n: f"{m.total_score}（{m.question_count} 题）",
    }
    form_columns = (
        "title", "kind", "opens_at", "closes_at", "duration_minutes", "pass_score", "attempts_allowed",
        "assign_all", "assign_new_leaders", "units", "cadres", "shuffle_options", "review_policy",
        "excellent_percent", "good_percent",
    )
    form_choices = {"kind": list(EXAM_KIND_LABELS.items()), "review_policy": list(REVIEW_POLICY_LABELS.items())}
    form_args = {
        "opens_at": {"description": "北京时间"},
        "closes_at": {"description": "北京时间；到时仍在作答的试卷按已保存的答案自动交卷"},
        "duration_minutes": {"validators": [NumberRange(1, 600, "时长须在 1 到 600 分钟之间")]},
        "pass_score": {"validators": [NumberRange(0, 10000, "合格分不能为负")]},
        "attempts_allowed": {"validators": [NumberRange(1, 10, "可考次数须在 1 到 10 之间")], "description": "多次参加时取最好成绩"},
        "excellent_percent": {"validators": [NumberRange(1, 100, "须在 1 到 100 之间")]},
        "good_percent": {"validators": [NumberRange(1, 100, "须在 1 到 100 之间")]},
        "cadres": {"description": "输入姓名或手机号查找，可选多人"},
    }
    # A district has thousands of cadres: the clerk types a name or phone and picks from
    # what is found (admin.views.TownAjaxLoader), never from a list of everyone.
    form_ajax_refs = {"cadres": {"fields": ("name", "phone"), "order_by": Cadre.name, "page_size": 20,
                                 "placeholder": "输入姓名或手机号查找干部"}}
    inline_models = (PaperRuleInline(PaperRule),)

    domain_check = staticmethod(check_exam)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        # A town's staff set exams for their own town: its units and cadres only (the pick
        # lists offer nothing else), never the whole district's cadres.
        if viewer_town() is not None:
            if model.assign_all or model.assign_new_leaders:
                raise ValidationError("镇级账号不能选择“全体干部参加”或“新提拔干部参加”（那会包括全区的干部）："
                                      "请选择本镇的参加单位或指定人员。")
            if not model.units and not model.cadres:
                raise ValidationError("请选择本镇的参加单位或指定人员。")

    def render(self, template, **kwargs):
        # The edit page tells, above the form, when the exam's rules are locked.
        if template == self.edit_template and kwargs.get("model") is not None:
            kwargs["attempts"] = attempt_count(kwargs["model"])
            kwargs["papers_ready"] = papers.ready_count(kwargs["model"])
        return super().render(template, **kwargs)

    @expose("/<int:exam_id>/copy", methods=("POST",))
    def copy_view(self, exam_id):
        if not self.can_edit:
            return forbidden()
        exam = get_or_404(Exam, exam_id)
        with writing():
            copy = copy_exam(exam)
            self._audit("create", copy, f"复制考试“{exam.title}”（编号 {exam.id}）为新考试“{copy.title}”")
            copy_id, copy_title = copy.id, copy.title
        flash(f"已复制为新考试“{copy_title}”：组卷规则、参考人员和开放时间都与原考试相同，请修改后保存。", "success")
        return redirect(self.get_url(".edit_view", id=copy_id))

    # Exams are not deleted in the panel (no button, no list action); Flask-Admin would
    # answer a delete request with a silent redirect, so say why instead.
    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if not self.can_edit:
            return forbidden()
        exam = get_or_404(Exam, request.form.get("id", type=int) or 0)
        try:
            check_exam_deletable(exam)
            flash("考试不能在管理后台删除。", "error")
        except ValueError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".edit_view", id=exam.id))

    def audit_summary(self, form, model, is_created) -> str:
        return f"考试：{model.title}，总分 {model.total_score}，{model.question_count} 题"

    def after_model_change(self, form, model, is_created):
        drawn = papers.publish(model)
        flash(f"已为参考人员备好试卷 {papers.ready_count(model)} 份（本次抽取 {drawn} 份）。", "info")
