"""The exam storm at district size (issue 19): an exam on a copy of the district's database.

    python bench/exam_district_prepare.py DATABASE_URL [--cadres 5000] [--out FILE]

On an existing database seeded by `flask seed-district` (a throwaway copy: this adds an
exam): one annual exam open now (opened an hour ago, closes in a day, 60 minutes, one
attempt), assigned to every cadre of the district (assign_all), with bench/exam_prepare.py's
paper rules (50 questions of the shipped laws, 100 points, checked against the bank) and
exam (its open_exam): papers drawn ahead where the code does that
(quiz_bank.exams.papers.draw_ahead), as saving it in the panel does. The
first --cadres cadres bound to a user (every town's) get a token (accounts.tokens.issue).
Output: bench/exam_prepare.py's JSON, which bench/exam_hour.py reads."""
import argparse
import sys
import time
from pathlib import Path

import benchdb
from exam_prepare import open_exam, paper_rules

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("--cadres", type=int, default=5000)
    p.add_argument("--out", default="/tmp/pufa-bench/exam-district/cadres.json")
    args = p.parse_args()
    import os

    os.environ["DATABASE_URL"] = args.database_url
    t0 = time.monotonic()
    from sqlalchemy import func, select

    from accounts import tokens
    from accounts.models import Cadre
    from core import create_app
    from core.extensions import db

    app = create_app()
    with app.app_context():
        exam = open_exam(db, "区级压测风暴", paper_rules(db))
        total = db.session.scalar(select(func.count()).select_from(Cadre))
        cadres = db.session.execute(select(Cadre.id, Cadre.user_id).where(Cadre.user_id.is_not(None))
                                    .order_by(Cadre.id).limit(args.cadres)).all()
        out = {"exam_id": exam.id, "question_count": exam.question_count, "total_score": exam.total_score,
               "database_url": args.database_url,
               "cadres": [{"user_id": uid, "cadre_id": cid, "token": tokens.issue(uid)[0]} for cid, uid in cadres]}
        print(f"exam {exam.id}: {exam.question_count} questions, {exam.total_score} points, assigned to all {total} cadres; "
              f"{len(cadres)} bound cadres with tokens ({time.monotonic() - t0:.1f}s)", flush=True)
        db.session.remove()
        db.engine.dispose()
    path = benchdb.write_json(args.out, out)
    print(f"tokens: {len(out['cadres'])} -> {path}", flush=True)


if __name__ == "__main__":
    main()
