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
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from prepare import QUIZ_SIZE, add_bench_questions, add_users, make_quizzes, write_pairs  # noqa: E402


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

    from core import create_app
    from core.extensions import db

    app = create_app()
    with app.app_context():
        stamp = int(time.time())
        # A category of its own each run (names and slugs are unique): the cluster's database is added to.
        category_id = add_bench_questions(db, args.questions, slug=f"bench-{stamp}", name=f"压测分类{stamp}")
        n_quizzes = -(-args.pairs // QUIZ_SIZE)
        user_ids = add_users(db, n_quizzes, f"bench:{stamp}")
    print(f"questions {args.questions}, users {n_quizzes} ({time.monotonic() - t0:.1f}s)", flush=True)

    quizzes = make_quizzes(user_ids, category_id, args.jobs)
    written, out = write_pairs(args.out, quizzes, args.pairs)
    print(f"pairs: {written} -> {out} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
