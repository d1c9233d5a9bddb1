"""题库 → 待审核 and 导入记录: questions imported without a well-formed citation, kept until
an editor adds it and publishes them (or rejects them); and each import, its questions,
and undoing one nobody has answered yet."""
from flask import flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from admin.auth import has_role
from admin.views import SecureModelView, QuestionView, _local_time
from core.extensions import db
from core.transactions import writing
from quiz_bank import questions as question_service
from quiz_bank.importer import undo_import
from quiz_bank.models import STATUS_LABELS, TYPE_LABELS, Question, QuestionImport


class PendingQuestionView(QuestionView):
    """The questions awaiting review, with why. Editing one and setting it 启用 publishes it."""

    column_list = ("id", "category", "type", "stem", "answer", "source", "review_note", "imported_by", "created_at")
    column_labels = {**QuestionView.column_labels, "review_note": "待审核原因", "imported_by": "来自导入",
                     "imported_by.filename": "导入文件"}
    column_filters = ("category.name", "type", "imported_by.filename")
    column_searchable_list = ("stem", "source")
    list_template = "admin/pending_list.html"

    @property
    def can_create(self):
        return False  # new questions are written in 题目; only imports put one here

    def get_query(self):
        return super().get_query().filter(Question.status == "pending")

    def get_count_query(self):
        return super().get_count_query().filter(Question.status == "pending")

    def _pending(self, ids) -> list[Question]:
        return db.session.scalars(select(Question).where(Question.id.in_([int(i) for i in ids]), Question.status == "pending")).all()

    @action("publish", "发布", "确定发布所选题目吗？发布后会出现在答题和考试试卷中。")
    def action_publish(self, ids):
        if not has_role(*self.editors):
            flash("当前账号没有权限发布题目。", "error")
            return
        published, refused = 0, []
        with writing():
            for question in self._pending(ids):
                try:
                    question_service.set_status(question, "active")
                except question_service.QuestionInvalid:
                    refused.append(str(question.id))
                    continue
                self._audit("publish", question, f"发布待审核题目：{question.stem[:80]}")
                published += 1
        flash(f"已发布 {published} 道题目。", "success")
        if refused:
            flash(f"编号 {'、'.join(refused)} 的出处仍不完整，未发布：请先编辑补全出处（如《民法典》第一千零七十九条）。", "error")

    @action("reject", "驳回并删除", "确定驳回所选题目吗？驳回后题目从题库中删除。")
    def action_reject(self, ids):
        if not has_role(*self.editors):
            flash("当前账号没有权限驳回题目。", "error")
            return
        with writing():
            questions = self._pending(ids)
            for question in questions:
                self._audit("reject", question, f"驳回并删除待审核题目：{question.stem[:80]}")
            # Awaiting review, so never served: nobody has been given them.
            question_service.delete_unused(questions)
        flash(f"已驳回并删除 {len(questions)} 道题目。", "success")


class RecheckQuestionView(QuestionView):
    """待复核: questions citing an article a new version of the law changed or removed.
    确认无误 serves them again as they are; saving an edit serves the edited question
    (a new version when it has been answered)."""

    column_list = ("id", "category", "type", "stem", "answer", "source", "review_note", "updated_at")
    column_labels = {**QuestionView.column_labels, "review_note": "待复核原因"}
    column_filters = ("category.name", "type")
    column_searchable_list = ("stem", "source", "review_note")
    list_template = "admin/statute_recheck_list.html"

    @property
    def can_create(self):
        return False  # only an amendment of a law puts a question here

    def get_query(self):
        return super().get_query().filter(Question.status == "recheck")

    def get_count_query(self):
        return super().get_count_query().filter(Question.status == "recheck")

    @action("confirm", "确认无误", "确定所选题目无需修改吗？确认后恢复启用，重新出现在答题和考试试卷中。")
    def action_confirm(self, ids):
        if not has_role(*self.editors):
            flash("当前账号没有权限确认题目。", "error")
            return
        with writing():
            questions = db.session.scalars(select(Question).where(Question.id.in_([int(i) for i in ids]),
                                                                  Question.status == "recheck")).all()
            for question in questions:
                note = question.review_note or ""
                question_service.set_status(question, "active")
                self._audit("confirm", question, f"待复核题目确认无误，恢复启用（{note}）")
        flash(f"已确认 {len(questions)} 道题目无误，恢复启用。", "success")


FORMAT_LABELS = {"xlsx": "Excel", "csv": "CSV", "docx": "Word", "gift": "GIFT", "aiken": "Aiken", "json": "JSON", "yaml": "YAML"}


def _who(view, context, model, name):
    return model.admin.username if model.admin else "命令行"


def _filename(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(url_for(".questions_of", import_id=model.id), model.filename)


class ImportHistoryView(SecureModelView):
    """Who imported which file when, with what came of it; its questions; undo."""

    editors = ("admin", "editor")
    can_view_details = False
    column_list = ("created_at", "filename", "fmt", "admin", "added", "pending", "existing", "refused", "undone_at")
    column_labels = {"created_at": "导入时间", "filename": "文件", "fmt": "格式", "admin": "操作人", "added": "新增",
                     "pending": "其中待审核", "existing": "已存在（跳过）", "refused": "有问题未导入", "undone_at": "已撤销于"}
    column_default_sort = ("id", True)
    column_formatters = {"created_at": _local_time, "undone_at": _local_time, "admin": _who, "filename": _filename,
                         "fmt": lambda v, c, m, n: FORMAT_LABELS.get(m.fmt, m.fmt)}

    @property
    def can_create(self):
        return False

    @property
    def can_edit(self):
        return False

    @expose("/<int:import_id>/questions")
    def questions_of(self, import_id):
        record = db.session.get(QuestionImport, import_id)
        if record is None:
            flash("没有这次导入。", "error")
            return redirect(url_for(".index_view"))
        rows = db.session.scalars(select(Question).where(Question.import_id == import_id).order_by(Question.id)).all()
        return self.render("admin/import_questions.html", record=record, rows=rows, types=TYPE_LABELS, statuses=STATUS_LABELS)

    @action("undo", "撤销导入", "确定撤销所选导入吗？这些导入新增的题目将从题库中删除（已有人作答的导入不能撤销）。")
    def action_undo(self, ids):
        if not has_role(*self.editors):
            flash("当前账号没有权限撤销导入。", "error")
            return
        for record in db.session.scalars(select(QuestionImport).where(QuestionImport.id.in_([int(i) for i in ids]))):
            try:
                with writing():
                    removed = undo_import(record, current_user.id)
            except question_service.QuestionInvalid as exc:
                flash(f"{record.filename}：{'；'.join(exc.problems)}", "error")
                continue
            flash(f"已撤销导入 {record.filename}，删除 {removed} 道题目。", "success")

    def is_action_allowed(self, name):
        return has_role(*self.editors) and super().is_action_allowed(name)
