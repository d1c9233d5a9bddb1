"""仅用于考试: a question, or a whole law, kept for exam papers. Residents never meet it in
a quiz nor in their wrong-answer book; the bank, the panel and every import/export that
has a place for the flag carry it."""
import io
import json
import re
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from accounts.models import AuditLog
from activities import tokens
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank import quizzes
from quiz_bank.draw import in_quizzes
from quiz_bank.exams import papers
from quiz_bank.exams.attempts import start_attempt
from quiz_bank.formats import tabular
from quiz_bank.importer import apply_import, export_bank, plan_import
from quiz_bank.loader import bank_files
from quiz_bank.models import Category, Question
from quiz_bank.questions import edit_question
from tests.admin.conftest import login, panel  # noqa: F401 (the panel fixture: a client for its forms)

HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


@pytest.fixture
def bank(make):
    """民法典 with 6 open and 4 exam-only questions; 保密法 kept for exams as a whole."""
    civil, secret = make.category(name="民法典"), make.category(name="保密法", exam_only=True)
    return {
        "civil": civil, "secret": secret,
        "open": make.questions(6, civil, source="《民法典》第十七条"),
        "exam_only": make.questions(4, civil, exam_only=True, source="《民法典》第十八条"),
        "whole_law": make.questions(5, secret, source="《保密法》第三条"),
    }


def _ids(questions):
    return {q.id for q in questions}


def _wrong(question):
    return ["A"] if question.answer != ["A"] else ["C"]


# Quizzes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["daily", "challenge"])
def test_daily_and_challenge_quizzes_never_serve_an_exam_only_question(make, bank, mode):
    served = set()
    for _ in range(15):  # a new person each time: daily is one set a day
        quiz, _ = quizzes.start_quiz(make.user().id, mode)
        served |= {item.question_id for item in quiz.items}
    assert served == _ids(bank["open"])


def test_practice_serves_only_the_open_questions_of_a_law(api, make, bank):
    me = api.as_user(make.user())
    served = set()
    for _ in range(5):
        r = me.post("/quizzes", json={"mode": "practice", "category_id": bank["civil"].id})
        assert r.status_code == 201
        served |= {q["id"] for q in r.get_json()["questions"]}
    assert served == _ids(bank["open"])


def test_practice_on_an_exam_only_law_answers_like_an_empty_law(api, make, bank):
    me = api.as_user(make.user())
    empty = make.category()
    for law in (bank["secret"], empty):
        r = me.post("/quizzes", json={"mode": "practice", "category_id": law.id})
        assert r.status_code == 409 and r.get_json()["code"] == "no_questions"


def test_the_on_site_quiz_of_an_event_serves_no_exam_only_question(api, make, bank):
    user = make.user()
    me = api.as_user(user)
    event = make.event(quiz_category_id=bank["civil"].id, quiz_size=6, quiz_points_each=2)
    me.post("/checkins", json={"token": tokens.issue(event.id, event.token_seconds, utcnow())[0], **HERE})
    r = me.post(f"/events/{event.id}/quiz")
    assert r.status_code == 201 and {q["id"] for q in r.get_json()["questions"]} == _ids(bank["open"])
    # An event whose law is kept for exams: nothing to serve.
    kept = make.event(quiz_category_id=bank["secret"].id)
    me.post("/checkins", json={"token": tokens.issue(kept.id, kept.token_seconds, utcnow())[0], **HERE})
    r = me.post(f"/events/{kept.id}/quiz")
    assert r.status_code == 409 and r.get_json()["code"] == "no_questions"


def test_exam_papers_still_draw_exam_only_questions(make, bank):
    exam = make.exam(rules=[(bank["civil"], "single", 10, 5), (bank["secret"], "single", 5, 10)])
    (paper,) = papers.draw_items(exam)
    assert {qid for qid, _, _ in paper} == _ids(bank["open"] + bank["exam_only"] + bank["whole_law"])


# Categories ------------------------------------------------------------------------------


def test_categories_count_what_a_quiz_may_serve_and_leave_out_exam_only_laws(api, make, bank):
    make.question(bank["civil"], status="retired")
    listed = {c["name"]: c["question_count"] for c in api.as_user(make.user()).get("/categories").get_json()}
    assert listed["民法典"] == 6
    assert "保密法" not in listed


# The wrong-answer book -------------------------------------------------------------------


def test_a_question_marked_exam_only_after_a_wrong_answer_leaves_the_book(api, make, bank):
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": bank["civil"].id}).get_json()
    by_id = {q.id: q for q in bank["open"]}
    for q in quiz["questions"][:3]:
        me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": _wrong(by_id[q["id"]])})
    missed = [q["id"] for q in quiz["questions"][:3]]

    def book(**query):
        r = me.get("/wrong-answers", query_string=query).get_json()
        return {item["question"]["id"] for item in r["items"]}, r["total"]

    assert book() == (set(missed), 3)
    db.session.get(Question, missed[0]).exam_only = True
    db.session.commit()
    assert book() == (set(missed[1:]), 2)
    assert book(category_id=bank["civil"].id) == (set(missed[1:]), 2)
    # Keeping the whole law for exams empties its part of the book; lifting it brings it back.
    bank["civil"].exam_only = True
    db.session.commit()
    assert book() == (set(), 0)
    bank["civil"].exam_only = False
    db.session.commit()
    assert book() == (set(missed[1:]), 2)


def test_a_wrong_answer_in_a_quiz_drawn_before_the_mark_stays_out_of_the_book(api, make, bank):
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": bank["civil"].id}).get_json()
    question = db.session.get(Question, quiz["questions"][0]["id"])
    question.exam_only = True
    db.session.commit()
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": question.id, "answer": _wrong(question)})
    assert r.status_code == 200 and r.get_json()["correct"] is False
    assert me.get("/wrong-answers").get_json()["items"] == []


# The question's versions -----------------------------------------------------------------


def test_a_new_version_of_an_exam_only_question_is_exam_only_too(make, bank):
    exam = make.exam(rules=[(bank["civil"], "single", 10, 10)])
    attempt, _ = start_attempt(make.cadre(make.user()).user_id, exam.id)
    question = bank["exam_only"][0]
    assert question.id in {qid for qid, _, _ in attempt.paper}
    # Sat in an exam, so correcting its wording makes a new version: still kept for exams.
    newer = edit_question(question, {"stem": question.stem + "（修订）"})
    assert newer.id != question.id and question.status == "retired" and newer.exam_only is True
    assert newer.id not in set(db.session.scalars(select(Question.id).where(*in_quizzes())))


# Import and export -----------------------------------------------------------------------


def _flags():
    """Each question as a resident would meet it: its law, its stem, and whether a quiz
    may serve it."""
    served = set(db.session.scalars(select(Question.id).where(*in_quizzes())))
    rows = db.session.execute(select(Category.name, Question.stem, Question.id).join(Category).order_by(Category.name, Question.stem))
    return [(name, stem, qid in served) for name, stem, qid in rows]


def _empty_bank():
    db.session.execute(delete(Question))
    db.session.execute(delete(Category))
    db.session.flush()


@pytest.mark.parametrize("filename", ["bank.json", "bank.xlsx", "bank.csv"])
def test_export_then_import_keeps_what_is_exam_only(bank, filename):
    before = _flags()
    assert Counter(served for _, _, served in before) == {False: 9, True: 6}
    data = export_bank(filename)
    _empty_bank()
    plan = plan_import(filename, data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert apply_import(plan) == 15 and plan.exam_only_new == (4 if filename.endswith("json") else 9)
    assert _flags() == before


def test_json_keeps_the_flag_of_the_law_and_of_each_question(bank):
    data = export_bank("bank.json")
    _empty_bank()
    apply_import(plan_import("bank.json", data))
    assert db.session.scalar(select(Category.exam_only).where(Category.name == "保密法")) is True
    assert db.session.scalar(select(Category.exam_only).where(Category.name == "民法典")) is False
    assert sorted(db.session.scalars(select(Question.exam_only).join(Category).where(Category.name == "民法典"))) == [False] * 6 + [True] * 4


@pytest.mark.parametrize("law", ["civil", "secret"])
def test_yaml_round_trip_of_one_law(bank, law):
    keep = bank[law].id
    db.session.execute(delete(Question).where(Question.category_id != keep))
    db.session.execute(delete(Category).where(Category.id != keep))
    before = _flags()
    data = export_bank("bank.yaml")
    text = data.decode()
    if law == "secret":
        assert re.search(r"^category:\n(  .*\n)*  exam_only: true\n", text, re.M) and text.count("exam_only") == 1
    else:
        assert text.count("exam_only: true") == 4 and "exam_only: false" not in text
    _empty_bank()
    plan = plan_import("bank.yaml", data)
    assert plan.ok and apply_import(plan) == len(before)
    assert _flags() == before


def test_the_shipped_bank_has_no_exam_only_question_or_law():
    for path in bank_files():
        assert "exam_only" not in path.read_text(encoding="utf-8")
        plan = plan_import(path.name, path.read_bytes())
        assert plan.ok and plan.new and plan.exam_only_new == 0 and [c["exam_only"] for c in plan.new_categories] == [False]


HEADER = "题型,分类,题干,选项A,选项B,选项C,选项D,答案,解析,出处,难度,仅用于考试\n"


def test_the_sheet_column_reads_yes_no_and_empty_and_reports_anything_else():
    rows = [
        "单选,民法典,考试题？,甲,乙,丙,丁,B,,《民法典》第一条,1,是",
        "单选,民法典,练习题？,甲,乙,丙,丁,B,,《民法典》第二条,1,否",
        "单选,民法典,没填的题？,甲,乙,丙,丁,B,,《民法典》第三条,1,",
        "单选,民法典,填错的题？,甲,乙,丙,丁,B,,《民法典》第四条,1,也许",
    ]
    plan = plan_import("bank.csv", (HEADER + "\n".join(rows) + "\n").encode("gbk"))
    assert {c["stem"]: c["exam_only"] for _, _, c in plan.new} == {"考试题？": True, "练习题？": False, "没填的题？": False}
    assert [(p.line, "仅用于考试" in p.message and "也许" in p.message) for p in plan.problems] == [(5, True)]
    # A sheet without the column (an older template) imports as not exam-only.
    old = "题型,分类,题干,选项A,选项B,答案,出处\n单选,民法典,旧表格的题？,甲,乙,A,《民法典》第五条\n"
    assert [c["exam_only"] for _, _, c in plan_import("bank.csv", old.encode()).new] == [False]


def test_the_template_has_the_column():
    sheet = load_workbook(io.BytesIO(tabular.template())).active
    header = [c.value for c in sheet[1]]
    assert header[-1] == "仅用于考试"
    assert [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["否", "否"]


def test_a_wrong_flag_in_yaml_or_json_is_a_problem():
    doc = "category: {name: 民法典}\nquestions:\n  - {type: true_false, stem: 甲, answer: [T], source: 《民法典》第一条, exam_only: 也许}\n"
    plan = plan_import("bank.yaml", doc.encode())
    assert [p.line for p in plan.problems] == [1] and "exam_only" in plan.problems[0].message


def test_gift_and_aiken_import_as_not_exam_only(make):
    gift = "$CATEGORY: 民法典\n\n// 出处：《民法典》第十九条\n八周岁以上的未成年人为限制民事行为能力人。{TRUE}\n"
    aiken = "成年年龄是？\nA. 十六周岁\nB. 十八周岁\nANSWER: B\n出处：《民法典》第十七条\n"
    assert [c["exam_only"] for _, _, c in plan_import("bank.gift", gift.encode()).new] == [False]
    assert [c["exam_only"] for _, _, c in plan_import("民法典.txt", aiken.encode(), "民法典").new] == [False]


def test_importing_a_known_question_with_another_flag_keeps_the_banks_and_says_so(make, bank):
    data = export_bank("bank.json")
    # Flip the flag of every question of 民法典: the file disagrees on each of its 10.
    for q in bank["open"] + bank["exam_only"]:
        q.exam_only = not q.exam_only
    db.session.flush()
    before = _flags()
    plan = plan_import("bank.json", data)
    assert plan.ok and not plan.new and plan.existing == 15
    assert plan.exam_only_kept == 10 and plan.exam_only_kept_categories == []
    assert plan.exam_only_note() == "10 道已存在的题的“仅用于考试”与文件不同，保留题库中的设置（需要改动请在题库中修改）。"
    assert apply_import(plan, source="bank.json") == 0
    assert _flags() == before
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import"))
    assert "保留题库中的设置" in entry.summary
    # The law the file keeps for exams is open in the bank: it stays open, and so do its 5
    # questions (15 differ with 民法典's 10).
    bank["secret"].exam_only = False
    db.session.flush()
    plan = plan_import("bank.json", data)
    assert plan.existing == 15 and plan.exam_only_kept == 15 and plan.exam_only_kept_categories == ["保密法"]
    assert plan.exam_only_note().startswith("15 道已存在的题和分类“保密法”的“仅用于考试”与文件不同，保留题库中的设置")
    # A sheet or a GIFT file of the bank: the same questions, nothing duplicated, and no
    # difference where the bank and the file serve a question alike.
    for q in bank["open"] + bank["exam_only"]:
        q.exam_only = not q.exam_only
    bank["secret"].exam_only = True
    db.session.flush()
    for name in ("bank.xlsx", "bank.csv", "bank.json"):
        again = plan_import(name, export_bank(name))
        assert again.ok and not again.new and again.existing == 15 and again.exam_only_note() == ""
    # GIFT has no place for the flag: the 9 exam-only questions are reported, and stay exam-only.
    gift = plan_import("bank.gift", export_bank("bank.gift"))
    assert gift.ok and not gift.new and gift.existing == 15 and gift.exam_only_kept == 9


def test_the_command_line_reports_exam_only_questions_and_kept_flags(app, make, bank, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "bank.json"
    assert runner.invoke(args=["questions", "export", str(path)]).exit_code == 0
    _empty_bank()
    first = runner.invoke(args=["questions", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "新题 15（其中仅用于考试 4）" in first.output
    db.session.execute(Question.__table__.update().values(exam_only=False))
    again = runner.invoke(args=["questions", "import", str(path)])
    assert again.exit_code == 0 and "4 道已存在的题" in again.output and "保留题库中的设置" in again.output
    assert db.session.scalar(select(Question.id).where(Question.exam_only.is_(True))) is None


# The panel -------------------------------------------------------------------------------


def _question_form(question, **changes):
    form = {"category": str(question.category_id), "type": question.type, "stem": question.stem,
            "answer": "".join(question.answer), "explanation": question.explanation, "source": question.source,
            "difficulty": str(question.difficulty), "status": question.status}
    for option in question.options:
        form[f"option_{option['key'].lower()}"] = option["text"]
    if question.exam_only:
        form["exam_only"] = "y"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_the_checkbox_marks_an_answered_question_on_the_same_row(panel, api, make, bank):
    login(panel, make.admin("editor"))
    question = bank["open"][0]
    # Answered wrong in a quiz: it is in someone's book, and a content edit would make a new version.
    user = make.user()
    quiz, _ = quizzes.start_quiz(user.id, "practice", bank["civil"].id)  # all 6 open questions of the law
    quizzes.answer(user.id, quiz.id, question.id, _wrong(question))
    page = panel.get(f"/admin/questions/edit/?id={question.id}").get_data(as_text=True)
    assert "仅用于考试" in page and 'name="exam_only"' in page
    r = panel.post(f"/admin/questions/edit/?id={question.id}", data=_question_form(question, exam_only="y"))
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).exam_only is True
    assert db.session.scalar(select(Question.id).where(Question.previous_id == question.id)) is None
    assert db.session.get(Question, question.id).status == "active"
    assert api.as_user(user).get("/wrong-answers").get_json()["total"] == 0
    summaries = list(db.session.scalars(select(AuditLog.summary).where(AuditLog.entity == "question", AuditLog.entity_id == str(question.id))))
    assert "设为仅用于考试" in summaries
    # Unticked (a checkbox left out of the form), it is offered to quizzes again.
    panel.post(f"/admin/questions/edit/?id={question.id}", data=_question_form(question, exam_only=None))
    db.session.expire_all()
    assert db.session.get(Question, question.id).exam_only is False


def test_a_new_question_can_be_created_exam_only_and_the_list_shows_and_filters_by_it(panel, make, bank):
    login(panel, make.admin("editor"))
    form = {"category": str(bank["civil"].id), "type": "single", "stem": "面板新建的考试题：成年年龄是？", "option_a": "十六周岁",
            "option_b": "十八周岁", "answer": "B", "explanation": "", "source": "《民法典》第十七条", "difficulty": "1",
            "status": "active", "exam_only": "y"}
    assert panel.post("/admin/questions/new/", data=form).status_code == 302
    assert db.session.scalar(select(Question.exam_only).where(Question.stem == form["stem"])) is True
    listing = panel.get("/admin/questions/").get_data(as_text=True)
    assert re.search(r"<th[^>]*>\s*<a[^>]*>仅用于考试</a>", listing)
    filters = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', listing, re.S).group(1))
    (equals,) = [f["arg"] for f in filters["仅用于考试"] if f["operation"] == "等于"]
    ids = lambda page: {int(i) for i in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}
    kept = ids(panel.get(f"/admin/questions/?flt0_{equals}=1").get_data(as_text=True))
    assert kept == _ids(bank["exam_only"]) | {db.session.scalar(select(Question.id).where(Question.stem == form["stem"]))}


def test_the_category_checkbox_keeps_a_whole_law_for_exams(panel, api, make, bank):
    login(panel, make.admin("editor"))
    civil = bank["civil"]
    page = panel.get(f"/admin/categories/edit/?id={civil.id}").get_data(as_text=True)
    assert "仅用于考试" in page
    form = {"name": civil.name, "slug": civil.slug, "description": civil.description, "sort_order": str(civil.sort_order), "exam_only": "y"}
    assert panel.post(f"/admin/categories/edit/?id={civil.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, civil.id).exam_only is True
    listed = {c["name"] for c in api.as_user(make.user()).get("/categories").get_json()}
    assert "民法典" not in listed


def test_the_import_preview_shows_the_flag_and_the_kept_settings(panel, make, bank):
    login(panel, make.admin("editor"))
    bank["exam_only"][0].exam_only = False
    db.session.flush()
    data = export_bank("bank.xlsx")
    bank["exam_only"][0].exam_only = True
    db.session.flush()
    rows = HEADER + "单选,民法典,上传的考试题？,甲,乙,丙,丁,B,,《民法典》第一条,1,是\n"
    page = panel.post("/admin/import/preview", data={"file": (io.BytesIO(rows.encode("gbk")), "题库.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "新题中仅用于考试的 1 道" in page and "<th>仅用于考试</th>" in page
    page = panel.post("/admin/import/preview", data={"file": (io.BytesIO(data), "题库.xlsx")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "1 道已存在的题的“仅用于考试”与文件不同，保留题库中的设置" in page
