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


def _passed(make, name: str, score: int):
    """A certificate for a passed attempt, as grading and issuing leave it."""
    from datetime import timedelta

    from core.timeutil import utcnow
    from quiz_bank.exams.models import ExamAttempt

    cadre = make.cadre(make.user(), name=name, org_unit=make.org_unit(kind="department", name="司法所"))
    exam = make.exam(title="2026年度领导干部学法用法考试", pass_score=60)
    submitted = utcnow() - timedelta(days=1)
    attempt = ExamAttempt(exam_id=exam.id, user_id=cadre.user_id, cadre_id=cadre.id, number=1, status="submitted",
                          started_at=submitted - timedelta(minutes=40), deadline=submitted, submitted_at=submitted,
                          score=score, passed=True, total_score=100, pass_score=60, paper=[])
    db.session.add(attempt)
    db.session.flush()
    return certificates.issue(attempt)


def test_a_certificate_alone_is_the_same_page_as_in_the_printed_batch(make):
    """One drawing for both: each single PDF's page (its text and what it draws) is the
    batch's page for that certificate."""
    certs = [_passed(make, "张三丰", 95), _passed(make, "王喆", 88), _passed(make, "李四", 60)]
    batch = PdfReader(BytesIO(certificates.render_all(certs, "合格证书（全部）")))
    assert len(batch.pages) == 3 and batch.metadata.title == "合格证书（全部）"
    for cert, page in zip(certs, batch.pages):
        single = PdfReader(BytesIO(certificates.render(cert)))
        assert len(single.pages) == 1 and single.metadata.title == f"合格证书 {cert.serial}"
        assert single.pages[0].extract_text() == page.extract_text() and cert.serial in page.extract_text()
        assert single.pages[0].mediabox == page.mediabox
