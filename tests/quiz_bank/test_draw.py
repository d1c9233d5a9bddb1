"""Drawing exam papers by rules: the right questions, each reachable, never too many."""
from collections import Counter

from quiz_bank.draw import draw_for_rules


def test_each_rule_gets_its_own_kind_of_question(make):
    civil, water = make.category(), make.category()
    singles = {q.id for q in make.questions(12, civil)}
    judged = {q.id for q in make.questions(6, civil, type="true_false")}
    water_multi = {q.id for q in make.questions(4, water, type="multiple")}
    make.question(civil, status="retired")
    a, b, c = draw_for_rules([(civil.id, "single", 5), (civil.id, "true_false", 6), (water.id, "multiple", 4)])
    assert len(a) == len(set(a)) == 5 and set(a) <= singles
    assert set(b) == judged  # all of them: every one is reachable even when the bank is exactly the rule's size
    assert set(c) == water_multi


def test_a_short_bank_gives_what_it_has(make):
    law = make.category()
    few = {q.id for q in make.questions(3, law)}
    empty = make.category()
    got, none = draw_for_rules([(law.id, "single", 5), (empty.id, "single", 2)])
    assert set(got) == few and none == []


def test_every_question_comes_up(make):
    law = make.category()
    ids = [q.id for q in make.questions(10, law)]
    seen = Counter(qid for _ in range(60) for qid in draw_for_rules([(law.id, "single", 3)])[0])
    assert set(seen) == set(ids)
