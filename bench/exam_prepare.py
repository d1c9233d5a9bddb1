"""Build the database for the exam-hour benchmark and a file of cadre tokens.

    python bench/exam_prepare.py DATABASE_URL [--cadres 1000] [--out FILE] [--units 20]

* PostgreSQL: the database named in the URL is dropped and created again, or created if
  it is missing (its name must contain "bench"; bench/benchdb.py's recreate_database).
  SQLite: the file is deleted and created again.
* Schema by Alembic (`flask db upgrade`) and the shipped bank (quiz_bank.loader.load_bank).
* A town with --units village / community / department units under it.
* --cadres users, each bound to a cadre on the roster (role "cadre", as
  accounts.roster.bind leaves them; same fields as tests/factories.py), spread over
  the units.
* One annual exam, open now (opened an hour ago, closes in a day, 60 minutes per
  attempt, one attempt, review after the exam closes), assigned to every cadre
  (assign_all), with paper rules drawing 50 questions: five laws of the shipped bank
  x (5 single-choice + 3 multiple-choice + 2 true/false), 2 points each (100 in all).
  The script checks that the bank has enough active questions for every rule. Where
  the revision draws papers ahead (quiz_bank.exams.papers), they are drawn here, as
  saving the exam in the panel does.
* The output is JSON: {"exam_id", "question_count", "total_score", "database_url",
  "cadres": [{"user_id", "cadre_id", "token"}, ...]}; tokens by accounts.tokens.issue.

Run from the repository root with the app's venv; set SECRET_KEY (and PUFA_INSTANCE)
the same way as for the server, or the tokens will not verify."""
import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (category slug, question type, count, points): 5 laws x (5 + 3 + 2) = 50 questions, 100 points.
LAWS = ["xianfa", "minfadian", "changjiang", "xingzhengchufa", "tudi"]
RULES = [(slug, qtype, count, 2) for slug in LAWS for qtype, count in (("single", 5), ("multiple", 3), ("true_false", 2))]
UNIT_KINDS = ("village", "community", "department")


def paper_rules(db) -> list:
    """In an app context: RULES as PaperRule rows, checked against the bank (a rule the
    bank cannot fill makes every start answer 409 paper_unavailable)."""
    from sqlalchemy import func, select

    from quiz_bank.exams.models import PaperRule
    from quiz_bank.models import Category, Question

    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    available = {
        (cid, qtype): n for cid, qtype, n in db.session.execute(
            select(Question.category_id, Question.type, func.count())
            .where(Question.status == "active").group_by(Question.category_id, Question.type))
    }
    rules = []
    for slug, qtype, count, points in RULES:
        if slug not in categories:
            raise SystemExit(f"the shipped bank has no category {slug!r}")
        have = available.get((categories[slug].id, qtype), 0)
        if have < count:
            raise SystemExit(f"category {slug!r} has {have} active {qtype} questions, the rule needs {count}")
        rules.append(PaperRule(category_id=categories[slug].id, qtype=qtype, count=count, points=points))
    return rules


def open_exam(db, label: str, rules: list):
    """In an app context: one annual exam with `rules`, open now (opened an hour ago, closes
    in a day, 60 minutes, one attempt, review after it closes), assigned to every cadre
    (assign_all), committed with whatever the session holds; its papers drawn ahead where
    the revision does that (quiz_bank.exams.papers), as saving the exam in the panel does."""
    from core.timeutil import utcnow
    from quiz_bank.exams.models import Exam

    now = utcnow()
    exam = Exam(title=f"{now.year}年度学法考试（{label}）", kind="annual", opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=1), duration_minutes=60, pass_score=60, attempts_allowed=1,
                assign_all=True, review_policy="after_close", shuffle_options=True)
    exam.rules = rules
    db.session.add(exam)
    db.session.commit()
    try:
        from quiz_bank.exams.papers import draw_ahead
    except ImportError:
        return exam
    t1 = time.monotonic()
    drawn = draw_ahead(exam)
    db.session.commit()
    print(f"papers drawn ahead: {drawn} ({time.monotonic() - t1:.1f}s)", flush=True)
    return exam


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("--cadres", type=int, default=1000)
    p.add_argument("--units", type=int, default=20, help="org units under the town")
    p.add_argument("--out", default="/tmp/pufa-bench/exam/cadres.json")
    args = p.parse_args()

    t0 = benchdb.start(args.database_url)

    from accounts import tokens
    from accounts.models import Cadre, OrgUnit, User
    from accounts.roster import new_code
    from core import create_app
    from core.extensions import db
    from core.timeutil import utcnow

    app = create_app()
    with app.app_context():
        shipped = benchdb.create_schema(db, bank=True)
        db.session.commit()
        print(f"questions: shipped {sum(shipped.values())} ({time.monotonic() - t0:.1f}s)", flush=True)
        rules = paper_rules(db)

        town = OrgUnit(name="压测镇", kind="town")
        db.session.add(town)
        db.session.flush()
        suffix = {"village": "村", "community": "社区", "department": "办"}
        units = []
        for i in range(args.units):
            kind = UNIT_KINDS[i % len(UNIT_KINDS)]
            units.append(OrgUnit(name=f"压测{i + 1}{suffix[kind]}", kind=kind, parent_id=town.id))
        db.session.add_all(units)
        db.session.flush()

        now = utcnow()
        codes: set[str] = set()
        while len(codes) < args.cadres:
            codes.add(new_code())
        users, cadres = [], []
        for i, code in enumerate(sorted(codes)):
            unit = units[i % len(units)]
            name = f"压测干部{i + 1}"
            user = User(openid=f"bench-exam:{i}", nickname=name, real_name=name, role="cadre", org_unit_id=unit.id)
            users.append(user)
            cadres.append(Cadre(name=name, phone=f"139{i:08d}", org_unit_id=unit.id, position="干部",
                                binding_code=code, user=user, bound_at=now))
        db.session.add_all(users + cadres)
        exam = open_exam(db, "压测", rules)
        out = {
            "exam_id": exam.id, "question_count": exam.question_count, "total_score": exam.total_score,
            "database_url": args.database_url,
            "cadres": [{"user_id": c.user_id, "cadre_id": c.id, "token": tokens.issue(c.user_id)[0]} for c in cadres],
        }
        print(f"org units: {len(units) + 1}; cadres bound to users: {len(cadres)}; exam {exam.id}: "
              f"{exam.question_count} questions, {exam.total_score} points, "
              f"{len(rules)} paper rules ({time.monotonic() - t0:.1f}s)", flush=True)
        benchdb.finish(db)

    path = benchdb.write_json(args.out, out)
    print(f"tokens: {len(out['cadres'])} -> {path} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
