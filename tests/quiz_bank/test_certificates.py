"""The certificate's font: a cut of the Chinese font for the common characters, the
whole font for a name with a rarer one; both print every character of the name."""
from io import BytesIO

from flask import current_app
from pypdf import PdfReader

from core.extensions import db
from quiz_bank.exams import attempts, certificates


def _certificate_text(make, name: str) -> tuple[str, str]:
    user = make.user()
    make.cadre(user, name=name)
    exam = make.exam(pass_score=60)
    attempt, _ = attempts.start_attempt(user.id, exam.id)
    for question, order in attempts.paper_of(attempt):
        attempts.save_answer(user.id, attempt.id, question.id, attempts.shown_keys(order, question.answer))
    attempts.submit(user.id, attempt.id)
    attempt = attempts.get_attempt(user.id, attempt.id)
    cert, pdf = certificates.certificate_pdf(attempt)
    db.session.expire_all()
    return "".join(PdfReader(BytesIO(pdf)).pages[0].extract_text().split()), cert.serial


def test_a_common_name_is_set_in_the_cut_font(make):
    text, serial = _certificate_text(make, "张三丰")
    assert "张三丰" in text and serial in text
    assert certificates.font_file(["张三丰"]) != current_app.config["CERT_FONT"]


def test_a_rarer_character_takes_the_whole_font(make):
    assert "喆" not in certificates.COMMON_CHARS
    assert certificates.font_file(["王喆"]) == current_app.config["CERT_FONT"]
    _certificate_text(make, "张三丰")  # the cut font used first in this process, as in a worker
    text, _ = _certificate_text(make, "王喆")
    assert "王喆" in text
