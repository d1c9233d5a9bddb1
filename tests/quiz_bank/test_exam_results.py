"""Exam results: counts per unit, bands, who has not sat it, item analysis, the
spreadsheet, make-up exams, and statement counts that do not grow with the roster."""
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import Boolean, Integer, literal, select

from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams import results
from quiz_bank.exams.assignment import assigned_cadres
from quiz_bank.exams.models import AttemptItem, Exam, ExamAttempt, ExamPaper


def attempt(exam, cadre, score=None, status="submitted", number=1, submitted_at=None, items=()):
    """An attempt row as the attempts module leaves it. `items`: (question, correct) pairs."""
    start = submitted_at - timedelta(minutes=30) if submitted_at else utcnow() - timedelta(hours=1)
    finished = status != "in_progress"
    row = ExamAttempt(
        exam_id=exam.id, user_id=cadre.user_id, cadre_id=cadre.id, number=number, status=status, started_at=start,
        deadline=start + timedelta(minutes=exam.duration_minutes), total_score=exam.total_score, pass_score=exam.pass_score,
        submitted_at=(submitted_at or start + timedelta(minutes=20)) if finished else None,
        score=score if finished else None, passed=(score >= exam.pass_score) if finished else None,
        paper=[[question.id, 10, None] for question, _ in items],
    )
    db.session.add(row)
    db.session.flush()
    for position, (question, correct) in enumerate(items):
        db.session.add(AttemptItem(attempt_id=row.id, question_id=question.id, position=position, points=10,
                                   answer=question.answer if correct else ["Z"], correct=correct if finished else None,
                                   score=(10 if correct else 0) if finished else None))
    db.session.flush()
    return row


def cadre(make, unit, **kw):
    return make.cadre(make.user(), org_unit=unit, **kw)


@pytest.fixture
def town(make):
    """Unit A (4 cadres), unit B (2 active + 1 inactive), one named cadre in unit C, and
    one cadre in C not assigned. The exam: units A and B plus the named cadre; 100 points,
    pass 60, 优秀 from 90, 良好 from 80."""
    a = make.org_unit(kind="department", name="司法所")
    b = make.org_unit(kind="department", name="执法大队")
    c = make.org_unit(kind="department", name="党政办")
    exam = make.exam(assign_all=False, excellent_percent=90, good_percent=80)
    p = {
        "top": cadre(make, a, name="甲优", phone="13900000001", position="所长"),
        "retry": cadre(make, a, name="乙重考", phone="13900000002"),
        "busy": cadre(make, a, name="丙作答", phone="13900000003", position="科员"),
        "absent": cadre(make, a, name="丁缺考", phone="13900000004", position="副所长"),
        "late": cadre(make, b, name="戊超时", phone="13900000005"),
        "fail": cadre(make, b, name="己不合格", phone="13900000006"),
        "gone": cadre(make, b, name="庚离职", phone="13900000007", active=False),
        "named": cadre(make, c, name="辛点名", phone="13900000008"),
        "other": cadre(make, c, name="壬未安排", phone="13900000009"),
    }
    exam.units = [a, b]
    exam.cadres = [p["named"]]
    db.session.flush()
    attempt(exam, p["top"], 95)
    attempt(exam, p["retry"], 50, number=1)
    attempt(exam, p["retry"], 70, number=2)
    attempt(exam, p["busy"], status="in_progress")
    attempt(exam, p["late"], 80, status="expired")
    attempt(exam, p["fail"], 59)
    attempt(exam, p["gone"], 100)
    attempt(exam, p["other"], 100)
    return exam, p, (a, b, c)


def test_counts_per_unit_and_in_total(town):
    exam, p, (a, b, c) = town
    res = results.exam_results(exam)
    units = {u["unit"]: u for u in res["units"]}
    assert list(units) == ["司法所", "执法大队", "党政办"]
    assert units["司法所"] == {
        "unit": "司法所", "unit_id": a.id, "town_id": a.town_id, "assigned": 4, "started": 3, "submitted": 2, "passed": 2,
        "pass_rate": 50.0, "submit_rate": 50.0, "average": 82.5, "bands": {"优秀": 1, "良好": 0, "合格": 1, "不合格": 0},
    }
    # The inactive cadre and the cadre the exam is not assigned to do not count.
    assert units["执法大队"]["assigned"] == 2 and units["执法大队"]["passed"] == 1
    assert units["执法大队"]["bands"] == {"优秀": 0, "良好": 1, "合格": 0, "不合格": 1}
    assert units["执法大队"]["average"] == 69.5
    assert units["党政办"]["assigned"] == 1 and units["党政办"]["started"] == 0 and units["党政办"]["pass_rate"] == 0.0
    assert units["党政办"]["average"] is None
    total = res["total"]
    assert (total["assigned"], total["started"], total["submitted"], total["passed"]) == (7, 5, 4, 3)
    assert total["pass_rate"] == 42.9 and total["average"] == 76.0
    assert total["bands"] == {"优秀": 1, "良好": 1, "合格": 1, "不合格": 1}
    assert res["towns"] == []  # one town: no town-by-town table

    best = {r["name"]: r for r in res["cadres"]}
    assert best["乙重考"]["score"] == 70 and best["乙重考"]["band"] == "合格" and best["乙重考"]["status"] == "已交卷"
    assert best["戊超时"]["status"] == "超时自动交卷" and best["戊超时"]["passed"] is True
    assert best["丙作答"]["status"] == "作答中" and best["丙作答"]["score"] is None and best["丙作答"]["passed"] is None


def test_an_exam_reaching_several_towns_is_summed_up_town_by_town(make):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    office = make.org_unit(kind="department", name="东湖司法所", town=east)
    village = make.org_unit(name="东湖村", town=east)
    west_office = make.org_unit(kind="department", name="西岭司法所", town=west)
    exam = make.exam(assign_all=False, excellent_percent=90, good_percent=80)
    exam.units = [office, village, west_office]
    db.session.flush()
    attempt(exam, cadre(make, office), 95)
    attempt(exam, cadre(make, office), 50)
    cadre(make, office)
    attempt(exam, cadre(make, village), status="in_progress")
    attempt(exam, cadre(make, village), 81)
    attempt(exam, cadre(make, west_office), 60)
    attempt(exam, cadre(make, west_office), 70, status="expired")
    res = results.exam_results(exam)
    assert res["towns"] == [
        {"unit": "东湖镇", "town_id": east.id, "assigned": 5, "started": 4, "submitted": 3, "passed": 2, "pass_rate": 40.0,
         "submit_rate": 60.0, "average": 75.3, "bands": {"优秀": 1, "良好": 1, "合格": 0, "不合格": 1}},
        {"unit": "西岭镇", "town_id": west.id, "assigned": 2, "started": 2, "submitted": 2, "passed": 2, "pass_rate": 100.0,
         "submit_rate": 100.0, "average": 65.0, "bands": {"优秀": 0, "良好": 0, "合格": 2, "不合格": 0}},
    ]
    assert [u["unit"] for u in res["units"]] == ["东湖司法所", "东湖村", "西岭司法所"]
    total = res["total"]
    assert (total["assigned"], total["started"], total["submitted"], total["passed"]) == (7, 6, 5, 4)
    assert (total["pass_rate"], total["average"], total["bands"]) == (57.1, 71.2, {"优秀": 1, "良好": 1, "合格": 2, "不合格": 1})


def test_bands_count_each_attempts_own_total(make):
    """An attempt keeps the total its paper was drawn with: 170 of its 200 is 良好, though
    the exam's rules (100 points now) would make it 优秀."""
    unit = make.org_unit()
    exam = make.exam(assign_all=False, excellent_percent=90, good_percent=80)
    exam.units = [unit]
    row = attempt(exam, cadre(make, unit), 170)
    row.total_score = 200
    db.session.flush()
    res = results.exam_results(exam)
    assert res["total"]["bands"] == {"优秀": 0, "良好": 1, "合格": 0, "不合格": 0}
    assert [r["band"] for r in res["cadres"]] == ["良好"]


def test_not_sat_list(town):
    exam, p, _ = town
    not_sat = results.not_sat(exam)
    assert [(c["name"], c["unit"], c["position"], c["phone"], c["status"]) for c in not_sat] == [
        ("丙作答", "司法所", "科员", "13900000003", "作答中"),
        ("丁缺考", "司法所", "副所长", "13900000004", "未参加"),
        ("辛点名", "党政办", p["named"].position, "13900000008", "未参加"),
    ]
    assert [c["cadre_id"] for c in not_sat] == [p[k].id for k in ("busy", "absent", "named")]
    # A page of them, in the same order; how many there are is the summary's.
    assert results.not_sat(exam, limit=2, offset=1) == not_sat[1:3]
    total = results.exam_summary(exam)["total"]
    assert total["assigned"] - total["submitted"] == len(not_sat)


def test_the_question_analysis_comes_a_page_at_a_time(make):
    category = make.category()
    questions = make.questions(7, category)
    exam = make.exam(rules=[(category, "single", 7, 10)])
    unit = make.org_unit()
    for rank in range(10):
        # Questions 0-2 answered right by everyone (too easy), the rest by the better half.
        attempt(exam, cadre(make, unit), score=(rank + 1) * 10,
                items=[(q, i < 3 or rank >= 5) for i, q in enumerate(questions)])
    whole = results.question_stats(exam)
    assert [q["bad"] for q in whole] == [True] * 3 + [False] * 4
    pages = [results.question_page(exam, page, 3) for page in (1, 2, 3)]
    assert [q for p in pages for q in p["rows"]] == whole
    assert all((p["count"], p["bad_count"]) == (7, 3) for p in pages)
    # Past the end: the last page.
    assert results.question_page(exam, 9, 3) == pages[2]
    assert results.question_page(make.exam(), 1, 3) == {"rows": [], "count": 0, "bad_count": 0}


def test_overview_matches_the_results(town, make):
    exam, _, _ = town
    empty = make.exam(assign_all=False)
    overview = results.exam_overview([exam, empty])
    assert overview[exam.id] == {"assigned": 7, "submitted": 4, "passed": 3, "pass_rate": 42.9}
    assert overview[empty.id] == {"assigned": 0, "submitted": 0, "passed": 0, "pass_rate": None}
    assert results.exam_overview([]) == {}


@pytest.mark.parametrize("score, passed, expected", [
    (100, True, "优秀"), (90, True, "优秀"), (89, True, "良好"), (80, True, "良好"), (79, True, "合格"),
    (60, True, "合格"), (59, False, "不合格"), (0, False, "不合格"),
    # Passing comes first: a high score that did not pass (a raised pass line) is 不合格.
    (95, False, "不合格"), (None, None, None),
])
def test_bands_at_the_boundaries(make, score, passed, expected):
    exam = make.exam(excellent_percent=90, good_percent=80)  # 5 x 20 = 100 points
    assert _band(exam, score, passed) == expected


def _band(exam, score, passed, total=None):
    """results.band of one result, as the database judges it."""
    values = (literal(score, Integer), literal(passed, Boolean), literal(exam.total_score if total is None else total, Integer))
    return db.session.scalar(select(results.band(exam, *values)))


def test_bands_are_shares_of_the_total(make):
    category = make.category()
    make.questions(10, category)
    exam = make.exam(rules=[(category, "single", 10, 15)], excellent_percent=90, good_percent=80, pass_score=90)
    assert exam.total_score == 150
    assert [_band(exam, s, True) for s in (135, 134, 120, 119)] == ["优秀", "良好", "良好", "合格"]
    # The paper's own total when given (an attempt keeps the total it was drawn with).
    assert _band(exam, 90, True, total=100) == "优秀"


def test_percentages_round_half_up():
    assert results._percent(1, 16) == 6.3 and results._percent(2, 3) == 66.7 and results._percent(0, 5) == 0.0
    assert results._percent(1, 0) is None
    assert results._mean(3, 2) == 1.5 and results._mean(4, 3) == 1.3 and results._mean(0, 0) is None


def test_question_statistics_on_a_constructed_set(make):
    category = make.category(name="长江保护法（统计）")
    q_easy, q_good, q_reversed, q_rare, q_hard = make.questions(5, category)
    exam = make.exam(rules=[(category, "single", 4, 10)])
    unit = make.org_unit()
    # Ten finished attempts, scored 10, 20, ... 100. Groups: the bottom and top 3 (27% of 10).
    for rank in range(10):
        items = [
            (q_easy, True),            # everyone: facility 1.0, discrimination 0
            (q_good, rank >= 5),       # the better half: facility 0.5, discrimination 1.0
            (q_reversed, rank < 2),    # the two worst only: facility 0.2, discrimination -2/3
            (q_hard, rank == 9),       # the best only: facility 0.1, discrimination 1/3
        ] + ([(q_rare, False)] if rank % 2 else [])  # five attempts only: too few to judge
        attempt(exam, cadre(make, unit), score=(rank + 1) * 10, items=items)
    # Neither an attempt in progress nor another exam's attempts count.
    attempt(exam, cadre(make, unit), status="in_progress", items=[(q_easy, False)])
    attempt(make.exam(rules=[(category, "single", 4, 10)]), cadre(make, unit), score=0, items=[(q_easy, False)])

    stats = {s["question_id"]: s for s in results.question_stats(exam)}
    assert set(stats) == {q.id for q in (q_easy, q_good, q_reversed, q_rare, q_hard)}
    easy, good, rev, rare, hard = (stats[q.id] for q in (q_easy, q_good, q_reversed, q_rare, q_hard))
    assert (easy["shown"], easy["right"], easy["facility"], easy["discrimination"]) == (10, 10, 1.0, 0.0)
    assert easy["bad"] and any("过易" in p for p in easy["problems"]) and any("区分度低" in p for p in easy["problems"])
    assert (good["facility"], good["discrimination"], good["bad"], good["problems"]) == (0.5, 1.0, False, [])
    assert (rev["facility"], rev["discrimination"]) == (0.2, -0.667)
    assert rev["bad"] and rev["problems"] == ["区分度为负：成绩差的反而答对更多，请核对答案"]
    assert (hard["facility"], hard["discrimination"]) == (0.1, 0.333)
    assert hard["bad"] and hard["problems"][0].startswith("过难")
    assert (rare["shown"], rare["facility"], rare["discrimination"], rare["enough_data"], rare["bad"]) == (5, 0.0, None, False, False)
    assert good["stem"] == q_good.stem and good["category"] == "长江保护法（统计）" and good["source"] == q_good.source
    assert good["type_label"] == "单选"
    # Bad questions come first.
    order = [s["question_id"] for s in results.question_stats(exam)]
    assert order == sorted([q_easy.id, q_reversed.id, q_hard.id]) + sorted([q_good.id, q_rare.id])


def test_discrimination_groups_follow_each_questions_own_sample(make):
    """With 20 attempts shown a question the groups are 5 each (27% of 20 = 5.4)."""
    category = make.category()
    (q,) = make.questions(1, category)
    exam = make.exam(rules=[(category, "single", 1, 100)])
    unit = make.org_unit()
    for rank in range(20):
        # Right in the top 6: the top group (5) all right, the bottom group none.
        attempt(exam, cadre(make, unit), score=rank * 5, items=[(q, rank >= 14)])
    (s,) = results.question_stats(exam)
    assert (s["shown"], s["facility"], s["discrimination"]) == (20, 0.3, 1.0)


def test_questions_on_the_lines_are_not_flagged(make):
    """A figure on a line (answered right by exactly 20% or 95%, a discrimination of
    exactly 0.2) is not flagged, though 0.6 - 0.4 and 1.0 - 0.8 fall just under 0.2 in
    floating point; just under 20% is."""
    category = make.category()
    q_disc, q_95, q_20, q_15 = make.questions(4, category)
    exam = make.exam(rules=[(category, "single", 4, 25)])
    unit = make.org_unit()
    # Twenty attempts by rising score: groups of 5 (27% of 20), ranks 0-4 and 15-19.
    for rank in range(20):
        attempt(exam, cadre(make, unit), score=rank * 5, items=[
            (q_disc, rank in (0, 1, 15, 16, 17) or 5 <= rank < 10),  # lower 2/5, upper 3/5: 0.6 - 0.4
            (q_95, rank != 0),                                          # lower 4/5, upper 5/5: 1.0 - 0.8
            (q_20, rank >= 16),                                         # 4 of 20, all in the upper group
            (q_15, rank >= 17),                                         # 3 of 20
        ])
    stats = {s["question_id"]: s for s in results.question_stats(exam)}
    assert (stats[q_disc.id]["discrimination"], stats[q_disc.id]["bad"]) == (0.2, False)
    assert (stats[q_95.id]["facility"], stats[q_95.id]["discrimination"], stats[q_95.id]["bad"]) == (0.95, 0.2, False)
    assert (stats[q_20.id]["facility"], stats[q_20.id]["bad"]) == (0.2, False)
    assert stats[q_15.id]["facility"] == 0.15 and stats[q_15.id]["problems"] == ["过难：答对率低于20%，请核对答案是否有误"]


def test_export_workbook(town, make):
    exam, p, _ = town
    # A submission at 02:00 UTC is 10:00 in Asia/Shanghai.
    row = db.session.scalar(select(ExamAttempt).where(ExamAttempt.cadre_id == p["top"].id))
    row.submitted_at = datetime(2025, 6, 26, 2, 0)
    db.session.flush()
    wb = load_workbook(io.BytesIO(results.export_xlsx(exam)))
    assert wb.sheetnames == ["汇总", "成绩名单", "试题分析"]

    summary = wb["汇总"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0] == ("单位", "应考人数", "已参加", "已交卷", "合格人数", "合格率（%）", "平均分", "优秀", "良好", "合格", "不合格")
    assert rows[1] == ("司法所", 4, 3, 2, 2, 50, 82.5, 1, 0, 1, 0)
    assert rows[-1] == ("合计", 7, 5, 4, 3, 42.9, 76, 1, 1, 1, 1)
    assert len(rows) == 5
    assert all(cell.font.bold for cell in summary[1])
    assert summary.column_dimensions["A"].width >= 20

    roster = wb["成绩名单"]
    rows = list(roster.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "单位", "职务", "手机号", "最好成绩", "是否合格", "等级", "状态", "交卷时间", "疑点")
    assert all(cell.font.bold for cell in roster[1])
    by_name = {r[0]: r for r in rows[1:]}
    assert len(by_name) == 7
    assert by_name["甲优"] == ("甲优", "司法所", "所长", "13900000001", 95, "是", "优秀", "已交卷", datetime(2025, 6, 26, 10, 0), None)
    assert by_name["己不合格"][4:8] == (59, "否", "不合格", "已交卷")
    assert by_name["丙作答"][4:9] == (None, None, None, "作答中", None)
    assert by_name["丁缺考"][7] == "未参加"

    analysis = wb["试题分析"]
    assert [c.value for c in analysis[1]][:4] == ["题目编号", "分类", "题型", "题干"]
    assert analysis.max_row == 1  # the town's attempts carry no items


def test_makeup_goes_to_those_who_failed_or_missed(town):
    exam, p, _ = town
    exam.closes_at = utcnow() - timedelta(minutes=1)
    exam.review_policy, exam.shuffle_options, exam.duration_minutes, exam.pass_score = "never", False, 45, 70
    db.session.flush()
    now = utcnow()
    makeup = results.create_makeup(exam, now=now)
    assert makeup.id and makeup.kind == "makeup" and makeup.makeup_of_id == exam.id
    assert makeup.title == f"{exam.title}（补考）"
    assert (makeup.opens_at, makeup.closes_at) == (now, now + timedelta(days=7))
    assert (makeup.duration_minutes, makeup.pass_score, makeup.attempts_allowed) == (45, 70, 1)
    assert (makeup.review_policy, makeup.shuffle_options, makeup.excellent_percent, makeup.good_percent) == ("never", False, 90, 80)
    assert makeup.assign_all is False and makeup.assign_new_leaders is False and makeup.units == []
    assert [(r.category_id, r.qtype, r.count, r.points) for r in makeup.rules] == \
        [(r.category_id, r.qtype, r.count, r.points) for r in exam.rules]
    assert {r.id for r in makeup.rules}.isdisjoint({r.id for r in exam.rules})
    # Failed (己), missed (丁, 辛), still in progress at the close (丙); not the passed, the
    # inactive or the unassigned.
    expected = {p[k].id for k in ("fail", "absent", "named", "busy")}
    assert {c.id for c in makeup.cadres} == expected
    assert {c.id for c in db.session.scalars(assigned_cadres(makeup))} == expected
    # Their papers are drawn already, one each.
    assert set(db.session.scalars(select(ExamPaper.cadre_id).where(ExamPaper.exam_id == makeup.id))) == expected


def test_makeup_refused_when_nobody_needs_it_or_the_exam_is_open(make):
    unit = make.org_unit()
    exam = make.exam(assign_all=False)
    exam.units = [unit]
    one = cadre(make, unit)
    attempt(exam, one, 100)
    with pytest.raises(ValueError, match="尚未结束"):
        results.create_makeup(exam)
    exam.closes_at = utcnow() - timedelta(hours=1)
    with pytest.raises(ValueError, match="无需补考"):
        results.create_makeup(exam)
    assert db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id)) is None


def test_statements_do_not_grow_with_cadres_or_attempts(make, count_queries):
    category = make.category()
    questions = make.questions(6, category)

    def measure(size):
        unit = make.org_unit()
        exam = make.exam(rules=[(category, "single", 3, 10)], assign_all=False, closes_at=utcnow() - timedelta(minutes=1),
                         opens_at=utcnow() - timedelta(days=1))
        exam.units = [unit]
        for i in range(size):
            who = cadre(make, unit)
            if i % 4:
                attempt(exam, who, score=(i * 7) % 31, items=[(q, (i + j) % 3 == 0) for j, q in enumerate(questions[:3])])
            if i % 5 == 0:
                attempt(exam, who, score=25, number=2, items=[(q, True) for q in questions[3:]])
        db.session.commit()
        counts = {}
        for name, call in [
            ("results", lambda: results.exam_results(exam)),
            ("summary", lambda: results.exam_summary(exam)),
            ("not_sat", lambda: results.not_sat(exam, limit=2, offset=2)),
            ("questions", lambda: results.question_stats(exam)),
            ("question page", lambda: results.question_page(exam, 2, 2)),
            ("overview", lambda: results.exam_overview([exam])),
            ("export", lambda: results.export_xlsx(exam)),
            ("makeup", lambda: results.create_makeup(exam)),
        ]:
            db.session.expire_all()
            with count_queries() as sql:
                call()
            counts[name] = len(sql)
        return counts

    few, many = measure(4), measure(60)
    assert few == many, (few, many)
    # And few: one to reload the expired exam, one for its rules, one per figure (the
    # export's 疑点 two more).
    assert few["summary"] <= 3 and few["not_sat"] <= 2 and few["question page"] <= 2
    assert few["results"] <= 4 and few["questions"] <= 2 and few["overview"] <= 2 and few["export"] <= 7


def test_export_workbook_keeps_formula_like_text_as_text(make):
    unit = make.org_unit(kind="department", name="+司法所")
    exam = make.exam()
    attempt(exam, cadre(make, unit, name='=HYPERLINK("http://evil.invalid","x")', position="-"), 80)
    rows = load_workbook(io.BytesIO(results.export_xlsx(exam)))["成绩名单"]
    assert [(c.value, c.data_type) for c in rows[2]][:3] == [
        ("'=HYPERLINK(\"http://evil.invalid\",\"x\")", "s"), ("'+司法所", "s"), ("'-", "s")]
    assert rows["E2"].value == 80  # numbers stay numbers
