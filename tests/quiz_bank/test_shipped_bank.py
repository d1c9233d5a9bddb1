"""The shipped legal question bank (quiz_bank/data/*.yaml): every question well formed."""
import re
from collections import Counter

import pytest

from quiz_bank.formats import yamlfmt
from quiz_bank.loader import bank_files
from quiz_bank.questions import normalise

FILES = bank_files()


def _questions(path):
    result = yamlfmt.read(path.read_bytes())
    assert not result.problems, [str(p) for p in result.problems]
    return result.categories[0], result.questions


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_question_is_well_formed_and_cites_its_own_law(path):
    category, questions = _questions(path)
    assert questions and category["slug"] == path.stem
    citation = re.compile(rf"^《{re.escape(category['name'])}》第[零一二三四五六七八九十百千]+条$")
    for q in questions:
        clean = normalise(q.data)  # raises with the reason if the answer, options or type rules are broken
        assert citation.match(clean["source"]), (q.line, clean["source"])
        assert clean["answer"] == q.data["answer"], f"question {q.line}: answer keys must be listed in order"
        assert clean["explanation"], f"question {q.line} has no explanation"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_true_false_questions_are_balanced(path):
    _, questions = _questions(path)
    answers = Counter(q.data["answer"][0] for q in questions if q.data["type"] == "true_false")
    assert abs(answers["T"] - answers["F"]) <= 1, answers


def test_no_two_questions_ask_the_same_thing():
    seen = {}
    for path in FILES:
        for q in _questions(path)[1]:
            key = re.sub(r"[\s，。？、（）()“”：:；;!！?]", "", q.data["stem"])
            assert key not in seen, f"{path.name} question {q.line} repeats {seen[key]}"
            seen[key] = f"{path.name} question {q.line}"


DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}


def article_number(source: str) -> int:
    """《民法典》第一千零七十九条 -> 1079"""
    words = re.search(r"第(.+?)条", source).group(1)
    total, digit = 0, None
    for ch in words:
        if ch in DIGITS:
            digit = DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * UNITS[ch]
            digit = None
    return total + (digit or 0)


def test_article_numbers_read_right():
    assert [article_number(f"第{w}条") for w in ("十七", "一千零七十九", "二百零四", "十", "九百七十八")] == [17, 1079, 204, 10, 978]


def test_the_bank_a_township_can_use_on_day_one():
    by_law = {}
    for path in FILES:
        category, questions = _questions(path)
        by_law[category["name"]] = questions
    everything = [q for qs in by_law.values() for q in qs]
    assert len(everything) >= 600 and len(by_law) >= 9
    types = Counter(q.data["type"] for q in everything)
    assert types["multiple"] >= len(everything) / 5 and types["true_false"] >= len(everything) / 5
    assert len(by_law["长江保护法"]) >= 60
    civil = [article_number(q.data["source"]) for q in by_law["民法典"]]
    assert len(civil) >= 150
    books = {"总则": (1, 204), "物权": (205, 462), "合同": (463, 988), "人格权": (989, 1039),
             "婚姻家庭": (1040, 1118), "继承": (1119, 1163), "侵权责任": (1164, 1260)}
    per_book = {name: sum(lo <= n <= hi for n in civil) for name, (lo, hi) in books.items()}
    assert all(count >= 10 for count in per_book.values()), per_book
