"""Imports that keep what lacks a citation for review, record themselves and can be undone."""
import pytest
from sqlalchemy import func, select

from core.domain_errors import Conflict
from core.extensions import db
from quiz_bank.draw import draw, paper_candidates
from quiz_bank.formats import Problem
from quiz_bank.importer import apply_import, export_bank, plan_import, undo_import
from quiz_bank.loader import load_bank
from quiz_bank.models import Question, QuestionImport
from quiz_bank.questions import QuestionInvalid, set_status
from quiz_bank.quizzes import start_quiz

HEADER = "题型,分类,题干,选项A,选项B,选项C,选项D,答案,解析,出处,难度\n"
CITED = "单选,民法典,结婚年龄男不得早于几周岁？,十八,二十,二十二,二十四,C,,《民法典》第一千零四十七条,1\n"
NO_SOURCE = "单选,民法典,夫妻有相互扶养的义务吗？,有,没有,,,A,,,1\n"
BAD_SOURCE = "判断,民法典,离婚冷静期为三十日。,,,,,对,,民法典1077条,1\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode()


def test_a_file_whose_only_fault_is_citations_imports_them_for_review():
    plan = plan_import("county.csv", _csv(CITED, NO_SOURCE, BAD_SOURCE))
    # Nothing is refused, so no --only-valid is needed; two await review, each saying why.
    assert plan.ok and plan.pending == 2 and len(plan.new) == 3
    assert "待审核 2" in plan.summary()
    assert apply_import(plan, source="county.csv") == 3
    held = {q.stem: q for q in db.session.scalars(select(Question).where(Question.status == "pending"))}
    assert set(held) == {"夫妻有相互扶养的义务吗？", "离婚冷静期为三十日。"}
    assert "没有填写出处" in held["夫妻有相互扶养的义务吗？"].review_note
    assert "民法典1077条" in held["离婚冷静期为三十日。"].review_note
    record = db.session.scalar(select(QuestionImport))
    assert (record.filename, record.fmt, record.added, record.pending, record.existing, record.refused) == ("county.csv", "csv", 3, 2, 0, 0)
    assert {q.import_id for q in db.session.scalars(select(Question))} == {record.id}


def test_questions_awaiting_review_are_never_served(make):
    plan = plan_import("county.csv", _csv(NO_SOURCE, BAD_SOURCE))
    apply_import(plan, source="county.csv")
    law = db.session.scalar(select(Question.category_id))
    user = make.user()
    assert draw(user.id, 10) == [] and draw(user.id, 10, law) == []
    assert paper_candidates([(law, "single"), (law, "true_false")]) == {(law, "single"): [], (law, "true_false"): []}
    with pytest.raises(Conflict, match="没有可用的题目"):
        start_quiz(user.id, "practice", category_id=law)


def test_publishing_needs_the_citation_and_clears_the_note():
    apply_import(plan_import("county.csv", _csv(NO_SOURCE)), source="county.csv")
    question = db.session.scalar(select(Question))
    with pytest.raises(QuestionInvalid, match="出处须写成"):
        set_status(question, "active")
    question.source = "《民法典》第一千零五十九条"
    set_status(question, "active")
    assert question.status == "active" and question.review_note is None
    # Awaiting review is where imports put questions, not a status chosen by hand.
    with pytest.raises(QuestionInvalid):
        set_status(question, "pending")


def test_the_shipped_bank_may_not_hold_a_question_without_its_citation(tmp_path):
    (tmp_path / "law.yaml").write_text(
        "category: {name: 测试法, slug: ceshi}\nquestions:\n"
        "  - {type: true_false, stem: 这道题没有出处。, answer: [T]}\n", encoding="utf-8")
    with pytest.raises(QuestionInvalid, match="出处不全"):
        load_bank(tmp_path)


def test_a_problem_with_the_whole_file_is_not_counted_as_a_question():
    plan = plan_import("bank.csv", "题目,答案\n甲,乙\n".encode())
    assert plan.problems and all(p.whole_file for p in plan.problems)
    assert plan.total == 0 and plan.refused == 0 and "文件问题" in plan.summary() and "共 0 道" in plan.summary()
    assert Problem(3, "x").whole_file is False
    broken = plan_import("bank.json", b"{")
    assert broken.total == 0 and broken.file_problems and "文件问题 1 处" in broken.summary()


def test_undo_removes_what_an_import_added_until_someone_has_been_given_it(make):
    apply_import(plan_import("a.csv", _csv(CITED, NO_SOURCE)), source="a.csv")
    first = db.session.scalar(select(QuestionImport))
    assert undo_import(first, None) == 2
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0 and first.undone_at is not None
    with pytest.raises(QuestionInvalid, match="撤销过"):
        undo_import(first, None)
    # Imported again, then practised by someone: the import can no longer be undone.
    apply_import(plan_import("a.csv", _csv(CITED)), source="a.csv")
    second = db.session.scalar(select(QuestionImport).where(QuestionImport.undone_at.is_(None)))
    law = db.session.scalar(select(Question.category_id))
    start_quiz(make.user().id, "practice", category_id=law)
    with pytest.raises(QuestionInvalid, match="不能撤销"):
        undo_import(second, None)
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1 and second.undone_at is None


def test_export_all_carries_retired_and_awaiting_review_with_their_status():
    apply_import(plan_import("a.csv", _csv(CITED, NO_SOURCE)), source="a.csv")
    cited = db.session.scalar(select(Question).where(Question.status == "active"))
    set_status(cited, "retired")
    assert b"questions" in export_bank("bank.json") and "结婚年龄" not in export_bank("bank.json").decode()
    everything = export_bank("bank.json", everything=True).decode()
    assert '"status": "retired"' in everything and '"status": "pending"' in everything
    # And it comes back as it was: the one awaiting review awaits review again.
    for q in db.session.scalars(select(Question)):
        db.session.delete(q)
    db.session.flush()
    plan = plan_import("bank.json", everything.encode())
    assert plan.ok and sorted(c["status"] for _, _, c in plan.new) == ["pending", "retired"]


@pytest.mark.parametrize("name", ["bank.xlsx", "bank.docx"])
def test_a_file_that_unzips_to_gigabytes_is_refused_before_it_is_opened(name):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml" if name.endswith("docx") else "xl/worksheets/sheet1.xml", b"<" + b" " * (120 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024  # small to upload
    plan = plan_import(name, out.getvalue())
    assert [p.message for p in plan.file_problems] == ["文件解压后超过 100 MB，无法读取；请拆成几个文件分别导入。"]
    assert plan.total == 0


def test_a_question_exported_awaiting_recheck_comes_back_awaiting_review_never_served():
    apply_import(plan_import("a.csv", _csv(CITED)), source="a.csv")
    question = db.session.scalar(select(Question))
    question.status = "recheck"  # as an amended statute leaves it
    db.session.flush()
    everything = export_bank("bank.json", everything=True).decode()
    assert '"status": "recheck"' in everything
    db.session.delete(question)
    db.session.flush()
    plan = plan_import("bank.json", everything.encode())
    [(_, _, clean)] = plan.new
    assert plan.ok and clean["status"] == "pending" and "待复核" in clean["review_note"]
