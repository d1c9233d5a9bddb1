"""Certificates listed per exam: who passed (holder, unit, score, serial, dates), each
issued certificate's PDF, and one PDF of the issued ones to print. Checking a serial
stays in admin.exam_results (证书查验).

A cadre's certificate is for their best passed attempt (the highest score, the earliest
of equal scores), as 成绩统计 counts them. Opening, downloading and printing only read:
an admin issues certificates with a POST (one holder's, or every holder's not yet
issued), audited; a cadre's own is issued when they ask for it in the mini-program."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from accounts import audit, tenancy
from accounts.models import Cadre, OrgUnit
from admin import personal_data
from admin.auth import StaffView, forbidden, has_role
from admin.tenancy import get_or_404, viewer_town
from admin.views import asked_page
from core.extensions import db
from core.timeutil import local_text
from core.transactions import writing
from quiz_bank.exams import certificates, results
from quiz_bank.exams.models import EXAM_KIND_LABELS, Certificate, Exam, ExamAttempt
from quiz_bank.exams.results import FINISHED

EXAMS_PAGE_SIZE = 20
PAGE_SIZE = 50
BATCH = 100  # certificates read (and issued) a batch at a time
ISSUERS = ("admin",)  # issuing is a change to an exam's results, which only admins make (考试, 成绩统计)


def _holders_order():
    return OrgUnit.name, Cadre.name, ExamAttempt.id


def _issued(passed):
    """Select of the issued certificates' attempt ids among `passed`."""
    return select(Certificate.attempt_id).where(Certificate.attempt_id.in_(passed))


def _pdf(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


class CertificateListView(StaffView):
    """合格证书: the exams, then one exam's certificate holders; every role may read and print."""

    @expose("/")
    def index(self):
        page, town = asked_page(), viewer_town()
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
        page = asked_page()
        passed = results.certificate_attempts(exam.id)
        total = db.session.scalar(select(func.count()).select_from(passed.subquery()))
        issued = db.session.scalar(select(func.count()).select_from(_issued(passed).subquery()))
        rows = db.session.execute(
            select(ExamAttempt.id, ExamAttempt.score, ExamAttempt.total_score, ExamAttempt.submitted_at,
                   Cadre.name.label("holder"), OrgUnit.name.label("unit"), Certificate.serial, Certificate.issued_at)
            .join(Cadre, Cadre.id == ExamAttempt.cadre_id).outerjoin(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .outerjoin(Certificate, Certificate.attempt_id == ExamAttempt.id)
            .where(ExamAttempt.id.in_(passed))
            .order_by(*_holders_order()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        return self.render("admin/certificate_list.html", exam=exam, rows=rows, total=total, issued=issued, kinds=EXAM_KIND_LABELS,
                           local=local_text, page=page, pages=max(-(-total // PAGE_SIZE), 1), first=(page - 1) * PAGE_SIZE,
                           can_issue=has_role(*ISSUERS))

    @expose("/<int:exam_id>/<int:attempt_id>.pdf")
    def certificate(self, exam_id, attempt_id):
        attempt = _attempt(exam_id, attempt_id)
        certificates.check_passed(attempt)  # a failed attempt has none: 409
        cert = certificates.of(attempt)
        if cert is None:
            flash(f"{attempt.cadre.name}的合格证书尚未签发，签发后才能下载。", "error")
            return redirect(url_for(".exam", exam_id=exam_id))
        pdf = certificates.render(cert)
        personal_data.exported("certificate", cert.id, f"下载{attempt.cadre.name}的合格证书（{cert.serial}）")
        return _pdf(pdf, f"合格证书-{attempt.cadre.name}-{cert.serial}.pdf")

    @expose("/<int:exam_id>/<int:attempt_id>/issue", methods=("POST",))
    def issue(self, exam_id, attempt_id):
        if not has_role(*ISSUERS):
            return forbidden()
        attempt = _attempt(exam_id, attempt_id)
        back = redirect(url_for(".exam", exam_id=exam_id, page=request.args.get("page", 1, type=int)))
        holder = ExamAttempt.id.in_(results.certificate_attempts(exam_id))
        if db.session.scalar(select(ExamAttempt.id).where(ExamAttempt.id == attempt.id, holder)) is None:
            flash("证书按每人最好一次合格的成绩签发，这次考试记录不签发证书。", "error")
            return back
        if (cert := certificates.of(attempt)) is not None:
            flash(f"{attempt.cadre.name}的合格证书已签发（{cert.serial}）。", "info")
            return back
        with writing():
            cert = certificates.issue(attempt)
            audit.record(current_user.id, "create", "certificate", cert.id, f"签发{attempt.cadre.name}的合格证书（{cert.serial}）")
        flash(f"已签发{attempt.cadre.name}的合格证书（{cert.serial}）。", "success")
        return back

    @expose("/<int:exam_id>/issue", methods=("POST",))
    def issue_all(self, exam_id):
        if not has_role(*ISSUERS):
            return forbidden()
        exam = get_or_404(Exam, exam_id)
        passed = results.certificate_attempts(exam.id)
        missing = db.session.scalars(select(ExamAttempt.id).where(ExamAttempt.id.in_(passed), ExamAttempt.id.not_in(_issued(passed)))
                                     .order_by(ExamAttempt.id)).all()
        made = 0
        try:
            for start in range(0, len(missing), BATCH):  # a unit a batch: the write lock is held briefly
                with writing():
                    attempts = db.session.scalars(select(ExamAttempt).where(ExamAttempt.id.in_(missing[start:start + BATCH]))
                                                  .options(defer(ExamAttempt.paper)))
                    issued = certificates.issue_many(attempts)
                    audit.record(current_user.id, "create", "exam", exam.id, f"签发考试“{exam.title}”的合格证书 {len(issued)} 份")
                made += len(issued)
        except IntegrityError:  # another admin issued some of the same batch at the same moment
            flash(f"已签发 {made} 份；其余有人正在同时签发，请刷新后再试。", "error")
            return redirect(url_for(".exam", exam_id=exam.id))
        flash(f"已签发 {made} 份合格证书。" if made else "本场考试的合格证书都已签发。", "success" if made else "info")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/<int:exam_id>/certificates.pdf")
    def print_all(self, exam_id):
        exam = get_or_404(Exam, exam_id)
        passed = results.certificate_attempts(exam.id)
        if not db.session.scalar(select(func.count()).select_from(passed.subquery())):
            flash("本场考试还没有合格人员，没有证书可打印。", "info")
            return redirect(url_for(".exam", exam_id=exam.id))
        if not db.session.scalar(select(func.count()).select_from(_issued(passed).subquery())):
            flash("本场考试的合格证书还没有签发，没有证书可打印。", "info")
            return redirect(url_for(".exam", exam_id=exam.id))
        certs = db.session.scalars(
            select(Certificate).join(ExamAttempt, ExamAttempt.id == Certificate.attempt_id)
            .join(Cadre, Cadre.id == ExamAttempt.cadre_id).outerjoin(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .where(ExamAttempt.id.in_(passed)).order_by(*_holders_order())
            .options(joinedload(Certificate.attempt).options(
                defer(ExamAttempt.paper), joinedload(ExamAttempt.cadre).joinedload(Cadre.org_unit)))
            .execution_options(yield_per=BATCH)
        )
        pdf, title = certificates.render_all(certs, f"{exam.title} 合格证书"), exam.title
        personal_data.exported("exam", exam_id, f"打印考试“{title}”的全部已签发合格证书")  # after the certificates are read
        return _pdf(pdf, f"{title}-合格证书.pdf")


def _attempt(exam_id: int, attempt_id: int) -> ExamAttempt:
    """The exam's attempt, where the viewer may see the exam; else 404."""
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None or attempt.exam_id != exam_id:
        abort(404)
    get_or_404(Exam, exam_id)
    return attempt
