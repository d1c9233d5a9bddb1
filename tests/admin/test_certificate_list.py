"""合格证书 in the panel: an exam's certificate holders listed (holder, unit, score,
serial, dates), each issued certificate downloadable, and the issued ones in one PDF to
print. Opening never issues: an admin issues with a POST, one holder's or all of them."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from accounts.models import AuditLog
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams.models import Certificate, ExamAttempt
from tests.admin.conftest import login


def _attempt(exam, cadre, score: int, number: int = 1, days_ago: int = 2) -> ExamAttempt:
    """A finished attempt as grading leaves it."""
    submitted = utcnow() - timedelta(days=days_ago)
    row = ExamAttempt(exam_id=exam.id, user_id=cadre.user_id, cadre_id=cadre.id, number=number, status="submitted",
                      started_at=submitted - timedelta(minutes=40), deadline=submitted + timedelta(minutes=20),
                      submitted_at=submitted, score=score, passed=score >= exam.pass_score, total_score=100,
                      pass_score=exam.pass_score, paper=[])
    db.session.add(row)
    db.session.flush()
    return row


def _pages(pdf: bytes) -> list[str]:
    """Each page's text, without the spaces PDF text extraction scatters."""
    return ["".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


def _town(make, exam_title="2026年度领导干部学法用法考试"):
    """Two units (司法所 sorts first in the database); 张三丰 passed twice (the better
    attempt counts), 王小明 failed, 李四 and 赵敏 passed."""
    exam = make.exam(title=exam_title, pass_score=60, opens_at=utcnow() - timedelta(days=5), closes_at=utcnow() - timedelta(days=1))
    justice = make.org_unit(kind="department", name="司法所")
    civil = make.org_unit(kind="department", name="民政办")
    zhang = make.cadre(make.user(), name="张三丰", org_unit=civil)
    li = make.cadre(make.user(), name="李四", org_unit=justice)
    wang = make.cadre(make.user(), name="王小明", org_unit=justice)
    zhao = make.cadre(make.user(), name="赵敏", org_unit=civil)
    attempts = {
        "张三丰-1": _attempt(exam, zhang, 72, 1, days_ago=3), "张三丰-2": _attempt(exam, zhang, 95, 2),
        "李四": _attempt(exam, li, 60), "王小明": _attempt(exam, wang, 45), "赵敏": _attempt(exam, zhao, 88),
    }
    return exam, attempts


def _certificates() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Certificate))


def _holders(html: str) -> list[tuple[str, str, str, str]]:
    rows = re.findall(r'<tr data-attempt-id="\d+">(.*?)</tr>', html, re.S)
    cell = lambda row, name: re.sub(r"<[^>]+>", "", re.search(rf'class="[^"]*col-{name}[^"]*">(.*?)</td>', row, re.S).group(1)).strip()
    return [(cell(r, "holder"), cell(r, "unit"), cell(r, "score"), cell(r, "serial")) for r in rows]


def test_an_exams_holders_are_listed_by_unit_with_score_and_serial(panel, make):
    exam, attempts = _town(make)
    login(panel, make.admin("reviewer"))
    index = panel.get("/admin/exam-certificates/").get_data(as_text=True)
    row = re.search(rf'<tr data-exam-id="{exam.id}">(.*?)</tr>', index, re.S).group(1)
    assert exam.title in row and re.findall(r'<td class="text-right">(\d+)</td>', row) == ["3", "0"]  # passed, issued

    page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    # Each cadre once, by the best passed attempt; who failed is not listed.
    assert _holders(page) == [("李四", "司法所", "60 / 100", "未签发"), ("张三丰", "民政办", "95 / 100", "未签发"),
                              ("赵敏", "民政办", "88 / 100", "未签发")]
    assert "王小明" not in page and f'data-attempt-id="{attempts["张三丰-1"].id}"' not in page
    # Nothing issued: nothing to download or print yet, and a reviewer issues nothing.
    assert '<strong id="issued-count">0</strong>' in page and "由管理员签发后才能下载和打印" in page
    assert "certificates.pdf" not in page and "certificate-download" not in page and "/issue" not in page


def test_an_admin_issues_one_certificate_and_every_role_downloads_it(panel, make):
    exam, attempts = _town(make)
    best = attempts["张三丰-2"]
    admin = make.admin("admin", username="考试科小周")
    login(panel, admin)
    page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    assert f"/admin/exam-certificates/{exam.id}/{best.id}/issue" in page and 'id="issue-all"' in page
    r = panel.post(f"/admin/exam-certificates/{exam.id}/{best.id}/issue", follow_redirects=True)
    serial = db.session.scalar(select(Certificate.serial).where(Certificate.attempt_id == best.id))
    assert r.status_code == 200 and f"已签发张三丰的合格证书（{serial}）" in r.get_data(as_text=True)
    assert db.session.execute(select(AuditLog.action, AuditLog.entity, AuditLog.summary).where(AuditLog.admin_id == admin.id)
                              .where(AuditLog.entity == "certificate")).all() == [("create", "certificate", f"签发张三丰的合格证书（{serial}）")]
    # Issued once: asked again, the same certificate.
    assert "已签发" in panel.post(f"/admin/exam-certificates/{exam.id}/{best.id}/issue", follow_redirects=True).get_data(as_text=True)
    assert db.session.scalars(select(Certificate.serial)).all() == [serial]

    for role in ("admin", "editor", "reviewer"):
        login(panel, make.admin(role))
        r = panel.get(f"/admin/exam-certificates/{exam.id}/{best.id}.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert "attachment" in r.headers["Content-Disposition"] and serial in r.headers["Content-Disposition"]
        [text] = _pages(r.get_data())
        assert "张三丰" in text and "民政办" in text and serial in text and "成绩95分" in text
        page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
        assert ("张三丰", "民政办", "95 / 100", serial) in _holders(page)
        assert f"/admin/exam-certificates/{exam.id}/{best.id}.pdf" in page
    assert db.session.scalars(select(Certificate.serial)).all() == [serial]

    # A failed attempt, or one of another exam, has none; a holder's worse attempt is not issued.
    assert panel.get(f"/admin/exam-certificates/{exam.id}/{attempts['王小明'].id}.pdf").status_code == 409
    other = make.exam()
    assert panel.get(f"/admin/exam-certificates/{other.id}/{best.id}.pdf").status_code == 404
    login(panel, admin)
    worse = panel.post(f"/admin/exam-certificates/{exam.id}/{attempts['张三丰-1'].id}/issue", follow_redirects=True)
    assert "按每人最好一次合格的成绩签发" in worse.get_data(as_text=True) and _certificates() == 1
    assert panel.post(f"/admin/exam-certificates/{other.id}/{best.id}/issue").status_code == 404


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer"])
def test_opening_or_printing_certificates_not_yet_issued_issues_none(panel, make, role):
    exam, attempts = _town(make)
    login(panel, make.admin(role))
    r = panel.get(f"/admin/exam-certificates/{exam.id}/{attempts['张三丰-2'].id}.pdf", follow_redirects=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "张三丰的合格证书尚未签发，签发后才能下载。" in r.get_data(as_text=True)
    r = panel.get(f"/admin/exam-certificates/{exam.id}/certificates.pdf", follow_redirects=True)
    assert "本场考试的合格证书还没有签发，没有证书可打印。" in r.get_data(as_text=True)
    assert _certificates() == 0


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_only_admins_issue(panel, make, role):
    exam, attempts = _town(make)
    login(panel, make.admin(role))
    page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    assert "签发证书" not in page and 'id="issue-all"' not in page
    assert panel.post(f"/admin/exam-certificates/{exam.id}/{attempts['李四'].id}/issue").status_code == 403
    assert panel.post(f"/admin/exam-certificates/{exam.id}/issue").status_code == 403
    assert _certificates() == 0


def test_all_certificates_print_as_one_pdf_a_page_each_in_list_order(panel, make):
    exam, attempts = _town(make)
    admin = make.admin("admin")
    login(panel, admin)
    # 赵敏 already has hers: it is printed as it is, not issued anew.
    panel.post(f"/admin/exam-certificates/{exam.id}/{attempts['赵敏'].id}/issue")
    zhao_serial = db.session.scalar(select(Certificate.serial).where(Certificate.attempt_id == attempts["赵敏"].id))
    # Only what is issued prints.
    assert len(_pages(panel.get(f"/admin/exam-certificates/{exam.id}/certificates.pdf").get_data())) == 1

    r = panel.post(f"/admin/exam-certificates/{exam.id}/issue", follow_redirects=True)
    assert "已签发 2 份合格证书。" in r.get_data(as_text=True)
    assert db.session.scalars(select(AuditLog.summary).where(AuditLog.admin_id == admin.id, AuditLog.action == "create")).all()[1:] == [
        f"签发考试“{exam.title}”的合格证书 2 份"]
    assert "都已签发" in panel.post(f"/admin/exam-certificates/{exam.id}/issue", follow_redirects=True).get_data(as_text=True)
    login(panel, make.admin("reviewer"))
    r = panel.get(f"/admin/exam-certificates/{exam.id}/certificates.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pages = _pages(r.get_data())
    serials = dict(db.session.execute(select(Certificate.attempt_id, Certificate.serial)).all())
    assert set(serials) == {attempts[k].id for k in ("李四", "张三丰-2", "赵敏")}
    assert serials[attempts["赵敏"].id] == zhao_serial
    assert len(pages) == 3
    for text, (name, key) in zip(pages, [("李四", "李四"), ("张三丰", "张三丰-2"), ("赵敏", "赵敏")]):
        assert name in text and serials[attempts[key].id] in text and exam.title in text
    assert PdfReader(BytesIO(r.get_data())).metadata.title == f"{exam.title} 合格证书"
    # Now listed with their serials.
    page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    assert [h[3] for h in _holders(page)] == [serials[attempts[k].id] for k in ("李四", "张三丰-2", "赵敏")]


def test_an_exam_nobody_passed_has_nothing_to_print(panel, make):
    exam = make.exam(title="新提拔领导干部任前考试（第二批）", kind="new_leader")
    _attempt(exam, make.cadre(make.user(), name="周芷若"), 30)
    login(panel, make.admin("admin"))
    page = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    assert "本场考试还没有合格人员。" in page and "certificates.pdf" not in page
    r = panel.get(f"/admin/exam-certificates/{exam.id}/certificates.pdf", follow_redirects=True)
    assert "本场考试还没有合格人员，没有证书可打印。" in r.get_data(as_text=True)
    assert panel.get("/admin/exam-certificates/999999/").status_code == 404


def test_the_list_pages_fifty_holders_at_a_time(panel, make):
    exam = make.exam(pass_score=60)
    unit = make.org_unit(kind="village", name="东湖村")
    for i in range(53):
        _attempt(exam, make.cadre(make.user(), name=f"干部{i:02d}", org_unit=unit), 60 + i % 40)
    login(panel, make.admin("reviewer"))
    first = panel.get(f"/admin/exam-certificates/{exam.id}/").get_data(as_text=True)
    second = panel.get(f"/admin/exam-certificates/{exam.id}/?page=2").get_data(as_text=True)
    assert [h[0] for h in _holders(first)] == [f"干部{i:02d}" for i in range(50)]
    assert [h[0] for h in _holders(second)] == ["干部50", "干部51", "干部52"]
    assert '<strong id="holder-count">53</strong>' in first


def test_statements_for_the_list_and_the_combined_pdf_do_not_grow_with_holders(panel, make, count_queries):
    admin, reviewer = make.admin("admin"), make.admin("reviewer")

    def measure(size: int) -> dict:
        exam = make.exam(pass_score=60)
        unit = make.org_unit(kind="department")
        for i in range(size):
            _attempt(exam, make.cadre(make.user(), org_unit=unit), 80)
        login(panel, admin)
        panel.post(f"/admin/exam-certificates/{exam.id}/issue")
        login(panel, reviewer)
        counts = {}
        for name, path in [("list", f"/admin/exam-certificates/{exam.id}/"), ("pdf", f"/admin/exam-certificates/{exam.id}/certificates.pdf")]:
            db.session.expire_all()
            with count_queries() as sql:
                assert panel.get(path).status_code == 200
            counts[name] = len(sql)
        return counts

    assert measure(2) == measure(12)
