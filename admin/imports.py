"""Importing and exporting the question bank in the panel: upload, a preview listing
every problem, then confirm."""
import io
import os

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from admin.auth import StaffView, forbidden, has_role
from admin.uploads import stash, stashed
from quiz_bank.formats import EXTENSIONS, UnsupportedFormat, format_for, tabular
from quiz_bank.importer import apply_import, export_bank, plan_import
from quiz_bank.questions import QuestionInvalid

EXPORTS = {"xlsx": "Excel（.xlsx）", "csv": "CSV（.csv）", "gift": "Moodle GIFT（.gift）", "txt": "Aiken（.txt，仅单选和判断）", "json": "JSON（.json，完整）"}


class ImportView(StaffView):
    editors = ("admin", "editor")


    @expose("/")
    def index(self):
        return self.render("admin/import.html", exports=EXPORTS, can_import=has_role(*self.editors))

    @expose("/template.xlsx")
    def template(self):
        return send_file(io.BytesIO(tabular.template()), download_name="题库导入模板.xlsx", as_attachment=True)

    @expose("/export/<fmt>")
    def export(self, fmt):
        if fmt not in EXPORTS:
            return forbidden()
        data = export_bank(f"bank.{fmt}")
        return send_file(io.BytesIO(data), download_name=f"普法题库.{fmt}", as_attachment=True)

    @expose("/preview", methods=("POST",))
    def preview(self):
        if not has_role(*self.editors):
            return forbidden()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的文件。", "error")
            return redirect(url_for(".index"))
        try:
            fmt = format_for(upload.filename)
        except UnsupportedFormat as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        ext = next(e for e, f in EXTENSIONS.items() if f == fmt)
        token, path = stash(upload, ext)
        category = request.form.get("category", "").strip() or os.path.splitext(upload.filename)[0]
        plan = plan_import(upload.filename, open(path, "rb").read(), category)
        return self.render("admin/import_preview.html", plan=plan, token=token, filename=upload.filename, category=category)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        if not has_role(*self.editors):
            return forbidden()
        path = stashed(request.form.get("token", ""))
        if path is None:
            flash("上传的文件已失效，请重新上传。", "error")
            return redirect(url_for(".index"))
        filename = request.form.get("filename", os.path.basename(path))
        plan = plan_import(os.path.basename(path), open(path, "rb").read(), request.form.get("category") or None)
        try:
            added = apply_import(plan, only_valid=bool(request.form.get("only_valid")), admin_id=current_user.id, source=filename)
        except QuestionInvalid:
            flash("文件中有问题，未导入任何题目。请修改后重新上传，或勾选“只导入没有问题的题目”。", "error")
            return redirect(url_for(".index"))
        os.remove(path)
        awaiting = f"待审核 {plan.pending} 道、" if plan.pending else ""
        flash(f"已导入 {added} 道题（其中{awaiting}仅用于考试 {plan.exam_only_new} 道；已存在而跳过 {plan.existing} 道）。"
              f"{plan.exam_only_note()}", "success")
        if plan.pending:
            flash(f"{plan.pending} 道题缺少出处或出处写法不对，已放入“待审核”：补全出处并发布后才会出现在答题和试卷中。", "warning")
            return redirect(url_for("pending_questions.index_view"))
        return redirect(url_for("questions.index_view"))
