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
