"""Certificates for passed attempts: a PDF in Chinese with a serial number that the
admin panel can look up. A certificate is issued by a write of its own (`issue`,
`issue_many`); reading or rendering one never issues it."""
import hashlib
import io
import os
import secrets
import threading
from collections.abc import Iterable
from xml.sax.saxutils import escape

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import to_local, utcnow
from core.transactions import writes
from quiz_bank.exams.models import EXAM_KIND_LABELS, Certificate, ExamAttempt

SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def check_passed(attempt: ExamAttempt) -> None:
    """Only a passed, handed-in attempt has a certificate."""
    if attempt.status == "in_progress" or not attempt.passed:
        raise Conflict("本次考试未通过（或尚未交卷），没有合格证书。", code="not_passed")


def of(attempt: ExamAttempt) -> Certificate | None:
    """The attempt's certificate if it has been issued: reading never issues one."""
    return db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))


def _new(attempt: ExamAttempt) -> Certificate:
    check_passed(attempt)
    year = to_local(attempt.submitted_at).year
    suffix = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(6))
    cert = Certificate(serial=f"PF{year}-{attempt.exam_id:04d}-{attempt.id:06d}-{suffix}", attempt_id=attempt.id, issued_at=utcnow())
    db.session.add(cert)
    return cert


@writes
def issue(attempt: ExamAttempt) -> Certificate:
    """The attempt's certificate, made if it has none yet."""
    cert = of(attempt)
    if cert is not None:
        return cert
    cert = _new(attempt)
    try:
        db.session.flush()
    except IntegrityError:
        # Asked for twice at once: the other request made it.
        db.session.rollback()
        cert = of(attempt)
    return cert


def issue_many(attempts: Iterable[ExamAttempt]) -> list[Certificate]:
    """Certificates for those of `attempts` that have none, inside the caller's unit of
    work (which rolls back whole if another request issues one of them at the same time)."""
    attempts = list(attempts)
    held = set(db.session.scalars(select(Certificate.attempt_id).where(Certificate.attempt_id.in_([a.id for a in attempts]))))
    made = [_new(a) for a in attempts if a.id not in held]
    db.session.flush()
    return made


def verify(serial: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial.strip().upper()))


# Every character GB2312 encodes (the 6,763 common hanzi, punctuation, fullwidth forms)
# and printable ASCII: what nearly every certificate needs.
COMMON_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(
    bytes((hi, lo)).decode("gb2312", "ignore") for hi in range(0xA1, 0xF8) for lo in range(0xA1, 0xFF)) - {""}


def font_file(texts: list[str]) -> str:
    """The font a certificate with these texts is set in: the cut font (see
    `common_font_path`), or CERT_FONT itself when a text needs a rarer character (a name
    such as 喆). A process keeps a font it has used parsed: 24 MB for the whole font,
    6 MB for the cut."""
    if not set("".join(texts)) <= COMMON_CHARS:
        return current_app.config["CERT_FONT"]
    return cut_common_font()


def common_font_path() -> str:
    """Where CERT_FONT cut down to COMMON_CHARS is kept: the instance folder, under a
    name that changes with the font file. `flask exams cut-font` makes it at deploy
    time; cutting it inside a server process would leave that process 56 MB larger."""
    full = current_app.config["CERT_FONT"]
    stat = os.stat(full)
    name = hashlib.sha256(f"{full}:{stat.st_size}:{stat.st_mtime_ns}:renamed".encode()).hexdigest()[:16]
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
    # A PostScript name of its own: ReportLab mixes up two fonts of one name in a
    # process (the whole font's 喆 came out as glyph 0 once the cut had been used).
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = f"{record.toUnicode()}-Common"
    os.makedirs(os.path.dirname(cut), exist_ok=True)
    partial = f"{cut}.{os.getpid()}.{threading.get_ident()}.part"
    font.save(partial)
    os.replace(partial, cut)  # whole or not at all, whoever cuts it first


def _font(path: str) -> str:
    """The name ReportLab knows the font file by, registered once a process."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "cjk-" + hashlib.sha256(path.encode()).hexdigest()[:12]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    return name


def render(cert: Certificate) -> bytes:
    """One certificate's PDF: the same page as in `render_all`, drawn by the same code."""
    return render_all([cert], f"合格证书 {cert.serial}")


def render_all(certs: Iterable[Certificate], title: str) -> bytes:
    """Many certificates in one PDF to print, a page each, in the order given. Each is
    drawn and its page closed before the next is read: feed `certs` from a query that
    yields rows in batches and memory holds one certificate's objects, plus each page's
    few compressed kilobytes."""
    # ReportLab, imported where used: 13 MB and 20 ms a certificate in the cut font,
    # where fpdf2 took 36 MB to import and 70 ms.
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    pdf = Canvas(out, pagesize=landscape(A4))
    pdf.setTitle(title)
    pdf.setCreator("普法积分管理后台")
    for cert in certs:
        _draw(pdf, cert)
    pdf.save()
    return out.getvalue()


def _draw(pdf, cert: Certificate) -> None:
    """One certificate on the canvas's current page, which it ends."""
    from reportlab.lib.colors import Color
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    attempt = cert.attempt
    exam, cadre = attempt.exam, attempt.cadre
    unit = cadre.org_unit.name if cadre and cadre.org_unit else ""
    passed_on = to_local(attempt.submitted_at)
    title, issuer = "合 格 证 书", current_app.config["CERT_ISSUER"]
    addressee = f"{unit}　{cadre.name if cadre else ''}　同志："
    body = (f"于{passed_on:%Y年%m月%d日}参加“{exam.title}”（{EXAM_KIND_LABELS.get(exam.kind, '')}），"
            f"成绩{attempt.score}分（满分{attempt.total_score}分，合格线{exam.pass_score}分），考试合格。")
    issued_on = f"{to_local(cert.issued_at):%Y年%m月%d日}"
    footer = f"证书编号：{cert.serial}    可在管理后台“证书查验”中核对"
    font = _font(font_file([title, addressee, body, "特发此证。", issuer, issued_on, footer]))

    w, h = landscape(A4)
    red = Color(176 / 255, 32 / 255, 32 / 255)
    pdf.setStrokeColor(red)
    pdf.setLineWidth(2 * mm)
    pdf.rect(10 * mm, 10 * mm, w - 20 * mm, h - 20 * mm)
    pdf.setLineWidth(0.5 * mm)
    pdf.rect(14 * mm, 14 * mm, w - 28 * mm, h - 28 * mm)

    pdf.setFillColor(red)
    pdf.setFont(font, 40)
    pdf.drawCentredString(w / 2, h - 50 * mm, title)

    # Names and titles are set as text: escaped, so they never become Paragraph markup.
    style = ParagraphStyle("body", fontName=font, fontSize=18, leading=12 * mm, wordWrap="CJK", textColor=Color(0.12, 0.12, 0.12))
    y = h - 72 * mm
    for text in (addressee, body, "特发此证。"):
        para = Paragraph(escape(text), style)
        _, height = para.wrap(w - 80 * mm, h)
        y -= height
        para.drawOn(pdf, 40 * mm, y)

    pdf.setFillColor(Color(0.12, 0.12, 0.12))
    pdf.setFont(font, 14)
    pdf.drawCentredString(w - 80 * mm, 57 * mm, issuer)
    pdf.drawCentredString(w - 80 * mm, 47 * mm, issued_on)
    pdf.setFillColor(Color(0.35, 0.35, 0.35))
    pdf.setFont(font, 11)
    pdf.drawString(30 * mm, 30 * mm, footer)
    pdf.showPage()


def certificate_pdf(attempt: ExamAttempt) -> tuple[Certificate, bytes]:
    """The mini-program's: a cadre's own certificate, issued the first time they ask for it."""
    cert = issue(attempt)
    return cert, render(cert)
