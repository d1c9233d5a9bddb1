"""Aiken read block by block: each question read, or one problem at its first line, and
never run into the next; a .txt that is neither GIFT nor Aiken says so."""
from sqlalchemy import select

from core.extensions import db
from quiz_bank.formats import aiken
from quiz_bank.importer import apply_import, plan_import
from quiz_bank.models import Question

BANK = """A) 这一段没有题干
ANSWER: 无

依照《民法典》，自然人的民事权利能力始于？
A)出生
B)成年
C)登记户口
ANSWER: A
出处：《民法典》第十三条
难度：2

解析：自然人从出生时起到死亡时止，具有民事权利能力。

这一行只是说明，不是题目。

依照《民法典》，不满八周岁的未成年人为？
A. 完全民事行为能力人
B. 限制民事行为能力人
C. 无民事行为能力人
ANSWER: C
出处：《民法典》第二十条
依照《民法典》，八周岁以上的未成年人为？
A. 完全民事行为能力人
B. 限制民事行为能力人
ANSWER: B
出处：《民法典》第十九条

B. 选项写在题干前面
ANSWER: B

依照《民法典》，成年人是指？
A. 年满十八周岁的自然人
B. 年满十六周岁的自然人
这一行既不是选项也不是答案
ANSWER: A

依照《民法典》，十六周岁以上、以自己的劳动收入为主要生活来源的未成年人，视为？
A. 完全民事行为能力人
B. 限制民事行为能力人
ANSWER: AB
"""
LINES = BANK.splitlines()


def _line(start: str) -> int:
    return next(number for number, line in enumerate(LINES, start=1) if line.startswith(start))


def test_each_block_is_one_question_or_one_problem_at_its_first_line():
    result = aiken.read(BANK.encode("gbk"), "民法典")
    assert [(q.line, q.data["stem"]) for q in result.questions] == [
        (_line("依照《民法典》，自然人"), "依照《民法典》，自然人的民事权利能力始于？"),
        (_line("依照《民法典》，不满八周岁"), "依照《民法典》，不满八周岁的未成年人为？"),
        (_line("依照《民法典》，八周岁"), "依照《民法典》，八周岁以上的未成年人为？"),
    ]
    birth = result.questions[0].data
    # "A)出生" without a space is an option, as Moodle reads it; extras after a blank line still belong.
    assert [o["text"] for o in birth["options"]] == ["出生", "成年", "登记户口"] and birth["answer"] == ["A"]
    assert (birth["source"], birth["difficulty"]) == ("《民法典》第十三条", "2")
    assert birth["explanation"] == "自然人从出生时起到死亡时止，具有民事权利能力。"
    assert [q.data["source"] for q in result.questions[1:]] == ["《民法典》第二十条", "《民法典》第十九条"]
    problems = {p.line: p.message for p in result.problems}
    assert sorted(problems) == [1, _line("这一行只是说明"), _line("B. 选项写在"), _line("依照《民法典》，成年人"),
                                _line("依照《民法典》，十六周岁")]
    assert "题目还没有开始" in problems[1] and "题目还没有开始" in problems[_line("B. 选项写在")]
    assert "缺少“ANSWER: ”" in problems[_line("这一行只是说明")]
    assert f"第 {_line('这一行既不是')} 行" in problems[_line("依照《民法典》，成年人")]
    assert "一个选项字母" in problems[_line("依照《民法典》，十六周岁")]
    assert not any(p.whole_file for p in result.problems)


def test_only_valid_imports_the_good_questions_and_never_a_block_without_a_stem():
    plan = plan_import("民法典.txt", BANK.encode(), default_category="民法典")
    assert len(plan.problems) == 5
    assert apply_import(plan, only_valid=True) == 3
    stems = db.session.scalars(select(Question.stem)).all()
    assert len(stems) == 3 and not any("ANSWER" in s or s.startswith("A)") for s in stems)


def test_a_txt_that_is_neither_gift_nor_aiken_says_so_once_for_the_whole_file():
    notice = "关于开展“八五”普法学习的通知\n\n请各村（社区）于月底前组织学习《民法典》婚姻家庭编。\n"
    plan = plan_import("通知.txt", notice.encode(), default_category="通知")
    (problem,) = plan.problems
    assert problem.line == 1 and problem.whole_file and "既不是 GIFT" in problem.message and "也不是 Aiken" in problem.message


def test_an_empty_or_undecodable_file_is_a_problem_with_the_whole_file():
    (empty,) = aiken.read(b"\n\n").problems
    (undecodable,) = aiken.read(b"\xff\xfe\xff").problems
    assert empty.whole_file and "空" in empty.message and undecodable.whole_file
