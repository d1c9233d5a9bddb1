"""Attempts worth a second look: answered too fast, or answered like someone else.

A flag is a reason for the office to look, shown on the results page and in the
spreadsheet; it never changes a score, a result or anything else. Only finished attempts
(submitted, or handed in when the time ran out) are judged.

- Too fast: the gaps between answers (the first from the start) have a median under
  EXAM_FLAG_MEDIAN_SECONDS, over at least MIN_ANSWERED answered questions.
- Alike: papers are drawn per person, so two attempts of different cadres are compared on
  the questions both answered. Both are flagged when they share at least
  EXAM_FLAG_MIN_SHARED of them, at least EXAM_FLAG_MATCH_PERCENT % of those answers are
  the same, and at least EXAM_FLAG_MIN_SAME_WRONG of the same answers are wrong (two
  cadres who know the law answer alike without copying; the same wrong answers do not).

Two statements whatever the number of attempts. Pairs are not listed to be compared:
each attempt is set against all the others at once on bit sets of attempts (`_alike`),
and only the few pairs that may still be alike are scored one by one (a right answer is
the key, so two right answers are always the same answer).
"""
import json
import math
import statistics
from collections import defaultdict

from flask import current_app
from sqlalchemy import String, cast, select

from accounts.models import Cadre, OrgUnit
from core.extensions import db
from quiz_bank.exams.models import ATTEMPT_STATUS_LABELS, AttemptItem, Exam, ExamAttempt
from quiz_bank.exams.results import FINISHED

# Fewer answers than this say nothing about speed (a cadre who answered two and gave up).
MIN_ANSWERED = 5
# A right answer, in place of what was given: two right answers are the same answer.
RIGHT = None


def _settings() -> dict:
    cfg = current_app.config
    return {
        "median_seconds": cfg["EXAM_FLAG_MEDIAN_SECONDS"],
        "min_shared": cfg["EXAM_FLAG_MIN_SHARED"],
        "match_percent": cfg["EXAM_FLAG_MATCH_PERCENT"],
        # At least one: with none, every pair of perfect papers would match, and finding
        # pairs through shared wrong answers would miss them anyway.
        "min_same_wrong": max(cfg["EXAM_FLAG_MIN_SAME_WRONG"], 1),
    }


def _read(exam_id: int) -> tuple[dict[int, dict], list[tuple]]:
    """The exam's finished attempts with who sat them (by id), and (attempt id, question
    id, answer, correct, answered_at) of every answered item of theirs.

    Two statements: the attempt's columns are not repeated on each of its items. Answers
    come as their JSON text and only wrong ones are decoded (`judge` needs no right one):
    decoding 50,000 answers took more time than the whole judgement."""
    finished = (ExamAttempt.exam_id == exam_id, ExamAttempt.status.in_(FINISHED))
    attempts = {
        r.id: r._asdict() for r in db.session.execute(
            select(ExamAttempt.id, ExamAttempt.cadre_id, ExamAttempt.number, ExamAttempt.started_at, ExamAttempt.score,
                   ExamAttempt.status, Cadre.name, OrgUnit.id.label("unit_id"), OrgUnit.name.label("unit"))
            .join(Cadre, Cadre.id == ExamAttempt.cadre_id).join(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
            .where(*finished)
        )
    }
    items = db.session.execute(
        select(AttemptItem.attempt_id, AttemptItem.question_id, cast(AttemptItem.answer, String), AttemptItem.correct,
               AttemptItem.answered_at)
        .join(ExamAttempt, ExamAttempt.id == AttemptItem.attempt_id)
        .where(*finished, AttemptItem.answered_at.is_not(None))
    ).tuples()
    answers = []
    for aid, qid, text, correct, answered_at in items:
        # A right answer stays text: it is the key, never compared.
        answer = None if text is None or text == "null" else (text if correct else json.loads(text))
        answers.append((aid, qid, answer, correct, answered_at))
    return attempts, answers


def _seconds(value: float) -> str:
    """One decimal, rounded down: 2.96 s under a 3 s line reads 2.9, not 3.0."""
    return f"{math.floor(value * 10 + 1e-9) / 10:.1f}"  # 1e-9: in case a tenth is held just under itself


def judge(attempts: dict[int, dict], answers, settings: dict) -> dict[int, list[str]]:
    """The reasons per flagged attempt id, from what `_read` read. An answer is None when
    not given; a right one is not looked at (it is the key)."""
    times: dict[int, list] = defaultdict(list)
    papers: dict[int, dict] = defaultdict(dict)  # attempt -> question -> its answer (RIGHT when right)
    for attempt_id, question_id, answer, correct, answered_at in answers:
        if answer is None or attempt_id not in attempts:
            continue
        times[attempt_id].append(answered_at)
        papers[attempt_id][question_id] = RIGHT if correct else tuple(sorted(map(str, answer)))

    reasons: dict[int, list[str]] = defaultdict(list)

    limit = settings["median_seconds"]
    for attempt_id, stamps in times.items():
        if len(stamps) < MIN_ANSWERED:
            continue
        stamps.sort()
        previous = [attempts[attempt_id]["started_at"], *stamps[:-1]]
        median = statistics.median((b - a).total_seconds() for a, b in zip(previous, stamps))
        if median < limit:
            reasons[attempt_id].append(f"答题过快：每题用时中位数 {_seconds(median)} 秒（低于 {limit:g} 秒）")

    for same, a, b, shared, wrong in _alike(attempts, papers, settings):
        for one, other in ((a, b), (b, a)):
            o = attempts[other]
            reasons[one].append(f"答案与 {o['name']}（{o['unit']}）第{o['number']}次作答高度一致："
                                f"共同作答 {shared} 题中 {same} 题相同，其中 {wrong} 道错题答案相同")
    return dict(reasons)


def _at_least(count: int, sets, within: int) -> int:
    """Which members of `within` are in at least `count` of `sets` (bit sets): a
    saturating counter kept as one bit set a level, so each set costs a few big-integer
    operations whatever the number of members."""
    levels = [0] * count  # levels[k]: in at least k + 1 of the sets so far
    for members in sets:
        members &= within
        for k in range(count - 1, 0, -1):
            levels[k] |= levels[k - 1] & members
        levels[0] |= members
    return levels[-1]


def _score(one: tuple[int, int, int], other: tuple[int, int, int]) -> tuple[int, int, int]:
    """(shared, same, same wrong) of two attempts, each as bit sets of its answered
    questions, its right ones and its wrong answers."""
    same_wrong = (one[2] & other[2]).bit_count()
    return (one[0] & other[0]).bit_count(), (one[1] & other[1]).bit_count() + same_wrong, same_wrong


def _alike(attempts: dict[int, dict], papers: dict[int, dict], settings: dict) -> list[tuple]:
    """(same, a, b, shared, same wrong) of each pair of attempts judged alike, a < b, most
    alike first; `papers`: attempt id -> question id -> answer (RIGHT when right).

    An attempt is bit i of one bit set per question and one per (question, answer), so it
    is set against all the attempts of higher ids (the lower bits) at once, in a few
    big-integer operations per question of its paper. Left out: those sharing fewer than
    min_same_wrong of its wrong answers, and those answering more of its questions
    otherwise than the match percent allows on a paper of its length (a pair shares no
    more questions than either answered). Only the pairs left are scored one by one: a
    near-copy or a near miss, not every pair who got the same true/false question wrong."""
    min_shared, percent = settings["min_shared"], settings["match_percent"]
    min_wrong = max(settings["min_same_wrong"], 1)  # pairs are only alike through a same wrong answer
    ids = sorted(papers, reverse=True)  # the later attempts in the lower bits: shorter numbers
    cadres = [attempts[aid]["cadre_id"] for aid in ids]
    question_pos: dict[int, int] = {}
    answer_pos: dict[tuple, int] = {}
    on_question: list[int] = []  # bit sets of attempt positions, per question position
    on_answer: list[int] = []  # ... per answer position (question, answer)
    answer_question: list[int] = []  # the question position of each answer position
    bits: list[tuple] = []  # per attempt position: `_score`'s bit sets (of question or answer positions)
    given: list[list] = []  # per attempt position: its answer positions, wrong ones first
    wrongs: list[int] = []  # ... how many of them are wrong
    for i, aid in enumerate(ids):
        bit = 1 << i
        q_bits = r_bits = w_bits = 0
        mine_wrong, mine_right = [], []
        for question_id, answer in papers[aid].items():
            q = question_pos.setdefault(question_id, len(question_pos))
            if q == len(on_question):
                on_question.append(0)
            t = answer_pos.setdefault((question_id, answer), len(answer_pos))
            if t == len(on_answer):
                on_answer.append(0)
                answer_question.append(q)
            on_question[q] |= bit
            on_answer[t] |= bit
            q_bits |= 1 << q
            if answer is RIGHT:
                r_bits |= 1 << q
                mine_right.append(t)
            else:
                w_bits |= 1 << t
                mine_wrong.append(t)
        bits.append((q_bits, r_bits, w_bits))
        given.append(mine_wrong + mine_right)  # a wrong answer is the likelier to be answered otherwise
        wrongs.append(len(mine_wrong))
    # Who answered the question otherwise than with this answer, per answer position.
    other = [on_question[q] ^ members for q, members in zip(answer_question, on_answer)]

    matches = []
    for i, aid in enumerate(ids):
        length = len(given[i])
        # More different answers than this fail the match percent on any common questions
        # (at most `length`); the 1e-9 keeps a float just under a whole number from ruling
        # out a pair that the exact test below accepts.
        allowed = math.floor((100 - percent) * length / 100 + 1e-9)
        if length < min_shared or wrongs[i] < min_wrong or allowed < 0:
            continue
        candidates = _at_least(min_wrong, (on_answer[t] for t in given[i][:wrongs[i]]), (1 << i) - 1)
        if candidates and allowed < length:
            candidates &= ~_at_least(allowed + 1, (other[t] for t in given[i]), candidates)
        found = bin(candidates)
        at = found.find("1", 2)
        while at != -1:
            j = len(found) - 1 - at
            if cadres[i] != cadres[j]:
                shared, same, same_wrong = _score(bits[i], bits[j])
                if same_wrong >= min_wrong and shared >= min_shared and same * 100 >= percent * shared:
                    matches.append((same, aid, ids[j], shared, same_wrong))
            at = found.find("1", at + 1)
    matches.sort(key=lambda m: (-m[0], m[1], m[2]))
    return matches


def suspicious_attempts(exam: Exam) -> dict[int, list[str]]:
    """Attempt id -> why it is worth a second look (in Chinese), for the flagged
    finished attempts of the exam."""
    return judge(*_read(exam.id), _settings())


def flagged_attempts(exam: Exam) -> list[dict]:
    """The flagged attempts with who sat them, in the results' order (unit, cadre):
    attempt_id, cadre_id, name, unit, number, score, status (label) and reasons."""
    attempts, answers = _read(exam.id)
    reasons = judge(attempts, answers, _settings())
    rows = [
        {"attempt_id": aid, "cadre_id": attempts[aid]["cadre_id"], "name": attempts[aid]["name"],
         "unit": attempts[aid]["unit"], "number": attempts[aid]["number"], "score": attempts[aid]["score"],
         "status": ATTEMPT_STATUS_LABELS[attempts[aid]["status"]], "reasons": why}
        for aid, why in reasons.items()
    ]
    rows.sort(key=lambda r: (attempts[r["attempt_id"]]["unit_id"], r["cadre_id"], r["number"]))
    return rows
