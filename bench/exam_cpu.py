"""CPU of one exam start and one save, in-process (issue 19): the whole WSGI stack through
Flask's test client (routing, auth with its Redis revocation check, validation, the
domain code, SQL, JSON, the access log), one thread, no server.

    python bench/exam_cpu.py CADRES_JSON [--root DIR] [--starts 200] [--saves 5] [--profile start|save] [--top 30]

CADRES_JSON comes from bench/exam_prepare.py (its database and tokens; use the same
SECRET_KEY). --root imports the app from another checkout (a git worktree of an older
commit), so two states of the code can be measured in interleaved rounds on one database.

Each run first resets the exam (deletes its attempts, draws every cadre's paper ahead
again, as publishing does), warms up with 20 starts and saves, then times --starts starts
(one a cadre, each taking its ready paper) and --saves saves on each new attempt, and
prints one JSON line: CPU milliseconds (process_time, so the client's share of
psycopg/Redis work counts, PostgreSQL's own does not) and wall milliseconds per start and
per save, statements per start and per save. The environment is the benchmark server's
(bench/lib.sh bench_env: production settings, Redis, access log on, rate limits off).

--profile start|save: instead of timing, a cProfile of that request kind, top --top
functions by cumulative and internal time."""
import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

WARM = 20


def bench_env(instance: str) -> None:
    env = os.environ
    env.setdefault("SECRET_KEY", "pufa-bench-secret-key-not-for-production-0123456789")
    env.setdefault("PUFA_INSTANCE", instance)
    env["PUFA_ENV"] = "production"
    env.setdefault("WECHAT_APPID", "wx-bench-appid")
    env.setdefault("WECHAT_SECRET", "bench-wechat-secret-never-used")
    env["ALLOW_SQLITE"] = "1"
    env["RATELIMIT_ENABLED"] = "0"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    env.setdefault("METRICS_TOKEN", "pufa-bench-metrics-token-0123456789abcdef")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cadres_json")
    p.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    p.add_argument("--starts", type=int, default=200)
    p.add_argument("--saves", type=int, default=5)
    p.add_argument("--profile", choices=("start", "save"))
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--label", default="")
    args = p.parse_args()

    data = json.loads(Path(args.cadres_json).read_text(encoding="utf-8"))
    os.environ["DATABASE_URL"] = data["database_url"]
    bench_env(str(Path(args.cadres_json).parent / "instance"))
    sys.path.insert(0, args.root)
    os.chdir(args.root)

    from sqlalchemy import delete, event, select
    from sqlalchemy.engine import Engine

    from core import create_app
    from core.extensions import db
    from quiz_bank.exams import papers
    from quiz_bank.exams.models import AttemptItem, Exam, ExamAttempt

    app = create_app()
    exam_id = data["exam_id"]
    cadres = data["cadres"]
    need = WARM + args.starts
    if len(cadres) < need:
        raise SystemExit(f"need {need} cadres, {args.cadres_json} has {len(cadres)}")

    with app.app_context():
        attempts = select(ExamAttempt.id).where(ExamAttempt.exam_id == exam_id).scalar_subquery()
        db.session.execute(delete(AttemptItem).where(AttemptItem.attempt_id.in_(attempts)))
        db.session.execute(delete(ExamAttempt).where(ExamAttempt.exam_id == exam_id))
        papers.draw_ahead(db.session.get(Exam, exam_id), redraw=True)
        db.session.commit()

    statements = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def count(*_):
        statements[0] += 1

    client = app.test_client()

    def start(cadre) -> dict:
        r = client.post(f"/api/v1/exams/{exam_id}/attempts", headers={"Authorization": f"Bearer {cadre['token']}"})
        if r.status_code != 201:
            raise SystemExit(f"start answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
        return r.get_json()

    def save(cadre, attempt, i) -> None:
        q = attempt["questions"][i % len(attempt["questions"])]
        keys = [o["key"] for o in q["options"]]
        answer = keys[:2] if q["type"] == "multiple" else keys[:1]
        r = client.put(f"/api/v1/exam-attempts/{attempt['id']}/answers/{q['id']}",
                       headers={"Authorization": f"Bearer {cadre['token']}"}, json={"answer": answer})
        if r.status_code != 200:
            raise SystemExit(f"save answered {r.status_code}: {r.get_data(as_text=True)[:300]}")

    for cadre in cadres[:WARM]:
        attempt = start(cadre)
        for i in range(args.saves):
            save(cadre, attempt, i)
    timed = cadres[WARM:need]

    if args.profile:
        prof = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
        if args.profile == "start":
            prof.enable()
            for cadre in timed:
                start(cadre)
            prof.disable()
        else:
            opened = [(cadre, start(cadre)) for cadre in timed]
            prof.enable()
            for cadre, attempt in opened:
                for i in range(args.saves):
                    save(cadre, attempt, i)
            prof.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue(), file=sys.stderr)
        return

    statements[0] = 0
    c0, w0 = time.process_time(), time.perf_counter()
    opened = [(cadre, start(cadre)) for cadre in timed]
    c1, w1 = time.process_time(), time.perf_counter()
    start_statements = statements[0]
    statements[0] = 0
    for cadre, attempt in opened:
        for i in range(args.saves):
            save(cadre, attempt, i)
    c2, w2 = time.process_time(), time.perf_counter()
    n_saves = len(opened) * args.saves
    # On stderr: stdout carries the access log's lines, as under gunicorn.
    print(json.dumps({
        "label": args.label, "starts": len(opened), "saves": n_saves,
        "start_cpu_ms": round((c1 - c0) * 1000 / len(opened), 2), "start_wall_ms": round((w1 - w0) * 1000 / len(opened), 2),
        "save_cpu_ms": round((c2 - c1) * 1000 / n_saves, 2), "save_wall_ms": round((w2 - w1) * 1000 / n_saves, 2),
        "statements_per_start": round(start_statements / len(opened), 2),
        "statements_per_save": round(statements[0] / n_saves, 2),
        "response_bytes": len(json.dumps(opened[0][1], ensure_ascii=False).encode()),
        "load1": os.getloadavg()[0],
    }), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
