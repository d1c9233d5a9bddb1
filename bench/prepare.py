"""Build a benchmark database and a file of fresh (quiz, question) answer pairs.

    python bench/prepare.py DATABASE_URL NUM_PAIRS [--out FILE] [--questions N] [--jobs J]

* PostgreSQL: the database named in the URL is dropped and created again (its name
  must contain "bench"; the test suite's `test` database is refused).
  SQLite: the file is deleted and created again.
* Schema by Alembic (`flask db upgrade`), the shipped bank (quiz_bank.loader.load_bank), plus
  --questions generated, valid questions in a category of their own (slug "bench").
* NUM_PAIRS answers are prepared through the app's own code: users, practice quizzes
  (quiz_bank.quizzes.start_quiz, 10 questions each, one quiz per user, so every
  correct answer also pays a point into the ledger as a resident's first set of
  the day would), and a token per user (accounts.tokens.issue). Quizzes are made in
  --jobs processes; each start_quiz is its own unit of work, as in the app.
* The pairs file has one line per answer: path <TAB> JSON body <TAB> token.
  Lines are interleaved across quizzes (line i belongs to quiz i mod Q), so requests
  in flight at the same time belong to different quizzes, like real users
  answering one question at a time. Every answer is the question's correct answer.

Run from the repository root with the app's venv; set SECRET_KEY (and PUFA_INSTANCE)
the same way as for the server, or the tokens will not verify."""
import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUIZ_SIZE = 10  # practice
LAWS = ["民法典", "宪法", "长江保护法", "治安管理处罚法", "道路交通安全法"]
NUMERALS = "一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..999 in Chinese numerals, good enough for an article number."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += NUMERALS[hundreds - 1] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if (tens == 1 and not hundreds) else NUMERALS[tens - 1]) + "十"
    if ones:
        out += NUMERALS[ones - 1]
    return out


def bench_question(i: int, category_id: int) -> dict:
    law = LAWS[i % len(LAWS)]
    article = chinese_number(i % 999 + 1)
    kind = ("single", "single", "multiple", "true_false")[i % 4]
    stem = f"压测题{i}：依照《{law}》第{article}条，下列说法中哪一项（或哪些项）是正确的？"
    if kind == "true_false":
        return {"category_id": category_id, "type": kind, "stem": stem.replace("下列说法中哪一项（或哪些项）是正确的？", "本条规定是否适用于乡镇？"),
                "answer": ["T" if i % 2 else "F"], "explanation": f"压测题{i}的解析。", "source": f"《{law}》第{article}条", "difficulty": 1 + i % 3}
    options = [{"key": k, "text": f"压测题{i}的选项{k}"} for k in "ABCD"]
    answer = ["ABCD"[i % 4]] if kind == "single" else sorted({"ABCD"[i % 4], "ABCD"[(i + 1) % 4]})
    return {"category_id": category_id, "type": kind, "stem": stem, "options": options, "answer": answer,
            "explanation": f"压测题{i}的解析。", "source": f"《{law}》第{article}条", "difficulty": 1 + i % 3}


def _make_quizzes(job: tuple[list[int], int]) -> list[tuple[int, str, list]]:
    """In a worker process: one practice quiz per user, through the app's own code.
    Returns (quiz_id, token, [(question_id, correct answer), ...] in quiz order)."""
    import random

    from sqlalchemy import select

    from accounts import tokens
    from core import create_app
    from core.extensions import db
    from quiz_bank.models import Question
    from quiz_bank.quizzes import start_quiz

    random.seed(os.urandom(16))  # forked workers must not draw the same questions
    user_ids, category_id = job
    app = create_app()
    out = []
    with app.app_context():
        benchdb.fast_commits(db)
        answers = dict(db.session.execute(select(Question.id, Question.answer).where(Question.category_id == category_id)).all())
        for uid in user_ids:
            quiz, created = start_quiz(uid, "practice", category_id)
            assert created and quiz.question_count == QUIZ_SIZE, (created, quiz.question_count)
            qids = [it.question_id for it in sorted(quiz.items, key=lambda it: it.position)]
            out.append((quiz.id, tokens.issue(uid)[0], [(q, answers[q]) for q in qids]))
            db.session.expunge_all()
        db.session.remove()
        db.engine.dispose()
    return out


def add_bench_questions(db, n: int, slug: str = "bench", name: str = "压测分类") -> int:
    """In an app context: the bench category (`name`, slug `slug`: both unique) with `n`
    generated questions, committed. Returns the category's id."""
    from quiz_bank.models import Category
    from quiz_bank.questions import create_question

    category = Category(name=name, slug=slug, description="benchmark questions", sort_order=99)
    db.session.add(category)
    db.session.flush()
    category_id = category.id
    for i in range(n):
        create_question(bench_question(i, category_id))
    db.session.commit()
    return category_id


def add_users(db, n: int, openid_prefix: str) -> list[int]:
    """In an app context: `n` users (openid PREFIX:i), committed. Returns their ids, and
    leaves no connection open: none may cross make_quizzes' fork."""
    from accounts.models import User

    users = [User(openid=f"{openid_prefix}:{i}", nickname=f"压测用户{i}") for i in range(n)]
    db.session.add_all(users)
    db.session.commit()
    user_ids = [u.id for u in users]
    db.session.remove()
    db.engine.dispose()
    return user_ids


def make_quizzes(user_ids: list[int], category_id: int, jobs: int) -> list[tuple[int, str, list]]:
    """One practice quiz per user, in `jobs` forked processes (_make_quizzes), by quiz id."""
    chunks = [(user_ids[i::jobs], category_id) for i in range(jobs)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sorted((q for part in pool.map(_make_quizzes, chunks) for q in part), key=lambda q: q[0])


def write_pairs(path: str, quizzes: list[tuple[int, str, list]], pairs: int) -> tuple[int, Path]:
    """At most `pairs` lines of path <TAB> JSON body <TAB> token, interleaved across the
    quizzes (position by position), each (quiz, question) once. Returns (lines, path)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    seen = set()
    with out.open("w", encoding="utf-8") as f:
        for position in range(QUIZ_SIZE):
            for quiz_id, token, items in quizzes:
                if written == pairs:
                    break
                qid, answer = items[position]
                assert (quiz_id, qid) not in seen
                seen.add((quiz_id, qid))
                body = json.dumps({"question_id": qid, "answer": answer}, separators=(",", ":"))
                f.write(f"/api/v1/quizzes/{quiz_id}/answers\t{body}\t{token}\n")
                written += 1
    return written, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("pairs", type=int, help="number of fresh (quiz, question) answers to prepare")
    p.add_argument("--out", default="/tmp/pufa-bench/pairs.tsv")
    p.add_argument("--questions", type=int, default=2000, help="generated questions in the bench category")
    p.add_argument("--jobs", type=int, help="processes creating quizzes (start_quiz); default 2 on "
                   "PostgreSQL, 1 on SQLite (whose single writer makes a second process slower)")
    args = p.parse_args()

    if args.jobs is None:
        args.jobs = 1 if args.database_url.startswith("sqlite") else 2
    t0 = benchdb.start(args.database_url)

    from sqlalchemy import select

    from core import create_app
    from core.extensions import db
    from quiz_bank.models import QuizItem

    app = create_app()
    with app.app_context():
        shipped = benchdb.create_schema(db, bank=True)
        category_id = add_bench_questions(db, args.questions)
        print(f"questions: shipped {sum(shipped.values())}, generated {args.questions} "
              f"({time.monotonic() - t0:.1f}s)", flush=True)
        n_quizzes = -(-args.pairs // QUIZ_SIZE)
        user_ids = add_users(db, n_quizzes, "bench")

    quizzes = make_quizzes(user_ids, category_id, args.jobs)
    assert len(quizzes) == n_quizzes

    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(QuizItem).where(QuizItem.answered_at.is_not(None))) == 0
        print(f"users/quizzes: {n_quizzes} ({time.monotonic() - t0:.1f}s)", flush=True)
        benchdb.finish(db)

    written, out = write_pairs(args.out, quizzes, args.pairs)
    print(f"pairs: {written} -> {out} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
