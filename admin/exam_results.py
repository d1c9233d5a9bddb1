"""Exam results in the panel (per unit, who has not sat it, how each question behaved, the
spreadsheet for the cadre management office, make-up exams) and checking a certificate.
The figures come from quiz_bank.exams.results and the 疑点 from quiz_bank.exams.suspicion;
nothing is computed here."""
import io
import re

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from accounts import audit, tenancy
from admin import personal_data
from admin.auth import StaffView, forbidden, has_role
from admin.tenancy import chosen_town, get_or_404, viewer_town
from admin.views import asked_page
from core.extensions import db
from core.timeutil import local_text, utcnow
from core.transactions import writing
from quiz_bank.exams import certificates, results, suspicion
from quiz_bank.exams.models import EXAM_KIND_LABELS, Exam
from reports import snapshots

PAGE_SIZE = 20
# The question analysis of a large bank ran to 13,000 px in one table: a page at a time
# (bad questions come first, so the first page holds what needs checking).
QUESTIONS_PER_PAGE = 20
# The lists of people (who has not sat it, the 疑点) come as the panel's lists do: a
# district's annual exam has thousands of each. Counts and summaries stay whole.
PEOPLE_PER_PAGE = 50
# Characters a file name may not hold on Windows (where the office opens it).
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')



class ExamResultsView(StaffView):
    makers = ("admin",)

    @expose("/")
    def index(self):
        page, town = asked_page(), viewer_town()
        total = db.session.scalar(tenancy.scope(select(func.count()).select_from(Exam), Exam, town))
        exams = db.session.scalars(
            tenancy.scope(select(Exam), Exam, town).options(selectinload(Exam.rules)).order_by(Exam.opens_at.desc(), Exam.id.desc())
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        overview = results.exam_overview(list(exams))
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        return self.render("admin/exam_results.html", exams=exams, overview=overview, kinds=EXAM_KIND_LABELS,
                           local=local_text, page=page, pages=pages, now=utcnow())

    @expose("/<int:exam_id>/")
    def detail(self, exam_id):
        exam = get_or_404(Exam, exam_id)
        makeups = db.session.scalars(select(Exam).where(Exam.makeup_of_id == exam.id).order_by(Exam.id)).all()
        # No 疑点 here: judging them compares every finished attempt with all the others
        # (seconds for a district's exam); they have their own page (`flags`). The lists
        # come a page at a time from SQL; the summaries are counted there.
        found = results.exam_summary(exam)
        units = _units_shown(found, chosen_town())
        not_sat = _page(found["total"]["assigned"] - found["total"]["submitted"], PEOPLE_PER_PAGE, "page")
        not_sat["rows"] = results.not_sat(exam, limit=PEOPLE_PER_PAGE, offset=not_sat["first"])
        qpage = request.args.get("qpage")
        analysis = snapshots.exam_questions(exam, asked_page("qpage"), QUESTIONS_PER_PAGE)
        # The same page as the one the statement chose (past the end: the last).
        questions = dict(_page(analysis["count"], QUESTIONS_PER_PAGE, "qpage"), rows=analysis["rows"])
        now = utcnow()
        return self.render(
            "admin/exam_result_detail.html", exam=exam, kinds=EXAM_KIND_LABELS, local=local_text,
            results=found, units=units, bands=results.BANDS, not_sat=not_sat,
            # Only the question analysis' page and the town picked are carried over: any other
            # argument would go into url_for as it came (`endpoint`, `_scheme` make it fail).
            args={k: v for k, v in (("qpage", qpage), ("town", request.args.get("town"))) if v},
            questions=questions, bad_count=analysis["bad_count"],
            min_sample=results.MIN_SAMPLE, makeups=makeups, can_makeup=has_role(*self.makers),
            closed=now >= exam.closes_at, not_open=now < exam.opens_at,
        )

    @expose("/<int:exam_id>/flags/")
    def flags(self, exam_id):
        """The 疑点: every flagged finished attempt of the exam, a page at a time."""
        exam = get_or_404(Exam, exam_id)
        return self.render("admin/exam_result_flags.html", exam=exam, kinds=EXAM_KIND_LABELS,
                           flagged=_page_of(suspicion.flagged_attempts(exam), PEOPLE_PER_PAGE, "page"))

    @expose("/<int:exam_id>/export.xlsx")
    def export(self, exam_id):
        exam = get_or_404(Exam, exam_id)
        data = results.export_xlsx(exam)
        personal_data.exported("exam", exam.id, f"导出考试“{exam.title}”的成绩")
        name = UNSAFE_FILENAME.sub("_", exam.title).strip() or f"考试{exam.id}"
        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{name}成绩.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/<int:exam_id>/makeup", methods=("POST",))
    def makeup(self, exam_id):
        if not has_role(*self.makers):
            return forbidden()
        exam = get_or_404(Exam, exam_id)
        try:
            with writing():
                new = results.create_makeup(exam)
                audit.record(current_user.id, "create", "exam", new.id,
                             f"为“{exam.title}”生成补考“{new.title}”，{len(new.cadres)} 人")
        except ValueError as exc:  # raised before anything is written
            flash(str(exc), "error")
            return redirect(url_for(".detail", exam_id=exam_id))
        flash(f"已生成补考“{new.title}”，安排 {len(new.cadres)} 人参加，7 天内有效。请核对后保存。", "success")
        try:
            target = url_for("exams.edit_view", id=new.id)
        except BuildError:  # the exam editor is not registered (a trimmed-down panel)
            target = url_for(".detail", exam_id=new.id)
        return redirect(target)


def _units_shown(found: dict, town: int | None) -> dict | None:
    """The unit table of an exam's page: {title, rows (the units and a total row)}. An exam
    reaching several towns (a district's, hundreds of units) shows its towns first and one
    town's units when it is picked (?town=); None until then. The workbook has them all."""
    if not found["towns"]:
        return {"title": "各单位成绩", "rows": [*found["units"], found["total"]]}
    picked = next((t for t in found["towns"] if t["town_id"] == town), None)
    if picked is None:
        return None
    return {"title": f"{picked['unit']}各单位成绩", "rows": [*(u for u in found["units"] if u["town_id"] == town),
                                                         dict(picked, unit=f"{picked['unit']}合计")]}


def _page(count: int, per_page: int, param: str) -> dict:
    """Which page of `count` items the query argument `param` asks for (past the end: the
    last), with what the page links and the "第 a–b 项，共 n 项" line need."""
    pages = max((count + per_page - 1) // per_page, 1)
    page = min(asked_page(param), pages)
    return {"page": page, "pages": pages, "first": (page - 1) * per_page, "count": count}


def _page_of(rows: list, per_page: int, param: str) -> dict:
    """_page of a list in hand, with the page's `rows`."""
    paged = _page(len(rows), per_page, param)
    return dict(paged, rows=rows[paged["first"]:paged["first"] + per_page])


class CertificateCheckView(StaffView):
    MAX_SERIAL = 64

    @expose("/")
    def index(self):
        serial = request.args.get("serial", "").strip()
        cert, searched = None, bool(serial)
        # A value no serial can be (too long, a NUL that PostgreSQL refuses) is simply not found.
        if serial and len(serial) <= self.MAX_SERIAL and "\x00" not in serial:
            cert = certificates.verify(serial)
        holder = None
        if cert is not None and not tenancy.belongs(cert, viewer_town()):
            cert = None  # another town's certificate is checked by that town (or the district)
        if cert is not None:
            attempt = cert.attempt
            cadre = attempt.cadre
            holder = {
                "serial": cert.serial, "name": cadre.name if cadre else "",
                "unit": cadre.org_unit.name if cadre and cadre.org_unit else "",
                "exam": attempt.exam.title, "kind": EXAM_KIND_LABELS.get(attempt.exam.kind, ""),
                "score": attempt.score, "total": attempt.total_score, "passed_on": local_text(attempt.submitted_at, "%Y年%m月%d日"),
                "issued_on": local_text(cert.issued_at, "%Y年%m月%d日"),
            }
        return self.render("admin/certificate_check.html", serial=serial[: self.MAX_SERIAL], searched=searched, holder=holder)
