"""Suspicious exam attempts: answered too fast, or answered like another cadre (the same
wrong answers). Flags are reasons to look, and change nothing."""
import random
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams import results, suspicion
from quiz_bank.exams.models import AttemptItem, ExamAttempt
from tests.quiz_bank.test_exam_results import cadre

@pytest.fixture(autouse=True)
def _ten_shared_questions(app, monkeypatch):
    """These papers share 12 questions: judged with 10 as the least (the default is 15)."""
    monkeypatch.setitem(app.config, "EXAM_FLAG_MIN_SHARED", 10)



def sat(exam, who, answers, gaps=20.0, first=None, number=1, status="submitted", start=None):
    """A finished attempt as the attempts module leaves it. `answers`: (question, answer in
    its own keys or None) pairs in the order answered; `gaps`: seconds between answers (one
    number, or one per answer); `first`: seconds from the start to the first answer."""
    start = start or utcnow() - timedelta(hours=2)
    gaps = list(gaps) if isinstance(gaps, (list, tuple)) else [gaps] * len(answers)
    if first is not None:
        gaps[0] = first
    finished = status != "in_progress"
    row = ExamAttempt(exam_id=exam.id, user_id=who.user_id, cadre_id=who.id, number=number, status=status,
                      started_at=start, deadline=start + timedelta(minutes=exam.duration_minutes),
                      total_score=exam.total_score, pass_score=exam.pass_score,
                      paper=[[question.id, 10, None] for question, _ in answers])
    db.session.add(row)
    db.session.flush()
    at, score = start, 0
    for position, ((question, answer), gap) in enumerate(zip(answers, gaps)):
        at += timedelta(seconds=gap)
        right = answer is not None and sorted(answer) == sorted(question.answer)
        score += 10 if right else 0
        db.session.add(AttemptItem(
            attempt_id=row.id, question_id=question.id, position=position, points=10, answer=answer,
            answered_at=at if answer is not None else None,
            correct=right if finished else None, score=(10 if right else 0) if finished else None))
    if finished:
        row.submitted_at, row.score, row.passed = at, score, score >= row.pass_score
    db.session.flush()
    return row


def right(questions):
    return [(q, list(q.answer)) for q in questions]


def wrong(question, key="A"):
    """A wrong single-choice answer (the factories' key is B)."""
    assert [key] != question.answer
    return (question, [key])


@pytest.fixture
def bank(make):
    category = make.category()
    questions = make.questions(16, category)
    exam = make.exam(rules=[(category, "single", 12, 10)], pass_score=60,
                     opens_at=utcnow() - timedelta(days=1), closes_at=utcnow() + timedelta(days=1))
    return exam, questions


def test_a_fast_attempt_is_flagged_and_a_normal_one_is_not(make, bank):
    exam, qs = bank
    unit = make.org_unit(name="东湖村")
    # The first answer a minute after the start, then one every 1.8 s: the median gap is 1.8 s.
    fast = sat(exam, cadre(make, unit, name="快手"), right(qs[:10]), gaps=1.8, first=60)
    normal = sat(exam, cadre(make, unit), right(qs[:10]), gaps=25)
    # Five quick answers and five slow: the median is between them (12.5 s).
    mixed = sat(exam, cadre(make, unit), right(qs[:10]), gaps=[1, 1, 1, 1, 1, 24, 24, 24, 24, 24])
    # Too few answers to say anything about speed; an attempt still going is not judged.
    few = sat(exam, cadre(make, unit), right(qs[:4]), gaps=1)
    going = sat(exam, cadre(make, unit), right(qs[:10]), gaps=1, status="in_progress")

    flags = suspicion.suspicious_attempts(exam)
    assert flags == {fast.id: ["答题过快：每题用时中位数 1.8 秒（低于 3 秒）"]}
    assert {normal.id, mixed.id, few.id, going.id}.isdisjoint(flags)


def test_the_speed_threshold_comes_from_the_configuration(app, make, bank, monkeypatch):
    exam, qs = bank
    fast = sat(exam, cadre(make, make.org_unit()), right(qs[:10]), gaps=2.5)
    assert suspicion.suspicious_attempts(exam) == {fast.id: ["答题过快：每题用时中位数 2.5 秒（低于 3 秒）"]}
    monkeypatch.setitem(app.config, "EXAM_FLAG_MEDIAN_SECONDS", 2)
    assert suspicion.suspicious_attempts(exam) == {}
    monkeypatch.setitem(app.config, "EXAM_FLAG_MEDIAN_SECONDS", 4.5)
    assert suspicion.suspicious_attempts(exam) == {fast.id: ["答题过快：每题用时中位数 2.5 秒（低于 4.5 秒）"]}


@pytest.fixture
def copied(make, bank):
    """张三 (东湖村) and 李四 (西山村) answered 12 common questions alike, with the same 4
    wrong answers; 李四 also answered one question 张三 did not get."""
    exam, qs = bank
    zhang = cadre(make, make.org_unit(name="东湖村"), name="张三")
    li = cadre(make, make.org_unit(name="西山村"), name="李四")
    common = right(qs[:8]) + [wrong(q) for q in qs[8:12]]
    a = sat(exam, zhang, common)
    b = sat(exam, li, common + [wrong(qs[12], "C")])
    return exam, qs, a, b


def test_two_cadres_with_the_same_wrong_answers_are_both_flagged(make, copied):
    exam, qs, a, b = copied
    flags = suspicion.suspicious_attempts(exam)
    assert flags == {
        a.id: ["答案与 李四（西山村）第1次作答高度一致：共同作答 12 题中 12 题相同，其中 4 道错题答案相同"],
        b.id: ["答案与 张三（东湖村）第1次作答高度一致：共同作答 12 题中 12 题相同，其中 4 道错题答案相同"],
    }


def test_cadres_who_are_simply_right_or_differ_enough_are_not_flagged(make, bank):
    exam, qs = bank
    unit = make.org_unit()
    # Two perfect papers are the same answers, and no sign of copying.
    sat(exam, cadre(make, unit), right(qs[:12]))
    sat(exam, cadre(make, unit), right(qs[:12]))
    # The same 3 wrong answers, but 2 other answers differ: 10 of 12 is under 90 %.
    base = right(qs[:7]) + [wrong(q) for q in qs[7:10]]
    sat(exam, cadre(make, unit), base + [wrong(qs[10], "A"), wrong(qs[11], "A")])
    sat(exam, cadre(make, unit), base + [wrong(qs[10], "C"), wrong(qs[11], "D")])
    # The same 3 wrong answers and nothing else in common: 3 shared is under 10.
    sat(exam, cadre(make, unit), [wrong(q) for q in qs[:3]] + right(qs[3:8]))
    sat(exam, cadre(make, unit), [wrong(q) for q in qs[:3]] + right(qs[8:13]))
    assert suspicion.suspicious_attempts(exam) == {}


def test_one_cadres_own_attempts_are_not_compared(make, bank):
    exam, qs = bank
    exam.attempts_allowed = 2
    who = cadre(make, make.org_unit())
    answers = right(qs[:8]) + [wrong(q) for q in qs[8:12]]
    sat(exam, who, answers, number=1)
    sat(exam, who, answers, number=2)
    assert suspicion.suspicious_attempts(exam) == {}


@pytest.mark.parametrize("key, value, flagged", [
    ("EXAM_FLAG_MIN_SAME_WRONG", 4, True), ("EXAM_FLAG_MIN_SAME_WRONG", 5, False),
    ("EXAM_FLAG_MIN_SHARED", 12, True), ("EXAM_FLAG_MIN_SHARED", 13, False),
    ("EXAM_FLAG_MATCH_PERCENT", 91, True), ("EXAM_FLAG_MATCH_PERCENT", 92, False),
])
def test_the_match_thresholds_come_from_the_configuration(app, make, copied, monkeypatch, key, value, flagged):
    exam, qs, a, b = copied
    # One answer of 李四's changed: 11 of 12 alike (91.7 %), 4 of them wrong still.
    item = db.session.get(AttemptItem, (b.id, qs[0].id))
    item.answer, item.correct = ["D"], False
    db.session.flush()
    monkeypatch.setitem(app.config, key, value)
    assert (set(suspicion.suspicious_attempts(exam)) == {a.id, b.id}) is flagged


def test_several_matches_and_speed_are_all_given(make, copied):
    exam, qs, a, b = copied
    c = sat(exam, cadre(make, make.org_unit(name="南湾村"), name="王五"), right(qs[:8]) + [wrong(q) for q in qs[8:12]], gaps=2)
    flags = suspicion.suspicious_attempts(exam)
    assert flags[c.id][0].startswith("答题过快")
    assert [r.split("高度一致")[0] for r in flags[c.id][1:]] == ["答案与 张三（东湖村）第1次作答", "答案与 李四（西山村）第1次作答"]
    assert len(flags[a.id]) == len(flags[b.id]) == 2


def test_flags_change_no_result(make, copied):
    exam, qs, a, b = copied
    sat(exam, cadre(make, make.org_unit()), right(qs[:10]), gaps=1)
    before = results.exam_results(exam)
    stored = db.session.execute(select(ExamAttempt.id, ExamAttempt.score, ExamAttempt.passed, ExamAttempt.status)
                                .order_by(ExamAttempt.id)).all()
    flagged = results.exam_results(exam, flags=True)
    results.export_xlsx(exam)
    assert len(flagged["flagged"]) == 3
    assert {r["name"]: r["flags"] for r in flagged["cadres"] if r["flags"]}.keys() >= {"张三", "李四"}
    assert [{k: v for k, v in r.items() if k != "flags"} for r in flagged["cadres"]] == before["cadres"]
    assert (flagged["units"], flagged["total"]) == (before["units"], before["total"])
    db.session.expire_all()
    assert db.session.execute(select(ExamAttempt.id, ExamAttempt.score, ExamAttempt.passed, ExamAttempt.status)
                              .order_by(ExamAttempt.id)).all() == stored


def test_each_cadres_flags_name_the_attempt_when_several_are_allowed(make, copied):
    exam, qs, a, b = copied
    exam.attempts_allowed = 2
    rows = {r["name"]: r for r in results.exam_results(exam, flags=True)["cadres"]}
    assert rows["张三"]["flags"] == ["第1次作答：答案与 李四（西山村）第1次作答高度一致：共同作答 12 题中 12 题相同，其中 4 道错题答案相同"]


def test_statements_do_not_grow_with_attempts(make, count_queries):
    category = make.category()
    qs = make.questions(12, category)

    def measure(size):
        exam = make.exam(rules=[(category, "single", 12, 10)])
        unit = make.org_unit()
        for i in range(size):
            sat(exam, cadre(make, unit), right(qs[: 6 + i % 6]) + [wrong(q) for q in qs[6 + i % 6:]], gaps=1 + i % 5)
        db.session.commit()
        db.session.expire_all()
        with count_queries() as sql:
            flagged = suspicion.flagged_attempts(exam)
        return len(sql), len(flagged)

    (few, few_flagged), (many, many_flagged) = measure(3), measure(40)
    assert few == many <= 3 and many_flagged > few_flagged > 0


def test_a_thousand_attempts_are_judged_quickly():
    """1,000 attempts of 50 questions from a bank of 300, a few answering alike: judged
    well under a second (the pairs are found through shared wrong answers, not all pairs)."""
    rng = random.Random(15)
    start = datetime(2025, 6, 26, 1, 0)
    keys = {q: rng.choice("ABCD") for q in range(300)}
    attempts, answers, previous = {}, [], {}
    for aid in range(1, 1001):
        attempts[aid] = {"cadre_id": aid, "number": 1, "started_at": start, "name": f"干部{aid}", "unit": "单位"}
        if aid % 100 == 0:  # ten copies of the previous attempt's paper and answers
            given = previous
        else:
            given = {q: [keys[q] if rng.random() < 0.7 else rng.choice("ABCD")] for q in rng.sample(range(300), 50)}
        for i, (q, answer) in enumerate(given.items()):
            answers.append((aid, q, answer, answer == [keys[q]], start + timedelta(seconds=30 * (i + 1))))
        previous = given
    settings = {"median_seconds": 3, "min_shared": 10, "match_percent": 90, "min_same_wrong": 3}
    began = time.perf_counter()
    flags = suspicion.judge(attempts, answers, settings)
    elapsed = time.perf_counter() - began
    copies = {aid for aid in attempts if aid % 100 in (0, 99)}
    assert copies <= set(flags)
    assert elapsed < 1.0, elapsed
    # Two random papers of 50 from 300 share about 8 questions, and now and then 10 or 11
    # mostly alike: with more common questions required, only the copies are left.
    assert set(suspicion.judge(attempts, answers, dict(settings, min_shared=20))) == copies


def _alike_by_the_rule(attempts, answers, settings):
    """The rule of matching answers as the module's docstring states it, pair by pair: the
    reference the fast judgement must agree with."""
    papers = {}
    for aid, question, answer, correct, _ in answers:
        if answer is not None:
            papers.setdefault(aid, {})[question] = "right" if correct else tuple(sorted(map(str, answer)))
    matches = []
    for a, b in ((a, b) for a in papers for b in papers if a < b):
        if attempts[a]["cadre_id"] == attempts[b]["cadre_id"]:
            continue
        shared = papers[a].keys() & papers[b].keys()
        same = [q for q in shared if papers[a][q] == papers[b][q]]
        same_wrong = sum(1 for q in same if papers[a][q] != "right")
        if (len(shared) >= settings["min_shared"] and same_wrong >= max(settings["min_same_wrong"], 1)
                and len(same) * 100 >= settings["match_percent"] * len(shared)):
            matches.append((len(same), a, b, len(shared), same_wrong))
    reasons = {}
    for same, a, b, shared, wrong in sorted(matches, key=lambda m: (-m[0], m[1], m[2])):
        for one, other in ((a, b), (b, a)):
            o = attempts[other]
            reasons.setdefault(one, []).append(f"答案与 {o['name']}（{o['unit']}）第{o['number']}次作答高度一致："
                                               f"共同作答 {shared} 题中 {same} 题相同，其中 {wrong} 道错题答案相同")
    return reasons


def _random_exam(seed, size=160):
    """Attempts drawn from a bank of 40 questions (true/false and single choice) by
    cadres of every skill, some sitting twice, some copying another's paper with a few
    answers changed; answers as `_read` gives them (a right one as its JSON text)."""
    rng = random.Random(seed)
    start = datetime(2025, 6, 26, 1, 0)
    keys = {q: (rng.choice("AB"), "AB") if q < 15 else (rng.choice("ABCD"), "ABCD") for q in range(40)}
    attempts, answers, papers = {}, [], []
    for aid in range(1, size + 1):
        cadre_id = aid - 1 if aid % 17 == 0 else aid  # a second attempt of the previous cadre
        attempts[aid] = {"cadre_id": cadre_id, "number": 2 if aid % 17 == 0 else 1, "started_at": start,
                         "name": f"干部{cadre_id}", "unit": f"单位{cadre_id % 5}"}
        if papers and rng.random() < 0.15:  # a near-copy of an earlier paper
            paper = dict(rng.choice(papers))
            for q in rng.sample(sorted(paper), rng.randint(0, 3)):
                paper[q] = rng.choice(keys[q][1])
        else:
            skill = rng.uniform(0.3, 1.0)
            paper = {q: keys[q][0] if rng.random() < skill else rng.choice(keys[q][1])
                     for q in rng.sample(range(40), rng.randint(12, 30))}
            if rng.random() < 0.05:
                paper[rng.choice(sorted(paper))] = None  # seen, not answered
        papers.append(paper)
        for i, (q, key) in enumerate(paper.items()):
            right = key == keys[q][0]
            answer = None if key is None else (f'["{key}"]' if right else [key])
            answers.append((aid, q, answer, right, start + timedelta(seconds=30 * (i + 1))))
    return attempts, answers


@pytest.mark.parametrize("seed, min_shared, match_percent, min_same_wrong", [
    (1, 10, 90, 3), (2, 15, 90, 3), (3, 8, 80, 2), (4, 10, 93.3, 1), (5, 12, 85.5, 4), (6, 10, 100, 2), (7, 5, 70, 0),
])
def test_the_judgement_is_the_rule_pair_by_pair(seed, min_shared, match_percent, min_same_wrong):
    attempts, answers = _random_exam(seed)
    settings = {"median_seconds": 0, "min_shared": min_shared, "match_percent": match_percent,
                "min_same_wrong": min_same_wrong}
    expected = _alike_by_the_rule(attempts, answers, settings)
    assert expected  # some pairs are alike, and more are near misses
    assert suspicion.judge(attempts, answers, settings) == expected


def test_pairs_sharing_only_common_wrong_answers_are_not_scored_one_by_one(monkeypatch):
    """400 cadres who all got the same 5 true/false questions wrong in the same way (the
    district's annual exam: hundreds answer a true/false question wrongly, and all alike),
    and answered 15 others each their own way; 3 of them copied. Only the copies are
    scored pair by pair, not the 79,800 pairs with 5 same wrong answers."""
    rng = random.Random(19)
    start = datetime(2025, 6, 26, 1, 0)
    attempts, answers, first = {}, [], None
    for aid in range(1, 401):
        attempts[aid] = {"cadre_id": aid, "number": 1, "started_at": start, "name": f"干部{aid}", "unit": "单位"}
        given = [[rng.choice("ABCD")] for _ in range(15)]
        if aid % 100 == 1:  # 101, 201 and 301 copied 1
            first = given = first or given
        for q in range(20):
            answer = ["B"] if q < 5 else given[q - 5]
            answers.append((aid, q, answer, False, start + timedelta(seconds=30 * (q + 1))))
    scored = []
    real_score = suspicion._score
    monkeypatch.setattr(suspicion, "_score", lambda one, other: scored.append(1) or real_score(one, other))
    settings = {"median_seconds": 3, "min_shared": 15, "match_percent": 90, "min_same_wrong": 3}
    flags = suspicion.judge(attempts, answers, settings)
    assert set(flags) == {1, 101, 201, 301}
    assert len(scored) < 100
