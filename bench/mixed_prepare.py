"""Build the database of the mixed load (bench/mixed.sh): the three benchmarks' own
prepare scripts, one after the other into one database, plus the organisers.

    python bench/mixed_prepare.py DATABASE_URL --out FILE [--app-root DIR]
        [--residents 600] [--cadres 80] [--people 300] [--organisers 4]

Run with DIR (the revision under test; default: this tree) as the current directory,
with the server's SECRET_KEY and PUFA_INSTANCE. The prepare scripts are DIR/bench's own
when it has them (they put DIR on sys.path: the revision's code and schema), else this
tree's, and run in this order into the same database:
  1. bench/prepare.py: the database made anew, schema, shipped bank, 200 generated
     questions, --residents users with a token each (its practice quizzes are not used:
     the residents of the load start their daily set);
  2. bench/exam_prepare.py --cadres: a town, units, cadres bound to users, one open
     annual exam of 50 questions assigned to all;
  3. bench/checkin_prepare.py --people: another town, villages, residents, one event
     going on now in the unit "压测司法所", a panel account.
For 2 and 3 the database is not made anew and the bank not loaded again
(benchdb.recreate_database and the bank step are skipped). Then this script adds
--organisers cadres of the event's organising unit, bound to users (only they may
upload its photos), and writes FILE (JSON): the three scripts' outputs, the organisers'
tokens, and the exam's answer key by option text (the paper shows options shuffled and
relabelled, so a cadre who wants to pass answers by text)."""
import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("--out", required=True)
    p.add_argument("--app-root", default=str(HERE.parent))
    p.add_argument("--residents", type=int, default=600)
    p.add_argument("--cadres", type=int, default=80)
    p.add_argument("--people", type=int, default=300)
    p.add_argument("--organisers", type=int, default=4)
    args = p.parse_args()

    app_root = Path(args.app_root).resolve()
    scripts = app_root / "bench" if (app_root / "bench" / "exam_prepare.py").exists() else HERE
    sys.path.insert(0, str(scripts))
    import benchdb
    import checkin_prepare
    import exam_prepare
    import prepare

    # The scripts put their own root first on sys.path; the app must be the revision's.
    sys.path.insert(0, str(app_root))
    work = Path(args.out).resolve().parent
    t0 = time.monotonic()

    def run(module, argv):
        print(f"+ {module.__name__}.py {' '.join(argv)}", flush=True)
        sys.argv = [module.__file__, *argv]
        module.main()

    run(prepare, [args.database_url, str(args.residents * 10), "--questions", "200", "--out", str(work / "pairs.tsv")])

    # Into the same database from now on, with the bank already there.
    original_create_schema = benchdb.create_schema
    benchdb.recreate_database = lambda url: None
    benchdb.create_schema = lambda db, bank: (original_create_schema(db, bank=False), {})[1]

    run(exam_prepare, [args.database_url, "--cadres", str(args.cadres), "--units", "6", "--out", str(work / "cadres.json")])
    run(checkin_prepare, [args.database_url, "--people", str(args.people), "--units", "5", "--out", str(work / "people.json")])

    from sqlalchemy import select

    from accounts import tokens
    from accounts.models import Cadre, User
    from accounts.roster import new_code
    from activities.models import Event
    from core import create_app
    from core.extensions import db
    from core.timeutil import utcnow
    from quiz_bank.exams.models import Exam, PaperRule
    from quiz_bank.models import Question

    exam_spec = json.loads((work / "cadres.json").read_text(encoding="utf-8"))
    hall = json.loads((work / "people.json").read_text(encoding="utf-8"))
    app = create_app()
    with app.app_context():
        event = db.session.get(Event, hall["event_id"])
        now = utcnow()
        taken = set(db.session.scalars(select(Cadre.binding_code)))
        organisers = []
        for i in range(args.organisers):
            code = new_code()
            while code in taken:
                code = new_code()
            taken.add(code)
            name = f"主办干部{i + 1}"
            user = User(openid=f"bench-mixed-organiser:{i}", nickname=name, real_name=name, role="cadre",
                        org_unit_id=event.org_unit_id)
            db.session.add(Cadre(name=name, phone=f"137{i:08d}", org_unit_id=event.org_unit_id, position="宣传干事",
                                 binding_code=code, user=user, bound_at=now))
            organisers.append(user)
        db.session.commit()
        organisers = [{"user_id": u.id, "token": tokens.issue(u.id)[0]} for u in organisers]

        exam = db.session.get(Exam, exam_spec["exam_id"])
        categories = [r.category_id for r in db.session.scalars(select(PaperRule).where(PaperRule.exam_id == exam.id))]
        key = {}
        for q in db.session.scalars(select(Question).where(Question.category_id.in_(categories))):
            text = {o["key"]: o["text"] for o in q.options}
            key[q.id] = sorted(text[k] for k in q.answer)
        pass_score = exam.pass_score
        db.session.remove()
        db.engine.dispose()

    residents = []
    seen = set()
    for line in (work / "pairs.tsv").read_text(encoding="utf-8").splitlines():
        token = line.rsplit("\t", 1)[-1]
        if token not in seen:
            seen.add(token)
            residents.append(token)
    out = {"database_url": args.database_url, "residents": residents, "exam": exam_spec | {"pass_score": pass_score},
           "exam_key": key, "hall": hall, "organisers": organisers, "event_id": hall["event_id"]}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(f"mixed: {len(residents)} residents, {len(exam_spec['cadres'])} cadres (exam {exam_spec['exam_id']}), "
          f"{len(hall['people'])} people for event {hall['event_id']}, {len(organisers)} organisers; "
          f"answer key of {len(key)} questions -> {args.out} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
