"""Exam results and certificate check in the panel, through the Flask test client."""
import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from accounts.models import AuditLog, OrgUnit
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams import certificates
from quiz_bank.exams.models import Exam
from tests.quiz_bank.test_exam_results import attempt, cadre
from tests.quiz_bank.test_suspicion import sat

@pytest.fixture(autouse=True)
def _ten_shared_questions(app, monkeypatch):
    """These papers share 12 questions: judged with 10 as the least (the default is 15)."""
    monkeypatch.setitem(app.config, "EXAM_FLAG_MIN_SHARED", 10)



def login(client, make, role, **kw):
    admin = make.admin(role, **kw)
    r = client.post("/admin/auth/login", data={"username": admin.username, "password": "correct-horse"})
    assert r.status_code == 302
    return admin


@pytest.fixture
def closed_exam(make):
    """Closed yesterday. 司法所: 张三 95 (优秀), 李四 50 (不合格); 王五 never started.
    Ten more in 执法大队 who all answered one question right, so it shows as too easy."""
    a = make.org_unit(kind="department", name="司法所")
    b = make.org_unit(kind="department", name="执法大队")
    category = make.category(name="民法典（成绩页）")
    questions = make.questions(10, category)
    exam = make.exam(title="2025年度学法考试", rules=[(category, "single", 10, 10)], assign_all=False,
                     opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(days=1))
    exam.units = [a, b]
    people = {
        "zhang": cadre(make, a, name="张三", phone="13800000001", position="所长"),
        "li": cadre(make, a, name="李四", phone="13800000002"),
        "wang": cadre(make, a, name="王五", phone="13800000003", position="调解员"),
    }
    db.session.flush()
    people["passed"] = attempt(exam, people["zhang"], 95, items=[(questions[0], True)])
    attempt(exam, people["li"], 50, items=[(questions[0], True)])
    for i in range(10):
        attempt(exam, cadre(make, b, name=f"执法{i}"), 60 + i, items=[(questions[0], True), (questions[1], i >= 5)])
    return exam, people, questions


def test_anonymous_is_sent_to_login(client):
    for path in ("/admin/exam-results/", "/admin/certificates/"):
        r = client.get(path)
        assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"]


def test_index_lists_exams_with_their_figures(panel, make, closed_exam):
    exam, _, _ = closed_exam
    login(panel, make, "reviewer")
    page = panel.get("/admin/exam-results/").get_data(as_text=True)
    row = re.search(rf'<tr data-exam-id="{exam.id}">(.*?)</tr>', page, re.S).group(1)
    assert "2025年度学法考试" in row and "年度学法考试" in row and "已结束" in row
    assert f'href="/admin/exam-results/{exam.id}/"' in row
    # 13 assigned, 12 submitted, 11 passed: 84.6%.
    cells = re.findall(r'<td class="text-right">([^<]*)</td>', row)
    assert cells == ["13", "12", "11", "84.6%"]


def test_detail_page_shows_units_bands_not_sat_and_questions(panel, make, closed_exam):
    exam, people, questions = closed_exam
    login(panel, make, "editor")
    r = panel.get(f"/admin/exam-results/{exam.id}/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    units = page.split('id="unit-table"')[1].split("</table>")[0]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", tr) for tr in re.findall(r"<tr.*?</tr>", units, re.S)[1:]]
    # unit, assigned, started, submitted, passed, pass rate, average, 优秀, 良好, 合格, 不合格
    assert rows[0] == ["司法所", "3", "2", "2", "1", "33.3%", "72.5", "1", "0", "0", "1"]
    assert rows[1] == ["执法大队", "10", "10", "10", "10", "100.0%", "64.5", "0", "0", "10", "0"]
    assert rows[2] == ["合计", "13", "12", "12", "11", "84.6%", "65.8", "1", "0", "10", "1"]
    not_sat = page.split('id="not-sat"')[1].split("</table>")[0]
    assert "王五" in not_sat and "13800000003" in not_sat and "调解员" in not_sat and "未参加" in not_sat
    assert "张三" not in not_sat and "李四" not in not_sat
    stats = page.split('id="question-stats"')[1].split("</table>")[0]
    easy = re.search(rf'<tr class="([^"]*)" data-question-id="{questions[0].id}">(.*?)</tr>', stats, re.S)
    assert "bad-question" in easy.group(1) and "过易" in easy.group(2) and "100.0%" in easy.group(2)
    fine = re.search(rf'<tr class="([^"]*)" data-question-id="{questions[1].id}">(.*?)</tr>', stats, re.S)
    assert fine.group(1) == "" and "50.0%" in fine.group(2) and "1.00" in fine.group(2)
    assert "试题分析（共 2 题，标黄 1 题）" in page
    assert f'href="/admin/exam-results/{exam.id}/export.xlsx"' in page
    # Only admins are offered the make-up button.
    assert 'id="makeup-form"' not in page


def test_unknown_exam_is_404(panel, make):
    login(panel, make, "reviewer")
    assert panel.get("/admin/exam-results/999999/").status_code == 404


def test_xlsx_downloads(panel, make, closed_exam):
    exam, _, _ = closed_exam
    login(panel, make, "reviewer")
    r = panel.get(f"/admin/exam-results/{exam.id}/export.xlsx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2025年度学法考试成绩.xlsx" in unquote(r.headers["Content-Disposition"])
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["汇总", "成绩名单", "试题分析"]
    assert list(wb["汇总"].iter_rows(values_only=True))[-1][:6] == ("合计", 13, 12, 12, 11, 84.6)
    names = {row[0]: row for row in wb["成绩名单"].iter_rows(min_row=2, values_only=True)}
    assert names["王五"][7] == "未参加" and names["张三"][6] == "优秀"


def test_reviewer_and_editor_cannot_create_a_makeup(panel, make, closed_exam):
    exam, _, _ = closed_exam
    for role in ("reviewer", "editor"):
        client = panel.application.test_client()
        login(client, make, role)
        assert client.post(f"/admin/exam-results/{exam.id}/makeup").status_code == 403
    assert db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id)) is None


def test_admin_creates_a_makeup_with_the_pages_csrf_token(app, make, closed_exam):
    """CSRF on, as in production: the button's form carries the token."""
    exam, people, _ = closed_exam
    client = app.test_client()
    login_page = client.get("/admin/auth/login").get_data(as_text=True)
    boss = make.admin("admin")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    r = client.post("/admin/auth/login", data={"username": boss.username, "password": "correct-horse", "csrf_token": token})
    assert r.status_code == 302
    page = client.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    form = page.split('id="makeup-form"')[1].split("</form>")[0]
    # 13 assigned, 11 passed: 李四 failed, 王五 never sat it.
    assert 'data-confirm="为未参加和不合格的 2 人生成补考（7 天内有效）？"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    # Without the token the request is refused.
    assert client.post(f"/admin/exam-results/{exam.id}/makeup").status_code == 400

    r = client.post(f"/admin/exam-results/{exam.id}/makeup", data={"csrf_token": token})
    assert r.status_code == 302
    makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id))
    assert makeup.kind == "makeup" and makeup.title == "2025年度学法考试（补考）"
    assert r.headers["Location"].endswith(f"/admin/exams/edit/?id={makeup.id}")
    assert {c.name for c in makeup.cadres} == {"李四", "王五"}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "exam", AuditLog.action == "create"))
    assert entry.admin_id == boss.id and entry.entity_id == str(makeup.id) and "补考" in entry.summary
    with client.session_transaction() as session:
        flashes = [message for _, message in session.get("_flashes", [])]
    assert any("已生成补考" in m and "2 人" in m for m in flashes)
    # The original exam's page now links to its make-up.
    page = client.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    assert f'href="/admin/exam-results/{makeup.id}/"' in page.split('id="makeups"')[1]


def test_makeup_refused_with_a_message_when_the_exam_is_open(panel, make, closed_exam):
    exam, _, _ = closed_exam
    exam.closes_at = utcnow() + timedelta(days=1)
    db.session.flush()
    login(panel, make, "admin")
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    assert "考试结束后才能生成补考" in page
    r = panel.post(f"/admin/exam-results/{exam.id}/makeup", follow_redirects=True)
    assert r.status_code == 200 and "考试尚未结束" in r.get_data(as_text=True)
    assert db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id)) is None


def test_certificate_check_finds_a_real_serial_and_rejects_a_made_up_one(panel, make, closed_exam):
    exam, people, _ = closed_exam
    cert = certificates.issue(people["passed"])
    login(panel, make, "reviewer")
    assert "证书编号" in panel.get("/admin/certificates/").get_data(as_text=True)

    # Typed in lower case with spaces around it: still found.
    page = panel.get("/admin/certificates/", query_string={"serial": f"  {cert.serial.lower()} "}).get_data(as_text=True)
    assert "证书真实有效" in page
    details = page.split('id="certificate-details"')[1].split("</table>")[0]
    for text in (cert.serial, "张三", "司法所", "2025年度学法考试", "95 分", "满分 100 分"):
        assert text in details

    for fake in ("PF2025-0001-000001-ZZZZZZ", "x" * 500, "PF\x00"):
        page = panel.get("/admin/certificates/", query_string={"serial": fake}).get_data(as_text=True)
        assert "未找到该证书编号" in page and "证书真实有效" not in page


def test_detail_page_flags_suspicious_attempts_for_review_only(panel, make, closed_exam):
    exam, people, questions = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)  # 司法所
    # Two cadres with the same answers, three of them the same wrong ones; 王五 answering
    # every 1.5 s.
    alike = [(q, list(q.answer)) for q in questions[:7]] + [(q, ["A"]) for q in questions[7:]]
    copier = sat(exam, cadre(make, unit, name="<b>赵六</b>"), alike)
    source = sat(exam, cadre(make, unit, name="钱七"), alike)
    fast = sat(exam, people["wang"], [(q, list(q.answer)) for q in questions], gaps=1.5)
    login(panel, make, "reviewer")
    page = panel.get(f"/admin/exam-results/{exam.id}/flags/").get_data(as_text=True)

    assert "疑点仅供人工复核，系统不会据此自动处理" in page and "疑点（3 次作答）" in page
    flagged = page.split('id="flagged"')[1].split("</table>")[0]
    rows = dict(re.findall(r'<tr data-attempt-id="(\d+)">(.*?)</tr>', flagged, re.S))
    assert set(rows) == {str(copier.id), str(source.id), str(fast.id)}
    assert "答题过快：每题用时中位数 1.5 秒（低于 3 秒）" in rows[str(fast.id)] and "王五" in rows[str(fast.id)]
    assert "答案与 钱七（司法所）第1次作答高度一致：共同作答 10 题中 10 题相同，其中 3 道错题答案相同" in rows[str(copier.id)]
    # Names are text, never markup.
    assert "答案与 &lt;b&gt;赵六&lt;/b&gt;（司法所）第1次作答高度一致" in rows[str(source.id)]
    assert "<b>赵六</b>" not in page
    # Nothing else changes: 王五 keeps his full marks and counts as passed, as do 赵六 and
    # 钱七 (70 each); only 李四 failed.
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    units = page.split('id="unit-table"')[1].split("</table>")[0]
    assert re.findall(r"<td[^>]*>([^<]*)</td>", re.findall(r"<tr.*?</tr>", units, re.S)[1])[:5] == ["司法所", "5", "5", "5", "4"]

    names = {row[0]: row for row in load_workbook(io.BytesIO(panel.get(f"/admin/exam-results/{exam.id}/export.xlsx").data))
             ["成绩名单"].iter_rows(min_row=2, values_only=True)}
    assert names["王五"][4:8] == (100, "是", "优秀", "已交卷") and names["王五"][9] == "答题过快：每题用时中位数 1.5 秒（低于 3 秒）"
    assert names["钱七"][9] == "答案与 <b>赵六</b>（司法所）第1次作答高度一致：共同作答 10 题中 10 题相同，其中 3 道错题答案相同"
    assert names["张三"][9] is None


def test_detail_page_says_when_nothing_is_flagged(panel, make, closed_exam):
    exam, _, _ = closed_exam
    login(panel, make, "reviewer")
    page = panel.get(f"/admin/exam-results/{exam.id}/flags/").get_data(as_text=True)
    assert "没有需要复核的作答" in page and 'id="flagged"' not in page and "疑点（0 次作答）" in page
    wb = load_workbook(io.BytesIO(panel.get(f"/admin/exam-results/{exam.id}/export.xlsx").data))
    assert [c.value for c in wb["成绩名单"][1]][-1] == "疑点"
    assert all(row[9] is None for row in wb["成绩名单"].iter_rows(min_row=2, values_only=True))


def test_the_flags_page_costs_the_same_with_many_flagged_attempts(panel, make, closed_exam, count_queries):
    exam, people, questions = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)
    login(panel, make, "reviewer")
    alike = [(q, list(q.answer)) for q in questions[:6]] + [(q, ["C"]) for q in questions[6:]]
    counts = []
    for size in (2, 30):
        for i in range(size):
            sat(exam, cadre(make, unit), alike, gaps=1 + i % 4)
        db.session.commit()
        with count_queries() as sql:
            page = panel.get(f"/admin/exam-results/{exam.id}/flags/").get_data(as_text=True)
        counts.append(len(sql))
        assert page.count("<tr data-attempt-id=") >= size
    assert counts[0] == counts[1], counts


# -- a district's exam: thousands of people, a page at a time ---------------------------


def test_the_not_sat_list_comes_a_page_at_a_time_and_the_figures_stay_whole(panel, make, closed_exam):
    exam, people, _ = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)  # 司法所
    for i in range(55):
        cadre(make, unit, name=f"缺考{i:02d}")
    login(panel, make, "reviewer")

    def shown(**query):
        page = panel.get(f"/admin/exam-results/{exam.id}/", query_string=query).get_data(as_text=True)
        table = page.split('id="not-sat"')[1].split("</table>")[0]
        return page, re.findall(r"<tr><td>([^<]*)</td>", table)

    first, on_first = shown()
    assert len(on_first) == 50 and "尚未参考（56 人）" in first and "第 1–50 人，共 56 人" in first
    # The summaries count everyone: 68 assigned, 12 submitted, 11 passed.
    total = re.findall(r"<td[^>]*>([^<]*)</td>", first.split('id="total-row"')[1].split("</tr>")[0])
    assert total[:6] == ["合计", "68", "12", "12", "11", "16.2%"]
    assert f'href="/admin/exam-results/{exam.id}/?page=2#not-sat-list"' in first
    # The question analysis' page is kept when paging the list.
    _, on_second = shown(page=2, qpage=1)
    assert len(on_second) == 6
    assert sorted(on_first + on_second) == sorted(["王五", *(f"缺考{i:02d}" for i in range(55))])
    assert shown(page=99)[1] == on_second and shown(page="x")[1] == on_first
    # Other query arguments are not carried into the links.
    assert shown(page=2, endpoint="x", _scheme="ftp")[1] == on_second
    assert f'href="/admin/exam-results/{exam.id}/?qpage=1&amp;page=1#not-sat-list"' in shown(page=2, qpage=1)[0]

    # The spreadsheet lists everyone.
    book = load_workbook(io.BytesIO(panel.get(f"/admin/exam-results/{exam.id}/export.xlsx").data))
    missed = [row[0] for row in book["成绩名单"].iter_rows(min_row=2, values_only=True) if row[7] == "未参加"]
    assert len(missed) == 56


def test_the_not_sat_list_says_who_is_still_answering(panel, make, closed_exam):
    exam, people, _ = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)
    attempt(exam, cadre(make, unit, name="孙八"), status="in_progress")
    login(panel, make, "reviewer")
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    rows = re.findall(r"<tr><td>([^<]*)</td>.*?<td>([^<]*)</td></tr>", page.split('id="not-sat"')[1].split("</table>")[0], re.S)
    assert rows == [("王五", "未参加"), ("孙八", "作答中")] and "尚未参考（2 人）" in page


def test_a_district_exams_page_sums_up_town_by_town(panel, make):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    office = make.org_unit(kind="department", name="东湖司法所", town=east)
    west_office = make.org_unit(kind="department", name="西岭司法所", town=west)
    exam = make.exam(title="全区年度学法考试", assign_all=False, excellent_percent=90, good_percent=80)
    exam.units = [office, west_office]
    db.session.flush()
    attempt(exam, cadre(make, office), 95)
    attempt(exam, cadre(make, office), 50)
    attempt(exam, cadre(make, office), status="in_progress")
    attempt(exam, cadre(make, west_office), 61)
    login(panel, make, "reviewer")
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    # town, assigned, started, submitted, passed, pass rate, average; then the exam's total
    assert _table_rows(page, "town-table") == [["东湖镇", "3", "3", "2", "1", "33.3%", "72.5"],
                                               ["西岭镇", "1", "1", "1", "1", "100.0%", "61.0"],
                                               ["合计", "4", "4", "3", "2", "50.0%", "68.7"]]
    # A district's hundreds of units wait for a town to be picked (its name is the link).
    assert 'id="unit-table"' not in page and 'id="unit-table-hint"' in page
    link = re.search(r'href="([^"]*town=%d[^"]*)"' % west.id, page).group(1).replace("&amp;", "&")
    west_page = panel.get(link).get_data(as_text=True)
    assert _table_rows(west_page, "unit-table") == [["西岭司法所", "1", "1", "1", "1", "100.0%", "61.0", "0", "0", "1", "0"],
                                                    ["西岭镇合计", "1", "1", "1", "1", "100.0%", "61.0", "0", "0", "1", "0"]]
    assert "西岭镇各单位成绩" in west_page


def _table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells' text of a table's rows, links' text included."""
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S)]


def test_the_results_page_costs_the_same_with_many_more_attempts(panel, make, closed_exam, count_queries):
    """A district's annual exam has thousands of attempts: the page's statements stay
    the same, and none reads the whole roster or every question into Python."""
    exam, people, questions = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)
    login(panel, make, "reviewer")
    counts = []
    for size in (3, 60):
        for i in range(size):
            who = cadre(make, unit)
            if i % 3:
                attempt(exam, who, 40 + i % 60, items=[(q, (i + j) % 4 != 0) for j, q in enumerate(questions)])
        db.session.commit()
        with count_queries() as sql:
            r = panel.get(f"/admin/exam-results/{exam.id}/", query_string={"page": 2, "qpage": 1})
        assert r.status_code == 200
        counts.append(len(sql))
    assert counts[0] == counts[1], counts


def test_the_results_page_reads_no_whole_roster(panel, make, closed_exam, monkeypatch):
    """The whole roster and every question's figures are the spreadsheet's: the page
    has its summaries counted in SQL and its lists paged there."""
    exam, _, _ = closed_exam

    def whole(*args, **kwargs):
        raise AssertionError("the results page read the whole list")

    monkeypatch.setattr("quiz_bank.exams.results.cadre_results", whole)
    monkeypatch.setattr("quiz_bank.exams.results.question_stats", whole)
    login(panel, make, "reviewer")
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    assert "尚未参考（1 人）" in page and "试题分析（共 2 题，标黄 1 题）" in page


def test_the_results_page_leaves_the_flags_to_their_own_page(panel, make, closed_exam, monkeypatch):
    """Judging the 疑点 compares every attempt with all the others: the results page links
    to them instead, and opens without them."""
    exam, _, _ = closed_exam

    def judged(*args, **kwargs):
        raise AssertionError("the results page judged the attempts")

    monkeypatch.setattr("quiz_bank.exams.suspicion.judge", judged)
    login(panel, make, "reviewer")
    r = panel.get(f"/admin/exam-results/{exam.id}/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert f'id="flags-link" href="/admin/exam-results/{exam.id}/flags/"' in page and 'id="flagged"' not in page
    assert "疑点仅供人工复核" in page


def test_the_flags_come_a_page_at_a_time_every_one_counted(panel, make, closed_exam, monkeypatch):
    exam, people, questions = closed_exam
    unit = db.session.get(OrgUnit, people["zhang"].org_unit_id)
    alike = [(q, list(q.answer)) for q in questions[:7]] + [(q, ["A"]) for q in questions[7:]]
    copier = sat(exam, cadre(make, unit, name="赵六"), alike)
    source = sat(exam, cadre(make, unit, name="钱七"), alike)
    fast = sat(exam, people["wang"], [(q, list(q.answer)) for q in questions], gaps=1.5)
    monkeypatch.setattr("admin.exam_results.PEOPLE_PER_PAGE", 2)
    login(panel, make, "reviewer")

    def shown(**query):
        page = panel.get(f"/admin/exam-results/{exam.id}/flags/", query_string=query).get_data(as_text=True)
        return page, re.findall(r'<tr data-attempt-id="(\d+)">', page.split('id="flagged"')[1].split("</table>")[0])

    first, on_first = shown()
    second, on_second = shown(page=2)
    assert len(on_first) == 2 and len(on_second) == 1
    assert "疑点（3 次作答）" in first and "疑点（3 次作答）" in second and "第 3–3 次作答，共 3 次" in second
    assert sorted(on_first + on_second) == sorted(str(a.id) for a in (copier, source, fast))
    assert f'href="/admin/exam-results/{exam.id}/flags/?page=2"' in first
    # A pair split across pages still names the other attempt on each row.
    assert "答案与 钱七（司法所）第1次作答高度一致" in first + second and "答案与 赵六（司法所）第1次作答高度一致" in first + second


def test_a_towns_staff_do_not_open_another_towns_or_the_districts_flags(panel, make, closed_exam):
    exam, _, _ = closed_exam  # the default town's
    other = make.town(name="西岭镇")
    district = make.exam(title="全区年度学法考试", assign_all=True)
    own = panel.application.test_client()
    login(own, make, "reviewer", town_id=exam.units[0].town_id)
    assert own.get(f"/admin/exam-results/{exam.id}/flags/").status_code == 200
    login(panel, make, "reviewer", town_id=other.id)
    assert panel.get(f"/admin/exam-results/{exam.id}/flags/").status_code == 404
    # A district exam is district staff's (accounts.tenancy): not a town's, even for its own cadres.
    assert panel.get(f"/admin/exam-results/{district.id}/flags/").status_code == 404
    assert panel.get("/admin/exam-results/999999/flags/").status_code == 404

