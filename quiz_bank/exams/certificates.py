"""Certificates for passed attempts: a PDF in Chinese with a serial number that the
admin panel can look up."""
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import to_local, utcnow
from core.transactions import writes
from quiz_bank.exams.models import EXAM_KIND_LABELS, Certificate, ExamAttempt

SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@writes
def issue(attempt: ExamAttempt) -> Certificate:
    """The attempt's certificate, made the first time it is asked for."""
    if attempt.status == "in_progress" or not attempt.passed:
        raise Conflict("本次考试未通过（或尚未交卷），没有合格证书。", code="not_passed")
    cert = db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    if cert is not None:
        return cert
    year = to_local(attempt.submitted_at).year
    suffix = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(6))
    cert = Certificate(serial=f"PF{year}-{attempt.exam_id:04d}-{attempt.id:06d}-{suffix}", attempt_id=attempt.id, issued_at=utcnow())
    db.session.add(cert)
    try:
        db.session.commit()
    except IntegrityError:
        # Asked for twice at once: the other request made it.
        db.session.rollback()
        cert = db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    return cert


def verify(serial: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial.strip().upper()))


def render(cert: Certificate) -> bytes:
    from fpdf import FPDF  # heavy: imported where used

    attempt = cert.attempt
    exam, cadre = attempt.exam, attempt.cadre
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"合格证书 {cert.serial}")
    pdf.set_creator("普法积分管理后台")
    pdf.add_font("cjk", fname=current_app.config["CERT_FONT"])
    pdf.set_auto_page_break(False)
    pdf.add_page()
    w, h = pdf.w, pdf.h
    pdf.set_draw_color(176, 32, 32)
    pdf.set_line_width(2)
    pdf.rect(10, 10, w - 20, h - 20)
    pdf.set_line_width(0.5)
    pdf.rect(14, 14, w - 28, h - 28)

    pdf.set_text_color(176, 32, 32)
    pdf.set_font("cjk", size=40)
    pdf.set_xy(0, 36)
    pdf.cell(w, 18, "合 格 证 书", align="C")

    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cjk", size=18)
    pdf.set_xy(40, 72)
    unit = cadre.org_unit.name if cadre and cadre.org_unit else ""
    passed_on = to_local(attempt.submitted_at)
    pdf.multi_cell(w - 80, 12, f"{unit}　{cadre.name if cadre else ''}　同志：", align="L")
    pdf.set_x(40)
    # No ASCII spaces in the text: fpdf2 breaks lines there and would stretch them.
    pdf.multi_cell(w - 80, 12, (
        f"于{passed_on:%Y年%m月%d日}参加“{exam.title}”（{EXAM_KIND_LABELS.get(exam.kind, '')}），"
        f"成绩{attempt.score}分（满分{attempt.total_score}分，合格线{exam.pass_score}分），考试合格。"
    ), align="L")
    pdf.set_x(40)
    pdf.multi_cell(w - 80, 12, "特发此证。", align="L")

    pdf.set_font("cjk", size=14)
    pdf.set_xy(w - 130, h - 62)
    pdf.cell(100, 8, current_app.config["CERT_ISSUER"], align="C")
    pdf.set_xy(w - 130, h - 52)
    pdf.cell(100, 8, f"{to_local(cert.issued_at):%Y年%m月%d日}", align="C")
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(30, h - 34)
    pdf.cell(w - 60, 6, f"证书编号：{cert.serial}    可在管理后台“证书查验”中核对", align="L")
    return bytes(pdf.output())


def certificate_pdf(attempt: ExamAttempt) -> tuple[Certificate, bytes]:
    cert = issue(attempt)
    return cert, render(cert)
