"""Certificates for passed attempts: a PDF in Chinese with a serial number that the
admin panel can look up."""
import hashlib
import os
import secrets
import threading

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.domain_errors import Conflict, Unavailable
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


# Every character GB2312 encodes (the 6,763 common hanzi, punctuation, fullwidth forms)
# and printable ASCII: what nearly every certificate needs.
COMMON_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(
    bytes((hi, lo)).decode("gb2312", "ignore") for hi in range(0xA1, 0xF8) for lo in range(0xA1, 0xFF)) - {""}


def font_file(texts: list[str]) -> str:
    """The font a certificate with these texts is set in: the cut font (see
    `common_font_path`), or CERT_FONT itself when a text needs a rarer character (a name
    such as 喆). The whole font is parsed for every PDF: 0.3 s of CPU and 38 MB at its
    peak, against 0.07 s for the cut."""
    if not set("".join(texts)) <= COMMON_CHARS:
        return current_app.config["CERT_FONT"]
    return cut_common_font()


def common_font_path() -> str:
    """Where CERT_FONT cut down to COMMON_CHARS is kept: the instance folder, under a
    name that changes with the font file. `flask exams cut-font` makes it at deploy
    time; cutting it inside a server process would leave that process 56 MB larger."""
    full = current_app.config["CERT_FONT"]
    stat = os.stat(full)
    name = hashlib.sha256(f"{full}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return os.path.join(current_app.instance_path, f"cert-font-{name}.ttf")


def cut_common_font() -> str:
    """Make the cut font now if it is missing; its path."""
    cut = common_font_path()
    if not os.path.exists(cut):
        _cut_font(current_app.config["CERT_FONT"], cut)
    return cut


def _cut_font(full: str, cut: str) -> None:
    from fontTools import subset  # heavy: imported where used
    from fontTools.ttLib import TTFont

    font = TTFont(full, fontNumber=0)
    options = subset.Options()
    options.notdef_outline, options.name_IDs = True, ["*"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[ord(c) for c in COMMON_CHARS])
    cutter.subset(font)
    os.makedirs(os.path.dirname(cut), exist_ok=True)
    partial = f"{cut}.{os.getpid()}.{threading.get_ident()}.part"
    font.save(partial)
    os.replace(partial, cut)  # whole or not at all, whoever cuts it first


# Setting a PDF in the Chinese font takes some 8 MB while it runs, and a process keeps
# what its peak took: eight threads of a worker rendering at once left it 67 MB larger
# than one at a time. The work is CPU under one GIL anyway, so the threads take turns.
_rendering = threading.Lock()
RENDER_WAIT_SECONDS = 10


def render(cert: Certificate) -> bytes:
    if not _rendering.acquire(timeout=RENDER_WAIT_SECONDS):
        raise Unavailable("证书生成繁忙，请稍后再试。", code="busy")
    try:
        return _render(cert)
    finally:
        _rendering.release()


def _render(cert: Certificate) -> bytes:
    from fpdf import FPDF  # heavy: imported where used

    attempt = cert.attempt
    exam, cadre = attempt.exam, attempt.cadre
    unit = cadre.org_unit.name if cadre and cadre.org_unit else ""
    passed_on = to_local(attempt.submitted_at)
    title, issuer = "合 格 证 书", current_app.config["CERT_ISSUER"]
    addressee = f"{unit}　{cadre.name if cadre else ''}　同志："
    # No ASCII spaces in the text: fpdf2 breaks lines there and would stretch them.
    body = (f"于{passed_on:%Y年%m月%d日}参加“{exam.title}”（{EXAM_KIND_LABELS.get(exam.kind, '')}），"
            f"成绩{attempt.score}分（满分{attempt.total_score}分，合格线{exam.pass_score}分），考试合格。")
    issued_on = f"{to_local(cert.issued_at):%Y年%m月%d日}"
    footer = f"证书编号：{cert.serial}    可在管理后台“证书查验”中核对"
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"合格证书 {cert.serial}")
    pdf.set_creator("普法积分管理后台")
    pdf.add_font("cjk", fname=font_file([title, addressee, body, "特发此证。", issuer, issued_on, footer]))
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
    pdf.cell(w, 18, title, align="C")

    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cjk", size=18)
    pdf.set_xy(40, 72)
    pdf.multi_cell(w - 80, 12, addressee, align="L")
    pdf.set_x(40)
    pdf.multi_cell(w - 80, 12, body, align="L")
    pdf.set_x(40)
    pdf.multi_cell(w - 80, 12, "特发此证。", align="L")

    pdf.set_font("cjk", size=14)
    pdf.set_xy(w - 130, h - 62)
    pdf.cell(100, 8, issuer, align="C")
    pdf.set_xy(w - 130, h - 52)
    pdf.cell(100, 8, issued_on, align="C")
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(30, h - 34)
    pdf.cell(w - 60, 6, footer, align="L")
    return bytes(pdf.output())


def certificate_pdf(attempt: ExamAttempt) -> tuple[Certificate, bytes]:
    cert = issue(attempt)
    return cert, render(cert)
