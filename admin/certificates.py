"""Certificates listed per exam: who passed (holder, unit, score, serial, dates), each
certificate's PDF, and one PDF of them all to print. Checking a serial stays in
admin.exam_results (证书查验).

A cadre's certificate is for their best passed attempt (the highest score, the earliest
of equal scores), as 成绩统计 counts them. A certificate is issued the first time it is
asked for, here as in the mini-program."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from accounts import tenancy
from accounts.models import Cadre, OrgUnit
from admin import personal_data
from admin.auth import StaffView
from admin.tenancy import get_or_404, viewer_town
from core.extensions import db
from core.timeutil import local_text
from quiz_bank.exams import certificates, results
from quiz_bank.exams.models import EXAM_KIND_LABELS, Certificate, Exam, ExamAttempt
from quiz_bank.exams.results import FINISHED

EXAMS_PAGE_SIZE = 20
PAGE_SIZE = 50
BATCH = 100  # certificates read a batch at a time while the combined PDF is drawn


def _holders_order():
    return OrgUnit.name, Cadre.name, ExamAttempt.id


def _pdf(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


class CertificateListView(StaffView):
    """合格证书: the exams, then one exam's certificate holders; every role may read and print."""

    @expose("/")
    def index(self):
        page, town = max(request.args.get("page", 1, type=int) or 1, 1), viewer_town()
        total = db.session.scalar(tenancy.scope(select(func.count()).select_from(Exam), Exam, town))
        passed = (select(ExamAttempt.exam_id, func.count(func.distinct(ExamAttempt.cadre_id)).label("n"))
                  .where(ExamAttempt.status.in_(FINISHED), ExamAttempt.passed.is_(True))
                  .group_by(ExamAttempt.exam_id).subquery())
        issued = (select(ExamAttempt.exam_id, func.count(Certificate.id).label("n"))
                  .join(Certificate, Certificate.attempt_id == ExamAttempt.id).group_by(ExamAttempt.exam_id).subquery())
        rows = db.session.execute(
            tenancy.scope(select(Exam.id, Exam.title, Exam.kind, Exam.closes_at, func.coalesce(passed.c.n, 0),
                                 func.coalesce(issued.c.n, 0)), Exam, town)
            .outerjoin(passed, passed.c.exam_id == Exam.id).outerjoin(issued, issued.c.exam_id == Exam.id)
            .order_by(Exam.opens_at.desc(), Exam.id.desc())
            .limit(EXAMS_PAGE_SIZE).offset((page - 1) * EXAMS_PAGE_SIZE)
        ).all()
        return self.render("admin/certificate_list.html", exam=None, rows=rows, kinds=EXAM_KIND_LABELS, local=local_text,
                           page=page, pages=max(-(-total // EXAMS_PAGE_SIZE), 1))

    @expose("/<int:exam_id>/")
    def exam(self, exam_id):
        exam = get_or_404(Exam, exam_id)
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        passed = results.certificate_attempts(exam.id)
        total = db.session.scalar(select(func.count()).select_from(passed.subquery()))
        rows = db.session.execute(
            select(ExamAttempt.id, ExamAttempt.score, ExamAttempt.total_score, ExamAttempt.submitted_at,
                   Cadre.name.label("holder"), OrgUnit.name.label("unit"), Certificate.serial, Certificate.issued_at)
            .join(Cadre, Cadre.id == ExamAttempt.cadre_id).outerjoin(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .outerjoin(Certificate, Certificate.attempt_id == ExamAttempt.id)
            .where(ExamAttempt.id.in_(passed))
            .order_by(*_holders_order()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        return self.render("admin/certificate_list.html", exam=exam, rows=rows, total=total, kinds=EXAM_KIND_LABELS,
                           local=local_text, page=page, pages=max(-(-total // PAGE_SIZE), 1), first=(page - 1) * PAGE_SIZE)

    @expose("/<int:exam_id>/<int:attempt_id>.pdf")
    def certificate(self, exam_id, attempt_id):
        attempt = db.session.get(ExamAttempt, attempt_id)
        if attempt is None or attempt.exam_id != exam_id:
            abort(404)
        get_or_404(Exam, exam_id)
        cert, pdf = certificates.certificate_pdf(attempt)
        personal_data.exported("certificate", cert.id, f"下载{attempt.cadre.name}的合格证书（{cert.serial}）")
        return _pdf(pdf, f"合格证书-{attempt.cadre.name}-{cert.serial}.pdf")

    @expose("/<int:exam_id>/certificates.pdf")
    def print_all(self, exam_id):
        exam = get_or_404(Exam, exam_id)
        passed = results.certificate_attempts(exam.id)
        if not db.session.scalar(select(func.count()).select_from(passed.subquery())):
            flash("本场考试还没有合格人员，没有证书可打印。", "info")
            return redirect(url_for(".exam", exam_id=exam.id))
        missing = db.session.scalars(
            select(ExamAttempt.id).where(ExamAttempt.id.in_(passed))
            .where(~select(Certificate.id).where(Certificate.attempt_id == ExamAttempt.id).exists())
        ).all()
        for attempt_id in missing:  # each its own small unit, as when a cadre asks for theirs
            certificates.issue(db.session.get(ExamAttempt, attempt_id))
        certs = db.session.scalars(
            select(Certificate).join(ExamAttempt, ExamAttempt.id == Certificate.attempt_id)
            .join(Cadre, Cadre.id == ExamAttempt.cadre_id).outerjoin(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .where(ExamAttempt.id.in_(passed)).order_by(*_holders_order())
            .options(joinedload(Certificate.attempt).options(
                defer(ExamAttempt.paper), joinedload(ExamAttempt.cadre).joinedload(Cadre.org_unit)))
            .execution_options(yield_per=BATCH)
        )
        pdf, title = certificates.render_all(certs, f"{exam.title} 合格证书"), exam.title
        personal_data.exported("exam", exam_id, f"打印考试“{title}”的全部合格证书")  # after the certificates are read
        return _pdf(pdf, f"{title}-合格证书.pdf")
