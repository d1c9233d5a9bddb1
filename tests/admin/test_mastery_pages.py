"""居民 → 掌握程度 through the test client: each village's 知晓度 of each law with its level,
the suggestion for the next event, the period picker's messages, the workbook, and a page
that costs the same however many people and cards the town holds."""
import io
import json
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from core.extensions import db
from core.timeutil import local_today, utcnow
from learning.models import ReviewCard
from quiz_bank.models import Quiz, QuizItem
from quiz_bank import quizzes
from tests.admin.conftest import login

MARCH = "from=2025-03-01&to=2025-03-31"
# The end of MARCH, 2025-04-01 00:00 in Beijing, as stored (UTC): retrievability is taken here.
END = datetime(2025, 3, 31, 16)


def card(user, question, days_before_end: float, stability: float = 10.0, last_review=None) -> None:
    """A card whose recall at END is FSRS's curve after `days_before_end` whole days: 90 %
    when that equals the stability, 100 % the same day."""
    db.session.add(ReviewCard(user_id=user.id, question_id=question.id, category_id=question.category_id, state=2, step=None,
                              stability=stability, difficulty=5.0, due=END + timedelta(days=30),
                              last_review=last_review or END - timedelta(days=days_before_end)))


def grow(make, n: int, law, new_unit) -> None:
    """`n` more questions of `law` and `n` more units (each `new_unit()`), each unit with one
    person who learned every new question: more of what a page must not cost more for."""
    extra = make.questions(n, law)
    for _ in range(n):
        unit = new_unit()
        for q in extra:
            card(make.user(org_unit_id=unit.id), q, 3)
    db.session.flush()


def town(make):
    """东湖村 (2 people) and 西山村 (3), 民法典 and 禁毒法 with two questions each, and a
    person who gave no village.

    东湖村: 民法典 — both learned, 3 of 4 cards at 90 % → 90 × 75 % × 100 % = 67.5 %, 掌握;
            禁毒法 — one learned 1 of 2, at 100 % → 100 × 50 % × 50 % = 25.0 %, 熟悉.
    西山村: 民法典 — nobody, 未学; 禁毒法 — one learned both, at 90 % → 90 × 100 % × 1/3 = 30.0 %, 掌握.
    未填写: 民法典 — 1 of 2 at 90 % → 45.0 %, 熟悉."""
    east, west = make.org_unit(name="东湖村"), make.org_unit(name="西山村")
    civil, drugs = make.category(name="民法典", sort_order=1), make.category(name="禁毒法", sort_order=2)
    a1, a2 = make.questions(2, civil)
    b1, b2 = make.questions(2, drugs)
    p1, p2 = make.user(org_unit_id=east.id), make.user(org_unit_id=east.id)
    q1 = make.user(org_unit_id=west.id)
    make.user(org_unit_id=west.id), make.user(org_unit_id=west.id)
    nobody = make.user()
    card(p1, a1, 10), card(p1, a2, 10), card(p2, a1, 10)
    card(p1, b1, 0.5, stability=3)
    card(p2, b2, 0, last_review=END + timedelta(days=1))  # after the period: not counted
    card(q1, b1, 10), card(q1, b2, 10)
    card(nobody, a1, 10)
    db.session.flush()
    return {"east": east, "west": west, "civil": civil, "drugs": drugs}


def _row(page: str, unit: str) -> str:
    match = re.search(rf"<tr data-unit-id=\"\d*\"><th scope=\"row\">{unit}</th>(.*?)</tr>", page, re.S)
    assert match, f"no row for {unit}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_each_village_shows_its_share_known_and_level_and_the_weakest_village_is_suggested(panel, make):
    login(panel, make.admin("reviewer"))
    town(make)
    r = panel.get(f"/admin/mastery/?{MARCH}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2025年03月01日至2025年03月31日" in page
    # 注册人数, 《民法典》, 《禁毒法》, mean, the laws most in need.
    assert _row(page, "东湖村") == "2 67.5% 掌握 25.0% 熟悉 46.3% 《禁毒法》《民法典》"
    assert _row(page, "西山村") == "3 0.0% 未学 30.0% 掌握 15.0% 《民法典》《禁毒法》"
    assert _row(page, "未填写") == "1 45.0% 熟悉 0.0% 未学 22.5% 《禁毒法》《民法典》"
    assert "下一场活动建议：西山村 宣讲《民法典》；东湖村 宣讲《禁毒法》。" in page
    # The measures in words, and the detail: retrievability, share met, learners / people.
    assert "记忆保持率" in page and "已学题目比例" in page and "参与人数比例" in page
    detail = page[page.index('id="mastery-detail"'):]
    assert re.search(r"<td>东湖村</td><td>《禁毒法》</td><td>熟悉</td><td[^>]*>25\.0%</td>\s*<td[^>]*>100\.0%</td>"
                     r"<td[^>]*>50\.0%</td>\s*<td[^>]*>50\.0%</td><td[^>]*>1 / 2</td>", detail)
    # The heat map's numbers for the static script; no inline script.
    assert "/admin/panel-static/mastery-heatmap.js" in page
    chart = json.loads(re.search(r'<script type="application/json" id="mastery-data">(.*?)</script>', page, re.S).group(1))
    assert chart["laws"] == ["民法典", "禁毒法"] and chart["units"] == ["东湖村", "西山村", "未填写"]
    assert [0, 0, 67.5, 90.0, 75.0, 2, 2, "掌握"] in chart["cells"] and [0, 1, 0.0, None, 0.0, 0, 3, "未学"] in chart["cells"]


def test_this_years_answers_count_by_default(panel, make):
    login(panel, make.admin("editor"))
    village = make.org_unit(name="南岭村")
    law = make.category(name="长江保护法")
    question = make.question(law)
    person = make.user(org_unit_id=village.id)
    quiz = Quiz(user_id=person.id, mode="practice", category_id=law.id, question_count=1, started_at=utcnow())
    quiz.items.append(QuizItem(question_id=question.id, position=0))
    db.session.add(quiz)
    db.session.flush()
    quizzes.answer(person.id, quiz.id, question.id, question.answer, now=utcnow() - timedelta(minutes=5))

    page = panel.get("/admin/mastery/").get_data(as_text=True)
    year = local_today().year
    assert f"<h5 id=\"mastery-title\">{year}年（北京时间）</h5>" in page
    # Answered right minutes ago: remembered, the one question met, by the one resident.
    assert _row(page, "南岭村") == "1 100.0% 掌握 100.0% 《长江保护法》"
    # Last year holds nothing: no suggestion to make.
    before = panel.get(f"/admin/mastery/?year={year - 2}").get_data(as_text=True)
    assert "这一期间还没有人在小程序上学法，暂无建议。" in before and _row(before, "南岭村") == "1 0.0% 未学 0.0% 《长江保护法》"


def test_a_bad_period_says_what_is_wrong(panel, make):
    login(panel, make.admin("admin"))
    for query, message in (
        ("from=2025-03-31&to=2025-03-01", "结束日期不能早于开始日期。"),
        ("from=2025-03-01", "请同时填写开始日期和结束日期。"),
        ("from=2025-02-30&to=2025-03-01", "开始日期“2025-02-30”不是有效的日期"),
        ("from=0001-01-01&to=0001-01-02", "开始日期须在 2000 年至 2100 年之间。"),
        ("from=2010-01-01&to=2025-12-31", "时间段最长 5 年"),
        ("year=abc", "年份须为 2000 至 2100 之间的整数"),
        ("year=99999", "年份须为 2000 至 2100 之间的整数"),
        ("year=%C2%B2", "年份须为 2000 至 2100 之间的整数"),  # "²" is a digit to str.isdigit, not to int()
    ):
        for path in ("/admin/mastery/", "/admin/mastery/export.xlsx"):
            r = panel.get(f"{path}?{query}")
            assert r.status_code == 400 and message in r.get_data(as_text=True), (path, query)
    assert panel.get("/admin/mastery/?from=2021-01-01&to=2025-12-31").status_code == 200


def test_the_workbook_holds_the_table_and_no_formula(panel, make):
    login(panel, make.admin("reviewer"))
    places = town(make)
    places["west"].name = "=HYPERLINK(\"http://x\")村"
    db.session.flush()
    r = panel.get(f"/admin/mastery/export.xlsx?{MARCH}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.get_data()))
    rows = list(book["各村知晓度"].iter_rows(values_only=True))
    assert rows[0] == ("村（社区）", "注册人数", "《民法典》知晓度（%）", "《禁毒法》知晓度（%）", "平均知晓度（%）", "最需要普法的法律")
    # Villages by name: the renamed one ("=" sorts first) stays text.
    assert rows[1] == ("'=HYPERLINK(\"http://x\")村", 3, 0.0, 30.0, 15.0, "《民法典》、《禁毒法》")
    assert rows[2] == ("东湖村", 2, 67.5, 25.0, 46.3, "《禁毒法》、《民法典》")
    assert rows[3][0] == "未填写"
    assert ("下一场活动建议：=HYPERLINK(\"http://x\")村 宣讲《民法典》；东湖村 宣讲《禁毒法》",) in [row[:1] for row in rows]
    detail = list(book["明细"].iter_rows(values_only=True))
    assert ("东湖村", "禁毒法", "熟悉", 25.0, 100.0, 50.0, 50.0, 1, 2) in detail
    assert ("'=HYPERLINK(\"http://x\")村", "民法典", "未学", 0.0, None, 0.0, 0.0, 0, 3) in detail


def test_the_page_costs_the_same_however_many_people_and_cards(panel, make, count_queries):
    login(panel, make.admin("admin"))
    places = town(make)
    panel.get(f"/admin/mastery/?{MARCH}")  # the signed-in account is loaded once, as in any session
    counts = []
    for n in (1, 8):
        grow(make, n, places["drugs"], make.org_unit)
        with count_queries() as sql:
            page = panel.get(f"/admin/mastery/?{MARCH}").get_data(as_text=True)
        counts.append(len(sql))
    assert counts[0] == counts[1]
    assert page.count('<tr data-unit-id="') == 3 + 1 + 8


def district(make) -> dict:
    """甲镇 (甲一村, 2 people) and 乙镇 (乙村, 2 people), 民法典 with two questions.

    甲镇: one learned both at 90 % → 90 × 100 % × 50 % = 45.0 %, 掌握.
    乙镇: one learned one at 90 % → 90 × 50 % × 50 % = 22.5 %, 熟悉: the town to visit first."""
    jia, yi = make.town(name="甲镇"), make.town(name="乙镇")
    jia1, yi1 = make.org_unit(name="甲一村", town=jia), make.org_unit(name="乙村", town=yi)
    civil = make.category(name="民法典", sort_order=1)
    a1, a2 = make.questions(2, civil)
    p1, q1 = make.user(org_unit_id=jia1.id), make.user(org_unit_id=yi1.id)
    make.user(org_unit_id=jia1.id), make.user(org_unit_id=yi1.id)
    card(p1, a1, 10), card(p1, a2, 10), card(q1, a1, 10)
    db.session.flush()
    return {"jia": jia, "yi": yi}


def _town_row(page: str, town) -> tuple[str, str]:
    """The town's row: its link, and its cells as text."""
    match = re.search(rf"<tr data-unit-id=\"{town.id}\"><th scope=\"row\"><a href=\"([^\"]+)\">{town.name}</a></th>(.*?)</tr>",
                      page, re.S)
    assert match, f"no row for {town.name}"
    return match.group(1).replace("&amp;", "&"), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def test_district_staff_see_the_towns_each_linking_to_its_villages(panel, make):
    places = district(make)
    login(panel, make.admin("reviewer"))
    page = panel.get(f"/admin/mastery/?{MARCH}").get_data(as_text=True)
    assert "<h4>各镇法律掌握程度" in page and "<th>镇</th>" in page
    link, cells = _town_row(page, places["jia"])
    assert cells == "2 45.0% 掌握 45.0% 《民法典》"
    assert _town_row(page, places["yi"])[1] == "2 22.5% 熟悉 22.5% 《民法典》"
    assert "甲一村" not in page and "乙村" not in page
    assert "下一场活动建议：乙镇 宣讲《民法典》；甲镇 宣讲《民法典》。" in page
    chart = json.loads(re.search(r'<script type="application/json" id="mastery-data">(.*?)</script>', page, re.S).group(1))
    assert sorted(chart["units"]) == ["乙镇", "甲镇"]
    # The link keeps the period and opens the town's villages.
    assert link == f"/admin/mastery/?from=2025-03-01&to=2025-03-31&town={places['jia'].id}"
    villages = panel.get(link).get_data(as_text=True)
    assert _row(villages, "甲一村") == "2 45.0% 掌握 45.0% 《民法典》"
    assert "乙村" not in villages and "<h4>各村（社区）法律掌握程度" in villages and "下一场活动建议：甲一村" in villages


def test_a_district_admin_choosing_a_town_sees_its_villages(panel, make):
    places = district(make)
    login(panel, make.admin("admin"))
    page = panel.get(f"/admin/mastery/?{MARCH}&town={places['yi'].id}").get_data(as_text=True)
    assert _row(page, "乙村") == "2 22.5% 熟悉 22.5% 《民法典》"
    assert "甲一村" not in page and 'data-unit-id="%d"' % places["jia"].id not in page and "<a href=\"/admin/mastery/?" not in page


def test_a_town_s_staff_see_only_their_villages(panel, make):
    places = district(make)
    login(panel, make.admin("reviewer", town_id=places["jia"].id))
    for query in (MARCH, f"{MARCH}&town={places['yi'].id}", f"{MARCH}&town="):
        page = panel.get(f"/admin/mastery/?{query}").get_data(as_text=True)
        assert _row(page, "甲一村") == "2 45.0% 掌握 45.0% 《民法典》", query
        assert "乙村" not in page and "乙镇" not in page and "<th>镇</th>" not in page, query


def test_the_district_s_year_and_workbook_are_the_towns(panel, make):
    """The year comes from the district's snapshot, which holds the towns; the workbook
    follows the page's rows."""
    places = district(make)
    person = make.user(org_unit_id=make.org_unit(name="甲二村", town=places["jia"]).id)
    law = make.category(name="长江保护法", sort_order=2)
    card(person, make.question(law), 0, last_review=utcnow() - timedelta(minutes=5))
    db.session.flush()
    login(panel, make.admin("admin"))
    year = local_today().year
    page = panel.get(f"/admin/mastery/?year={year}").get_data(as_text=True)
    assert "<h4>各镇法律掌握程度" in page and "甲二村" not in page
    assert _town_row(page, places["jia"])[0] == f"/admin/mastery/?year={year}&town={places['jia'].id}"
    chosen = panel.get(f"/admin/mastery/?year={year}&town={places['jia'].id}").get_data(as_text=True)
    assert "甲二村" in chosen and "<h4>各村（社区）法律掌握程度" in chosen

    book = load_workbook(io.BytesIO(panel.get(f"/admin/mastery/export.xlsx?{MARCH}").get_data()))
    rows = list(book["各镇知晓度"].iter_rows(values_only=True))
    assert rows[0] == ("镇", "注册人数", "《民法典》知晓度（%）", "《长江保护法》知晓度（%）", "平均知晓度（%）", "最需要普法的法律")
    assert sorted(rows[1:3]) == [("乙镇", 2, 22.5, 0.0, 11.3, "《长江保护法》、《民法典》"),
                                 ("甲镇", 3, 30.0, 0.0, 15.0, "《长江保护法》、《民法典》")]
    assert ("下一场活动建议：乙镇 宣讲《长江保护法》；甲镇 宣讲《长江保护法》",) in [row[:1] for row in rows]
    assert list(book["明细"].iter_rows(values_only=True))[0][0] == "镇"


def test_the_district_page_costs_the_same_however_many_towns_and_cards(panel, make, count_queries):
    places = district(make)
    login(panel, make.admin("admin"))
    panel.get(f"/admin/mastery/?{MARCH}")
    with count_queries() as chosen:
        panel.get(f"/admin/mastery/?{MARCH}&town={places['jia'].id}")
    counts = []
    for n in (1, 8):
        grow(make, n, make.category(), lambda: make.org_unit(town=make.town()))
        with count_queries() as sql:
            page = panel.get(f"/admin/mastery/?{MARCH}").get_data(as_text=True)
        counts.append(len(sql))
    assert counts[0] == counts[1] <= len(chosen) + 1
    assert page.count('<tr data-unit-id="') == 2 + 1 + 8
