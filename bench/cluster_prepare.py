"""Answer pairs for a running `scripts/cluster` (issue 19's nginx-vs-direct measure).

    python bench/cluster_prepare.py STATE_FILE NUM_PAIRS --out FILE [--questions N] [--jobs J]

With the cluster's own environment (its state file: DATABASE_URL, SECRET_KEY, REDIS_URL,
PUFA_ENV=production ...): a bench category of --questions generated questions
(bench/prepare.py's bench_question), NUM_PAIRS/10 users, one practice quiz each through
the app's own start_quiz, a token each (accounts.tokens.issue with the cluster's secret),
and the pairs file bench/answer.lua reads (path TAB body TAB token), interleaved across
quizzes as bench/prepare.py writes it. The cluster's database is added to, not recreated."""
import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from prepare import QUIZ_SIZE, _make_quizzes, bench_question  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("state")
    p.add_argument("pairs", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--questions", type=int, default=2000)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    os.environ.update(json.loads(Path(args.state).read_text())["env"])
    t0 = time.monotonic()

    from accounts.models import User
    from core import create_app
    from core.extensions import db
    from quiz_bank.models import Category
    from quiz_bank.questions import create_question

    app = create_app()
    with app.app_context():
        category = Category(name="压测分类", slug=f"bench-{int(time.time())}", description="benchmark questions", sort_order=99)
        db.session.add(category)
        db.session.flush()
        category_id = category.id
        for i in range(args.questions):
            create_question(bench_question(i, category_id))
        db.session.commit()
        n_quizzes = -(-args.pairs // QUIZ_SIZE)
        stamp = int(time.time())
        users = [User(openid=f"bench:{stamp}:{i}", nickname=f"压测用户{i}") for i in range(n_quizzes)]
        db.session.add_all(users)
        db.session.commit()
        user_ids = [u.id for u in users]
        db.session.remove()
        db.engine.dispose()
    print(f"questions {args.questions}, users {n_quizzes} ({time.monotonic() - t0:.1f}s)", flush=True)

    chunks = [(user_ids[i::args.jobs], category_id) for i in range(args.jobs)]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        quizzes = sorted((q for part in pool.map(_make_quizzes, chunks) for q in part), key=lambda q: q[0])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for position in range(QUIZ_SIZE):
            for quiz_id, token, items in quizzes:
                if written == args.pairs:
                    break
                qid, answer = items[position]
                body = json.dumps({"question_id": qid, "answer": answer}, separators=(",", ":"))
                f.write(f"/api/v1/quizzes/{quiz_id}/answers\t{body}\t{token}\n")
                written += 1
    print(f"pairs: {written} -> {out} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
