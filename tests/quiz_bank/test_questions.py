import pytest

from core.extensions import db
from quiz_bank import quizzes
from quiz_bank.questions import QuestionInvalid, edit_question, normalise, parse_answer


def _data(**kw):
    base = {"category_id": 1, "type": "single", "stem": "完全民事行为能力人的年龄是？",
            "options": [{"key": "A", "text": "十六周岁以上"}, {"key": "B", "text": "十八周岁以上"}],
            "answer": ["B"], "explanation": "", "source": "《民法典》第十七条", "difficulty": 1}
    base.update(kw)
    return base


@pytest.mark.parametrize("change,problem", [
    ({"answer": ["C"]}, "不在选项中"),
    ({"answer": ["A", "B"]}, "只能有一个正确答案"),
    ({"type": "multiple", "answer": ["A"]}, "至少要有两个正确答案"),
    ({"source": "民法典第17条"}, "出处须写成"),
    ({"stem": "  "}, "题干不能为空"),
    ({"difficulty": 5}, "难度"),
    ({"options": [{"key": "A", "text": "一"}, {"key": "C", "text": "二"}], "answer": ["A"]}, "按顺序编号"),
])
def test_malformed_questions_are_rejected_with_a_chinese_reason(change, problem):
    with pytest.raises(QuestionInvalid) as err:
        normalise(_data(**change))
    assert any(problem in p for p in err.value.problems)


def test_true_false_questions_always_have_T_and_F():
    clean = normalise(_data(type="true_false", options=[], answer=["f"]))
    assert [o["key"] for o in clean["options"]] == ["T", "F"] and clean["answer"] == ["F"]


@pytest.mark.parametrize("text,qtype,expected", [
    ("B", "single", ["B"]), ("ABD", "multiple", ["A", "B", "D"]), ("A,B,D", "multiple", ["A", "B", "D"]),
    ("d、a", "multiple", ["A", "D"]), ("对", "true_false", ["T"]), ("错误", "true_false", ["F"]),
    ("√", "true_false", ["T"]), ("×", "true_false", ["F"]),
])
def test_answers_written_the_way_people_write_them(text, qtype, expected):
    assert parse_answer(text, qtype) == expected


def test_editing_an_unanswered_question_changes_it_in_place(make):
    q = make.question(stem="旧题干？")
    same = edit_question(q, {"stem": "新题干？"})
    assert same is q and q.stem == "新题干？" and q.version == 1


def test_editing_a_question_someone_was_given_makes_a_new_version(make):
    cat = make.category()
    q = make.question(cat, answer=["B"])
    user = make.user()
    quiz, _ = quizzes.start_quiz(user.id, "practice", cat.id)
    quizzes.answer(user.id, quiz.id, q.id, ["B"])

    new = edit_question(q, {"answer": ["C"]})
    db.session.commit()
    assert new.id != q.id and new.version == 2 and new.previous_id == q.id and new.status == "active"
    assert q.status == "retired" and q.answer == ["B"]
    # The past answer still reads as it was graded.
    result = quizzes.get_quiz(user.id, quiz.id).items[0]
    assert result.correct is True and result.question.answer == ["B"]


def test_an_old_version_cannot_be_edited_again(make):
    cat = make.category()
    q = make.question(cat)
    user = make.user()
    quizzes.start_quiz(user.id, "practice", cat.id)
    new = edit_question(q, {"stem": "第二版？"})
    with pytest.raises(QuestionInvalid) as err:
        edit_question(q, {"stem": "从旧版本再改一次？"})
    assert f"编号 {new.id}" in err.value.problems[0]
