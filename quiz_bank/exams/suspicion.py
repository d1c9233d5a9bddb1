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

Two statements whatever the number of attempts. No pair of attempts is compared unless
it shares enough identical wrong answers: the pairs come from an index of (question,
wrong answer) -> attempts, and each is then scored with a few operations on bit sets
(a right answer is the key, so two right answers are always the same answer).
"""
import json
import math
import statistics
from collections import Counter, defaultdict
from itertools import combinations

from flask import current_app
from sqlalchemy import String, cast, select

from accounts.models import Cadre, OrgUnit
from core.extensions import db
from quiz_bank.exams.models import ATTEMPT_STATUS_LABELS, AttemptItem, Exam, ExamAttempt
from quiz_bank.exams.results import FINISHED

# Fewer answers than this say nothing about speed (a cadre who answered two and gave up).
MIN_ANSWERED = 5


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
    bit_of: dict[int, int] = {}
    answered: dict[int, int] = defaultdict(int)  # bit sets of question positions
    right: dict[int, int] = defaultdict(int)
    wrong_alike: dict[tuple, list[int]] = defaultdict(list)
    for attempt_id, question_id, answer, correct, answered_at in answers:
        if answer is None or attempt_id not in attempts:
            continue
        times[attempt_id].append(answered_at)
        bit = 1 << bit_of.setdefault(question_id, len(bit_of))
        answered[attempt_id] |= bit
        if correct:
            right[attempt_id] |= bit
        else:
            wrong_alike[(question_id, tuple(sorted(map(str, answer))))].append(attempt_id)

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

    # Pairs sharing identical wrong answers, and how many (Counter counts in C).
    same_wrong: Counter = Counter()
    for ids in wrong_alike.values():
        if len(ids) > 1:
            same_wrong.update(combinations(sorted(ids), 2))
    matches = []
    for (a, b), wrong in same_wrong.items():
        if wrong < settings["min_same_wrong"] or attempts[a]["cadre_id"] == attempts[b]["cadre_id"]:
            continue
        shared = (answered[a] & answered[b]).bit_count()
        same = (right[a] & right[b]).bit_count() + wrong
        if shared >= settings["min_shared"] and same * 100 >= settings["match_percent"] * shared:
            matches.append((same, a, b, shared, wrong))
    matches.sort(key=lambda m: (-m[0], m[1], m[2]))
    for same, a, b, shared, wrong in matches:
        for one, other in ((a, b), (b, a)):
            o = attempts[other]
            reasons[one].append(f"答案与 {o['name']}（{o['unit']}）第{o['number']}次作答高度一致："
                                f"共同作答 {shared} 题中 {same} 题相同，其中 {wrong} 道错题答案相同")
    return dict(reasons)


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
