"""题库 → 法规库 and 出处核对: import a law's official text (preview, then confirm), read
its articles by chapter, see what an amendment changed; and the questions whose citation
names an article the law's current version does not have."""
import os
from datetime import date

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from accounts import audit
from admin.auth import StaffView, forbidden, has_role
from admin.uploads import stash, stashed
from core.domain_errors import DomainError
from core.extensions import db
from core.transactions import writing
from quiz_bank.models import STATUS_LABELS
from statutes import citations, library
from statutes.models import Statute, StatuteVersion

EXTENSIONS = (".docx", ".txt")


def _form_date(raw: str) -> tuple[date | None, str | None]:
    """The version date typed on the form (YYYY-MM-DD), or why it is not one."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, f"版本日期“{raw}”不是有效的日期，请按 年-月-日 填写，如 2025-01-01。"


def _chapters(articles) -> list[tuple[list[str], list]]:
    """Articles grouped under the headings they sit under, in order."""
    groups: list[tuple[list[str], list]] = []
    for article in articles:
        headings = [h for h in (article.part, article.subpart, article.chapter, article.section) if h]
        if not groups or groups[-1][0] != headings:
            groups.append((headings, []))
        groups[-1][1].append(article)
    return groups


class StatuteView(StaffView):
    """The laws held, importing a text, one law's articles, an import's changes."""

    editors = ("admin", "editor")

    @expose("/")
    def index(self):
        return self.render("admin/statute_index.html", laws=library.laws(), can_import=has_role(*self.editors))

    def _preview(self, token: str, filename: str, name: str, raw_date: str):
        path = stashed(token)
        if path is None:
            flash("上传的文件已失效，请重新上传。", "error")
            return redirect(url_for(".index"))
        version_date, problem = _form_date(raw_date)
        if problem:
            flash(problem, "error")
        try:
            with open(path, "rb") as f:
                plan = library.plan_import(filename, f.read(), name or None, version_date)
        except DomainError as exc:
            os.remove(path)
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        return self.render("admin/statute_preview.html", plan=plan, token=token, filename=filename,
                           date_words=library.date_words, typed_date=raw_date)

    @expose("/preview", methods=("POST",))
    def preview(self):
        if not has_role(*self.editors):
            return forbidden()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的法律文本文件。", "error")
            return redirect(url_for(".index"))
        ext = os.path.splitext(upload.filename)[1].lower()
        if ext not in EXTENSIONS:
            flash("只支持 Word（.docx）和文本（.txt）格式的法律文本；旧的 .doc 文件请先另存为 .docx。", "error")
            return redirect(url_for(".index"))
        token, _ = stash(upload, ext)
        return self._preview(token, upload.filename, request.form.get("name", ""), request.form.get("version_date", ""))

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        if not has_role(*self.editors):
            return forbidden()
        token, filename = request.form.get("token", ""), request.form.get("filename", "")[:255] or "法律文本.txt"
        name, raw_date = request.form.get("name", ""), request.form.get("version_date", "")
        path = stashed(token)
        if path is None:
            flash("上传的文件已失效，请重新上传。", "error")
            return redirect(url_for(".index"))
        version_date, problem = _form_date(raw_date)
        if problem:
            return self._preview(token, filename, name, raw_date)
        try:
            with open(path, "rb") as f:
                plan = library.plan_import(filename, f.read(), name or None, version_date)
            if plan.problem:  # the preview says why, with the name and date to correct
                return self._preview(token, filename, name, raw_date)
            with writing():
                version, rechecked = library.apply_import(plan, current_user.id)
                audit.record(current_user.id, "import", "statute", version.statute_id,
                             f"导入《{plan.name}》{library.date_words(version.version_date)}版本（{filename}，{version.article_count} 条）"
                             + (f"，{rechecked} 道题目待复核" if rechecked else ""))
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        os.remove(path)
        flash(f"已导入《{plan.name}》{library.date_words(version.version_date)}版本，共 {version.article_count} 条。", "success")
        if rechecked:
            flash(f"{rechecked} 道题目引用的条文已修改或删除，已放入“待复核”：核对后确认无误或修改，才会重新出现在答题和试卷中。", "warning")
        return redirect(url_for(".version", version_id=version.id))

    @expose("/<int:statute_id>")
    def law(self, statute_id):
        statute = db.get_or_404(Statute, statute_id)
        versions = library.versions_of(statute)
        search = request.args.get("q", "").strip()[:100]
        articles = library.articles_of(statute.current_version_id, search) if statute.current_version_id else []
        current = next((v for v in versions if v.id == statute.current_version_id), None)
        return self.render("admin/statute_law.html", statute=statute, versions=versions, current=current, search=search,
                           chapters=_chapters(articles), date_words=library.date_words)

    @expose("/version/<int:version_id>")
    def version(self, version_id):
        version = db.get_or_404(StatuteVersion, version_id)
        statute = db.session.get(Statute, version.statute_id)
        before, changes = library.changes_of(version)
        return self.render("admin/statute_changes.html", statute=statute, version=version, before=before, changes=changes,
                           date_words=library.date_words)


class SourceCheckView(StaffView):
    """出处核对: questions (启用, 待审核, 待复核) citing an article the law's current version lacks."""

    @expose("/")
    def index(self):
        return self.render("admin/statute_source_check.html", check=citations.check_sources(), statuses=STATUS_LABELS,
                           can_edit=has_role(*StatuteView.editors))
