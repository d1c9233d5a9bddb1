"""Exam results for the office and the cadre management office: who sat it and how they
did, per unit and in total; how each question behaved; the spreadsheet; make-up exams.

A cadre's result is their best finished attempt (submitted, or finalised when the time
ran out): the highest score, the earliest of equal scores. Only active cadres the exam
is assigned to now (quiz_bank.exams.assignment) are counted.

Every function here sends a fixed number of SQL statements, however many cadres and
attempts there are: the per-cadre and per-question figures are aggregated in SQL (window
functions, which SQLite 3.25+ and PostgreSQL both have) and read in one statement each.
The panel's page reads only what it shows: the summaries counted in SQL (exam_summary),
a page of who has not sat it (not_sat) and a page of the question analysis
(question_page); the whole roster and every question are the spreadsheet's.
"""
from collections import Counter
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from sqlalchemy import Integer, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from accounts.models import Cadre, OrgUnit
from core import xlsx
from core.extensions import db
from core.timeutil import local_naive, utcnow
from quiz_bank.exams import papers
from quiz_bank.exams.assignment import assigned_cadres
from quiz_bank.exams.models import ATTEMPT_STATUS_LABELS, AttemptItem, Exam, ExamAttempt, PaperRule
from quiz_bank.models import TYPE_LABELS, Category, Question

FINISHED = ("submitted", "expired")
BANDS = ("优秀", "良好", "合格", "不合格")
NOT_STARTED, IN_PROGRESS = "未参加", "作答中"

# Item analysis. The 27% groups are the classical choice (Kelley). A question's groups are
# drawn from the finished attempts that were shown it (papers are drawn per person, so
# each question has its own sample); below MIN_SAMPLE attempts (groups of fewer than 3)
# the discrimination index is too noisy to mean anything and is given as None, and no
# question is flagged.
GROUP_SHARE_PERCENT = 27
MIN_SAMPLE = 10
TOO_HARD, TOO_EASY, LOW_DISCRIMINATION = 0.2, 0.95, 0.2

MAKEUP_DAYS = 7


# -- the band rule -------------------------------------------------------------------


def band(exam: Exam, score, passed, total):
    """SQL: the band of a result, from its score, passed and the paper's total (columns;
    an attempt keeps the total it was drawn with): 不合格 unless passed; then 优秀 from
    excellent_percent of the total, 良好 from good_percent, else 合格. NULL without a score
    (no finished attempt). The one place of the rule: the page's counts and the
    spreadsheet's rows both select it."""
    return case(
        (score.is_(None), None),
        (passed.is_not(True), "不合格"),
        # Integers: no rounding at the boundary (90% of 100 is exactly 90).
        (score * 100 >= exam.excellent_percent * total, "优秀"),
        (score * 100 >= exam.good_percent * total, "良好"),
        else_="合格",
    )


def _percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage with one decimal, rounded half up (1/16 is 6.3)."""
    if not whole:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _mean(total: int, count: int) -> float | None:
    """total/count with one decimal, rounded half up."""
    if not count:
        return None
    return float((Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP))


# -- building blocks (subqueries) ----------------------------------------------------


def best_attempts(*where):
    """Subquery: each cadre's best finished attempt at each exam (one row per exam and
    cadre): the highest score, the earliest of equal scores. `where`: conditions on
    ExamAttempt and Exam choosing the attempts."""
    ranked = (
        select(
            ExamAttempt.id.label("attempt_id"), ExamAttempt.exam_id, ExamAttempt.cadre_id, ExamAttempt.score,
            ExamAttempt.passed, ExamAttempt.total_score, ExamAttempt.submitted_at, ExamAttempt.status,
            func.row_number().over(
                partition_by=(ExamAttempt.exam_id, ExamAttempt.cadre_id),
                order_by=(ExamAttempt.score.desc(), ExamAttempt.submitted_at, ExamAttempt.id),
            ).label("rank"),
        )
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .where(ExamAttempt.status.in_(FINISHED), *where)
        .subquery("ranked")
    )
    return select(ranked).where(ranked.c.rank == 1).subquery("best")


def _best(exam_id: int):
    return best_attempts(ExamAttempt.exam_id == exam_id)


def certificate_attempts(exam_id: int):
    """Select of the attempt ids whose certificates the exam's holders carry: each cadre's
    best finished attempt (the result that counts), where it passed."""
    best = _best(exam_id)
    return select(best.c.attempt_id).where(best.c.passed.is_(True))


def _assigned(exam: Exam, *columns):
    """The exam's assigned active cadres, reduced to `columns`, FROM cadre (join onto it)."""
    return assigned_cadres(exam).with_only_columns(*columns).select_from(Cadre)


# -- results per cadre, per unit, in total -------------------------------------------


def _tried(exam_id: int):
    """Subquery: per cadre, how many attempts at the exam (`attempts`) and how many of
    them are still open (`open`)."""
    return (
        select(
            ExamAttempt.cadre_id,
            func.count().label("attempts"),
            func.sum(case((ExamAttempt.status == "in_progress", 1), else_=0)).label("open"),
        )
        .where(ExamAttempt.exam_id == exam_id).group_by(ExamAttempt.cadre_id).subquery("tried")
    )


def _roster(exam: Exam, town, *columns):
    """The exam's assigned active cadres reduced to `columns`, joined to their unit
    (OrgUnit) and its town (`town`, an alias of OrgUnit)."""
    return (_assigned(exam, *columns).join(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .join(town, town.id == OrgUnit.town_id))


def cadre_results(exam: Exam) -> list[dict]:
    """Every assigned active cadre with their best finished attempt (if any), by unit:
    the spreadsheet's roster (the panel's page shows only the summaries)."""
    best, tried, town = _best(exam.id), _tried(exam.id), aliased(OrgUnit)
    stmt = (
        _roster(exam, town, Cadre.id, Cadre.name, Cadre.phone, Cadre.position, OrgUnit.id.label("unit_id"),
                OrgUnit.name.label("unit"), town.id.label("town_id"), town.name.label("town"), best.c.score, best.c.passed,
                best.c.total_score, best.c.submitted_at, best.c.status, tried.c.attempts, tried.c.open,
                band(exam, best.c.score, best.c.passed, best.c.total_score).label("band"))
        .outerjoin(best, best.c.cadre_id == Cadre.id)
        .outerjoin(tried, tried.c.cadre_id == Cadre.id)
        .order_by(OrgUnit.id, Cadre.id)
    )
    rows = []
    for r in db.session.execute(stmt):
        finished = r.status is not None
        if finished:
            status = ATTEMPT_STATUS_LABELS[r.status]
        else:
            status = IN_PROGRESS if r.open else NOT_STARTED
        rows.append({
            "cadre_id": r.id, "name": r.name, "phone": r.phone, "position": r.position,
            "unit_id": r.unit_id, "unit": r.unit, "town_id": r.town_id, "town": r.town,
            "started": bool(r.attempts), "finished": finished, "in_progress": bool(r.open),
            "score": r.score, "total_score": r.total_score, "passed": bool(r.passed) if finished else None,
            "band": r.band,
            "submitted_at": r.submitted_at, "status": status,
        })
    return rows


# What a summary adds up: unit by unit in SQL, then units into towns and the total.
_COUNTS = ("assigned", "started", "submitted", "passed", "score_sum", *BANDS)


def _summary(unit: str, counts: Counter) -> dict:
    assigned, submitted, passed = counts["assigned"], counts["submitted"], counts["passed"]
    return {
        "unit": unit,
        "assigned": assigned,
        "started": counts["started"],
        "submitted": submitted,
        "passed": passed,
        "pass_rate": _percent(passed, assigned),
        "submit_rate": _percent(submitted, assigned),
        "average": _mean(counts["score_sum"], submitted),
        "bands": {b: counts[b] for b in BANDS},
    }


def exam_summary(exam: Exam) -> dict:
    """The exam's summaries: `units` (one per org unit, by unit id, with its town_id),
    `towns` (one per town by name, when the exam reaches several) and `total` (the whole
    exam).

    A summary holds assigned, started (any attempt), submitted (a finished attempt),
    passed (best finished attempt passed), pass_rate (passed / assigned, %, one decimal),
    submit_rate, average (of best finished scores, one decimal) and bands (counts).
    Counted unit by unit in one statement (`band`, on each attempt's own total); towns
    and the total are those units added up."""
    best, tried, town = _best(exam.id), _tried(exam.id), aliased(OrgUnit)
    passed, graded = best.c.passed.is_(True), band(exam, best.c.score, best.c.passed, best.c.total_score)

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    stmt = (
        _roster(exam, town, OrgUnit.id, OrgUnit.name, town.id.label("town_id"), town.name.label("town"),
                func.count(Cadre.id).label("assigned"), func.count(tried.c.cadre_id).label("started"),
                func.count(best.c.cadre_id).label("submitted"), count_if(passed).label("passed"),
                func.coalesce(func.sum(best.c.score), 0).label("score_sum"),
                *(count_if(graded == name).label(f"band{i}") for i, name in enumerate(BANDS)))
        .outerjoin(best, best.c.cadre_id == Cadre.id)
        .outerjoin(tried, tried.c.cadre_id == Cadre.id)
        .group_by(OrgUnit.id, OrgUnit.name, town.id, town.name)
        .order_by(OrgUnit.id)
    )
    units, towns, total = [], {}, Counter()
    for r in db.session.execute(stmt):
        counts = Counter(dict(zip(_COUNTS, (r.assigned, r.started, r.submitted, r.passed, r.score_sum,
                                            *(getattr(r, f"band{i}") for i in range(len(BANDS)))))))
        units.append(dict(_summary(r.name, counts), unit_id=r.id, town_id=r.town_id))
        towns.setdefault(r.town_id, (r.town, Counter()))[1].update(counts)
        total.update(counts)
    return {
        "exam_id": exam.id, "total_score": exam.total_score, "pass_score": exam.pass_score, "units": units,
        # An exam reaching several towns (a district's) is summed up town by town too.
        "towns": sorted((dict(_summary(name, counts), town_id=town_id) for town_id, (name, counts) in towns.items()),
                        key=lambda s: s["unit"]) if len(towns) > 1 else [],
        "total": _summary("合计", total),
    }


def not_sat(exam: Exam, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The assigned active cadres with no finished attempt (name, unit, position, phone,
    status: 作答中 or 未参加), by unit; `limit` and `offset` choose a page of them. How
    many there are is exam_summary's total assigned less submitted."""
    town = aliased(OrgUnit)

    def attempt_in(*statuses):
        return exists().where(ExamAttempt.exam_id == exam.id, ExamAttempt.cadre_id == Cadre.id,
                              ExamAttempt.status.in_(statuses))

    stmt = (
        _roster(exam, town, Cadre.id, Cadre.name, OrgUnit.name.label("unit"), Cadre.position, Cadre.phone,
                attempt_in("in_progress").label("open"))
        .where(~attempt_in(*FINISHED))
        .order_by(OrgUnit.id, Cadre.id).limit(limit).offset(offset)
    )
    return [{"cadre_id": r.id, "name": r.name, "unit": r.unit, "position": r.position, "phone": r.phone,
             "status": IN_PROGRESS if r.open else NOT_STARTED} for r in db.session.execute(stmt)]


def exam_results(exam: Exam, flags: bool = False) -> dict:
    """exam_summary's figures and `cadres` (every assigned cadre's best result, from
    cadre_results): the spreadsheet's.

    With `flags`, also `flagged` (quiz_bank.exams.suspicion.flagged_attempts) and each
    cadre's `flags`: the reasons of any of their finished attempts, for review only."""
    results = dict(exam_summary(exam), cadres=cadre_results(exam))
    if flags:
        from quiz_bank.exams import suspicion  # it reads FINISHED from here

        flagged = suspicion.flagged_attempts(exam)
        by_cadre: dict[int, list[str]] = {}
        for f in flagged:
            # Several attempts allowed: say which one each reason is about.
            prefix = f"第{f['number']}次作答：" if exam.attempts_allowed > 1 else ""
            by_cadre.setdefault(f["cadre_id"], []).extend(prefix + why for why in f["reasons"])
        for row in results["cadres"]:
            row["flags"] = by_cadre.get(row["cadre_id"], [])
        results["flagged"] = flagged
    return results


def exam_overview(exams: list[Exam]) -> dict[int, dict]:
    """Assigned, submitted, passed and pass rate for several exams, in one statement."""
    if not exams:
        return {}
    parts = []
    for exam in exams:
        best = _best(exam.id)
        parts.append(
            _assigned(exam, literal(exam.id, Integer).label("exam_id"), func.count(Cadre.id).label("assigned"),
                      func.count(best.c.cadre_id).label("submitted"),
                      func.coalesce(func.sum(case((best.c.passed.is_(True), 1), else_=0)), 0).label("passed"))
            .outerjoin(best, best.c.cadre_id == Cadre.id)
        )
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    return {
        r.exam_id: {"assigned": r.assigned, "submitted": r.submitted, "passed": r.passed,
                    "pass_rate": _percent(r.passed, r.assigned)}
        for r in db.session.execute(stmt)
    }


# -- questions -----------------------------------------------------------------------


def _permille(share: float) -> int:
    return round(share * 1000)


def _ranked(exam: Exam):
    """One row per question of the analysis, bad ones first: its counts, its problems as
    flags (hard, easy, low, negative), its place (`pos`) and the number of questions and
    of bad ones."""
    shown = (
        select(
            AttemptItem.question_id.label("qid"), AttemptItem.correct.label("ok"),
            func.row_number().over(partition_by=AttemptItem.question_id,
                                   order_by=(ExamAttempt.score, ExamAttempt.id)).label("rn"),
            func.count().over(partition_by=AttemptItem.question_id).label("n"),
        )
        .join(ExamAttempt, ExamAttempt.id == AttemptItem.attempt_id)
        .where(ExamAttempt.exam_id == exam.id, ExamAttempt.status.in_(FINISHED))
        .subquery("shown")
    )
    group = (shown.c.n * GROUP_SHARE_PERCENT + 50) // 100
    right = shown.c.ok.is_(True)
    lower, upper = shown.c.rn <= group, shown.c.rn > shown.c.n - group

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    def flag(cond):
        return case((cond, 1), else_=0)

    per_question = (
        select(
            shown.c.qid, func.count().label("shown"), count_if(right).label("right"),
            count_if(lower).label("lower_n"), count_if(and_(lower, right)).label("lower_right"),
            count_if(upper).label("upper_n"), count_if(and_(upper, right)).label("upper_right"),
        )
        .group_by(shown.c.qid).subquery("per_question")
    )
    q = per_question.c
    enough = q.shown >= MIN_SAMPLE
    # A figure is judged as shown, rounded to three decimals, here in integers: facility
    # under 0.2 is right/shown under 0.1995, and 0.6 - 0.4 is exactly 0.2 (in floating
    # point 0.19999999999999996). discrimination = upper_right/upper_n - lower_right/lower_n
    # = num/den. (Checked against rounding in Python: facility for every sample up to
    # 60,000, discrimination for groups up to 2,600. They differ only on a discrimination
    # of exactly 0.1995 or -0.0005, which takes groups of 2,000, where the floating-point
    # difference falls either way.)
    num, den = q.upper_right * q.lower_n - q.lower_right * q.upper_n, q.upper_n * q.lower_n
    judged = enough & (q.lower_n > 0) & (q.upper_n > 0)
    hard = enough & (2000 * q.right < (2 * _permille(TOO_HARD) - 1) * q.shown)
    easy = enough & (2000 * q.right >= (2 * _permille(TOO_EASY) + 1) * q.shown)
    low = judged & (2000 * num < (2 * _permille(LOW_DISCRIMINATION) - 1) * den)
    bad = flag(or_(hard, easy, low))
    return (
        select(
            per_question, flag(hard).label("hard"), flag(easy).label("easy"), flag(low).label("low"),
            flag(judged & (2000 * num <= -den)).label("negative"), bad.label("bad"),
            func.row_number().over(order_by=(bad.desc(), q.qid)).label("pos"),
            func.count().over().label("questions"), func.sum(bad).over().label("bad_questions"),
        )
        .subquery("ranked")
    )


def _texts():
    """What the analysis shows of a question besides its figures."""
    return (select(Question.id, Question.stem, Question.type, Question.source, Category.name.label("category"))
            .join(Category, Category.id == Question.category_id))


def _questions(exam: Exam, page: int | None = None, per_page: int = 0):
    """The statement behind question_stats: _ranked's rows with their questions' text, in
    order. With `page`, only that page of `per_page` questions (past the end: the last)."""
    ranked = _ranked(exam)
    stmt = _texts().add_columns(ranked).join(ranked, ranked.c.qid == Question.id).order_by(ranked.c.pos)
    if page is not None:
        last = (ranked.c.questions + per_page - 1) // per_page
        page = case((last < page, last), else_=page)
        stmt = stmt.where(ranked.c.pos > (page - 1) * per_page, ranked.c.pos <= page * per_page)
    return stmt


def _question(r) -> dict:
    facility = round(r.right / r.shown, 3)
    enough = r.shown >= MIN_SAMPLE
    discrimination = None
    if enough and r.lower_n and r.upper_n:
        discrimination = round(r.upper_right / r.upper_n - r.lower_right / r.lower_n, 3)
    problems = []
    if r.hard:
        problems.append(f"过难：答对率低于{TOO_HARD:.0%}，请核对答案是否有误")
    elif r.easy:
        problems.append(f"过易：答对率高于{TOO_EASY:.0%}")
    if r.low:
        problems.append("区分度为负：成绩差的反而答对更多，请核对答案" if r.negative else f"区分度低：低于{LOW_DISCRIMINATION}")
    return {
        "question_id": r.id, "stem": r.stem, "type": r.type, "type_label": TYPE_LABELS.get(r.type, r.type),
        "category": r.category, "source": r.source, "shown": r.shown, "right": r.right,
        "facility": facility, "discrimination": discrimination,
        "enough_data": enough, "bad": bool(r.bad), "problems": problems,
    }


def question_stats(exam: Exam) -> list[dict]:
    """How each question shown in finished attempts behaved.

    facility: share of the attempts shown it that answered it right (unanswered is wrong).
    discrimination: p_upper - p_lower, where the groups are the top and bottom 27% (rounded
    half up) by score of the finished attempts shown the question; None below MIN_SAMPLE.
    problems: why a question looks bad (too hard, too easy, does not separate those who
    know the law from those who do not); flagged only from MIN_SAMPLE attempts on.
    Bad questions first, then by question id."""
    return [_question(r) for r in db.session.execute(_questions(exam))]


def question_page(exam: Exam, page: int, per_page: int) -> dict:
    """Page `page` of question_stats, `per_page` questions a page (past the end: the
    last): `rows`, `count` (every question) and `bad_count` (the bad ones)."""
    rows = db.session.execute(_questions(exam, page, per_page)).all()
    return {"rows": [_question(r) for r in rows], "count": rows[0].questions if rows else 0,
            "bad_count": rows[0].bad_questions if rows else 0}


def settled(exam: Exam, now: datetime) -> list | None:
    """What the exam's finished attempts rest on once none can start, end or change any
    more (closed, none in progress): [opens_at, closes_at, finished attempts, created_at],
    so that figures kept then can tell when the exam was opened again (or is another
    exam given a deleted one's id, as SQLite may). None before."""
    if now < exam.closes_at:
        return None
    finished, running = db.session.execute(
        select(func.count().filter(ExamAttempt.status.in_(FINISHED)), func.count().filter(ExamAttempt.status == "in_progress"))
        .where(ExamAttempt.exam_id == exam.id)).one()
    return None if running else [exam.opens_at, exam.closes_at, finished, exam.created_at]


def question_figures(exam: Exam) -> list[dict]:
    """Every question's figures of the analysis, without its text, bad ones first: what
    is kept of a settled exam (reports.snapshots.exam_questions) for question_page_of."""
    ranked = _ranked(exam)
    return [dict(r._mapping) for r in db.session.execute(select(ranked).order_by(ranked.c.pos))]


def question_page_of(figures: list[dict], page: int, per_page: int) -> dict:
    """question_page from question_figures' rows: the page's questions' text is read now
    (a question corrected since shows as it reads today)."""
    last = max((len(figures) + per_page - 1) // per_page, 1)
    chosen = figures[(min(page, last) - 1) * per_page:min(page, last) * per_page]
    texts = {r.id: r._mapping for r in db.session.execute(_texts().where(Question.id.in_([f["qid"] for f in chosen])))}
    return {"rows": [_question(SimpleNamespace(**texts[f["qid"]], **f)) for f in chosen], "count": len(figures),
            "bad_count": sum(f["bad"] for f in figures)}


# -- the spreadsheet -----------------------------------------------------------------


def export_xlsx(exam: Exam) -> bytes:
    """The results workbook for the cadre management office: 汇总, 成绩名单 (with each
    cadre's 疑点), 试题分析, and 各镇 for an exam reaching several towns."""
    from openpyxl import Workbook  # heavy: imported where used
    from openpyxl.styles import Alignment, PatternFill

    results = exam_results(exam, flags=True)
    wb = Workbook()
    bad_fill = PatternFill("solid", fgColor="FCE4D6")

    ws = xlsx.sheet(wb, "汇总", ["单位", "应考人数", "已参加", "已交卷", "合格人数", "合格率（%）", "平均分", *BANDS],
                [24, 10, 10, 10, 10, 12, 10, 8, 8, 8, 8], first=True)
    for s in [*results["units"], results["total"]]:
        ws.append([s["unit"], s["assigned"], s["started"], s["submitted"], s["passed"], s["pass_rate"], s["average"],
                   *(s["bands"][b] for b in BANDS)])
    xlsx.bold_last_row(ws)

    ws = xlsx.sheet(wb, "成绩名单", ["姓名", "单位", "职务", "手机号", "最好成绩", "是否合格", "等级", "状态", "交卷时间", "疑点"],
                [12, 24, 20, 15, 10, 10, 8, 14, 18, 60])
    for r in results["cadres"]:
        # 疑点 are for review only: they change nothing else on the row. Names in them are
        # neutralised with every other cell by xlsx.to_bytes.
        ws.append([r["name"], r["unit"], r["position"], r["phone"], r["score"],
                   None if r["passed"] is None else ("是" if r["passed"] else "否"), r["band"], r["status"],
                   local_naive(r["submitted_at"]), "；".join(r["flags"]) or None])
        ws.cell(row=ws.max_row, column=4).number_format = "@"
        ws.cell(row=ws.max_row, column=9).number_format = "yyyy-mm-dd hh:mm"
        ws.cell(row=ws.max_row, column=10).alignment = Alignment(wrap_text=True, vertical="top")

    ws = xlsx.sheet(wb, "试题分析", ["题目编号", "分类", "题型", "题干", "出处", "出现次数", "答对次数", "答对率（%）", "区分度", "问题"],
                [10, 16, 8, 60, 28, 10, 10, 12, 10, 40])
    for q in question_stats(exam):
        ws.append([q["question_id"], q["category"], q["type_label"], q["stem"], q["source"], q["shown"], q["right"],
                   round(q["facility"] * 100, 1), q["discrimination"], "；".join(q["problems"])])
        ws.cell(row=ws.max_row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
        if q["bad"]:
            for cell in ws[ws.max_row]:
                cell.fill = bad_fill

    if results["towns"]:
        ws = xlsx.sheet(wb, "各镇", ["镇", "应考人数", "已参加", "已交卷", "合格人数", "合格率（%）", "平均分"], [16, 10, 10, 10, 10, 12, 10])
        for s in results["towns"]:
            ws.append([s["unit"], s["assigned"], s["started"], s["submitted"], s["passed"], s["pass_rate"], s["average"]])

    return xlsx.to_bytes(wb)


# -- make-up exams -------------------------------------------------------------------


def needing_makeup(exam: Exam):
    """Select of the assigned active cadres with no passed best finished attempt
    (they failed, or missed the exam)."""
    best = _best(exam.id)
    return assigned_cadres(exam).where(
        Cadre.id.not_in(select(best.c.cadre_id).where(best.c.passed.is_(True)))
    ).order_by(Cadre.id)


def create_makeup(exam: Exam, now: datetime | None = None) -> Exam:
    """A make-up exam for those who failed or missed `exam`: the same paper rules and
    settings, one attempt, open from now for MAKEUP_DAYS days, assigned by name.

    Added to the session and flushed (it has an id), with its papers drawn; the
    caller commits. Raises
    ValueError (in Chinese, for the page) while the exam is still open, since nobody has
    missed it yet, and when everyone assigned has passed."""
    now = now or utcnow()
    if now < exam.closes_at:
        raise ValueError("考试尚未结束，结束后才能生成补考。")
    cadres = list(db.session.scalars(needing_makeup(exam)))
    if not cadres:
        raise ValueError("应考人员都已考试合格，无需补考。")
    suffix = "（补考）"
    makeup = Exam(
        title=exam.title[: 200 - len(suffix)] + suffix, kind="makeup", makeup_of_id=exam.id,
        opens_at=now, closes_at=now + timedelta(days=MAKEUP_DAYS),
        duration_minutes=exam.duration_minutes, pass_score=exam.pass_score, attempts_allowed=1,
        assign_all=False, assign_new_leaders=False, shuffle_options=exam.shuffle_options,
        review_policy=exam.review_policy, excellent_percent=exam.excellent_percent, good_percent=exam.good_percent,
        rules=[PaperRule(category_id=r.category_id, qtype=r.qtype, count=r.count, points=r.points) for r in exam.rules],
        cadres=cadres,
    )
    db.session.add(makeup)
    db.session.flush()
    papers.draw_ahead(makeup)
    return makeup
