"""Drawing questions: every question that fits is equally likely, on exam papers and
in quizzes, whatever gaps the ids have; no repeats; unseen first in quizzes; exam-only
questions on papers only."""
import random
from collections import Counter

import pytest

from core.extensions import db
from quiz_bank.draw import draw
from quiz_bank.exams import papers
from quiz_bank.models import Category

DRAWS = 2000


def _chi_square_limit(cells: int, z: float = 3.09) -> float:
    """The chi-square value a uniform draw stays under with probability 0.999
    (Wilson-Hilferty), for `cells` equally likely outcomes."""
    df = cells - 1
    return df * (1 - 2 / (9 * df) + z * (2 / (9 * df)) ** 0.5) ** 3


def _assert_uniform(counts: Counter, population: list[int], per_draw: int) -> None:
    expected = DRAWS * per_draw / len(population)
    chi2 = sum((counts[q] - expected) ** 2 / expected for q in population)
    most, least = counts.most_common()[0], min(population, key=lambda q: counts[q])
    assert chi2 < _chi_square_limit(len(population)), (
        f"chi2 {chi2:.0f} over {len(population)} questions (limit {_chi_square_limit(len(population)):.0f}); "
        f"most drawn {most[1] / DRAWS:.0%}, least {counts[least] / DRAWS:.0%}, uniform {per_draw / len(population):.0%}")


@pytest.fixture
def seeded():
    state = random.getstate()
    random.seed(20261206)
    yield
    random.setstate(state)


def _sparse_bank(make, law: Category, n: int, qtype: str = "single", other_types: bool = True) -> list[int]:
    """`n` questions of `law` and `qtype` whose ids have gaps of 0 to 9 other questions
    (another law, another type, retired ones) between them, as a bank grows and is edited.
    Quizzes take any type: for them, `other_types=False`."""
    other = make.category()
    fitting = []
    for _ in range(n):
        for _ in range(random.randint(0, 9)):
            kind = random.choice(["other law", "other type", "retired"] if other_types else ["other law", "retired"])
            if kind == "other law":
                make.question(other, type=qtype)
            elif kind == "other type":
                make.question(law, type="multiple" if qtype != "multiple" else "single")
            else:
                make.question(law, type=qtype, status="retired")
        fitting.append(make.question(law, type=qtype).id)
    return fitting


def test_every_question_that_fits_a_rule_is_equally_likely_on_a_paper(make, seeded):
    law = make.category()
    singles = _sparse_bank(make, law, 20)
    judged = _sparse_bank(make, law, 12, qtype="true_false")
    exam = make.exam(rules=[(law, "single", 5, 2), (law, "true_false", 3, 1)])
    drawn = papers.draw_items(exam, DRAWS)
    for paper in drawn:
        ids = [qid for qid, _, _ in paper]
        assert len(ids) == len(set(ids)) == 8  # a rule's questions never repeat
        assert sum(q in singles for q in ids) == 5 and sum(q in judged for q in ids) == 3
    counts = Counter(qid for paper in drawn for qid, _, _ in paper)
    _assert_uniform(counts, singles, 5)
    _assert_uniform(counts, judged, 3)


def test_every_unseen_question_is_equally_likely_in_a_quiz(make, seeded):
    law = make.category()
    bank = _sparse_bank(make, law, 15, other_types=False)
    user = make.user()
    counts = Counter(qid for _ in range(DRAWS) for qid in draw(user.id, 5, law.id))
    _assert_uniform(counts, bank, 5)


def test_unseen_questions_come_first_then_any(make, seeded):
    from quiz_bank.models import SeenQuestion

    law = make.category()
    bank = _sparse_bank(make, law, 12, other_types=False)
    user = make.user()
    seen = bank[:8]
    db.session.add_all(SeenQuestion(user_id=user.id, question_id=q) for q in seen)
    db.session.flush()
    for _ in range(200):
        got = draw(user.id, 6, law.id)
        assert len(got) == len(set(got)) == 6
        assert set(bank[8:]) <= set(got)  # all four unseen, then two of the seen
    counts = Counter(q for _ in range(DRAWS) for q in draw(user.id, 6, law.id) if q in seen)
    _assert_uniform(counts, seen, 2)


def test_exam_only_questions_go_on_papers_and_never_into_quizzes(make):
    law, kept = make.category(), make.category(exam_only=True)
    open_questions = {q.id for q in make.questions(4, law)}
    exam_only = {q.id for q in make.questions(4, law, exam_only=True)}
    whole_law = {q.id for q in make.questions(4, kept)}
    user = make.user()
    served = {q for _ in range(50) for q in draw(user.id, 10)}
    assert served == open_questions
    assert set(draw(user.id, 10, kept.id)) == set()
    exam = make.exam(rules=[(law, "single", 8, 1), (kept, "single", 4, 1)])
    assert {qid for qid, _, _ in papers.draw_items(exam)[0]} == open_questions | exam_only | whole_law


def test_a_short_bank_refuses_the_paper(make):
    law = make.category()
    make.questions(3, law)
    exam = make.exam(rules=[(law, "single", 3, 1)])
    make.question(law, status="retired")
    exam.rules[0].count = 4
    with pytest.raises(Exception) as refused:
        papers.draw_items(exam)
    assert getattr(refused.value, "code", None) == "paper_unavailable"
