"""Where the time of one answer goes: N answers in-process through the Flask test
client (the whole WSGI stack: routing, auth, validation, grading, SQL, JSON), under
cProfile, with no server and no concurrency.

    python bench/profile_answer.py PAIRS_FILE [--n 500] [--skip 0] [--top 35]

Uses DATABASE_URL / SECRET_KEY / PUFA_INSTANCE from the environment, the same as the
server; PAIRS_FILE comes from prepare.py for that database (the pairs it uses are
answered for real, so use --skip past those already sent, or prepare again).
Prints the per-request wall time, the wall time spent inside the database driver,
and the top functions by own time and by cumulative time."""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("pairs_file")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--top", type=int, default=35)
    p.add_argument("--out", help="also dump the raw profile here (for snakeviz/pstats)")
    args = p.parse_args()
    os.environ.setdefault("RATELIMIT_ENABLED", "0")

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from core import create_app

    app = create_app()
    client = app.test_client()
    lines = Path(args.pairs_file).read_text(encoding="utf-8").splitlines()[args.skip: args.skip + args.n]
    if len(lines) < args.n:
        raise SystemExit(f"only {len(lines)} pairs left in {args.pairs_file}")
    reqs = []
    for line in lines:
        path, body, token = line.split("\t")
        reqs.append((path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}))

    # Wall time inside the driver (statement execution + fetch start), and statement count.
    db_time = [0.0, 0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        db_time[0] += time.perf_counter() - conn.info.pop("bench_t0")
        db_time[1] += 1

    # Warm up: first requests build caches (statements, schemas, JIT-free but lazy imports).
    warm = 20
    for path, body, headers in reqs[:warm]:
        r = client.post(path, data=body, headers=headers)
        assert r.status_code == 200, (r.status_code, r.get_data(as_text=True))
    db_time[:] = [0.0, 0]

    measured = reqs[warm:]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for path, body, headers in measured:
        r = client.post(path, data=body, headers=headers)
        if r.status_code != 200:
            prof.disable()
            raise SystemExit(f"{r.status_code} {r.get_data(as_text=True)}")
    prof.disable()
    wall = time.perf_counter() - t0

    # Same loop without the profiler, for an honest per-request time.
    rest = Path(args.pairs_file).read_text(encoding="utf-8").splitlines()[args.skip + args.n: args.skip + 2 * args.n]
    plain = None
    if len(rest) == args.n:
        db_time_profiled = list(db_time)
        db_time[:] = [0.0, 0]
        t1 = time.perf_counter()
        for line in rest:
            path, body, token = line.split("\t")
            r = client.post(path, data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert r.status_code == 200, (r.status_code, r.get_data(as_text=True))
        plain = (time.perf_counter() - t1, list(db_time))
        db_time[:] = db_time_profiled

    if args.out:
        prof.dump_stats(args.out)
    n = len(measured)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    print(f"profiled: {n} answers, {wall / n * 1000:.2f} ms each under cProfile; "
          f"{db_time[1] / n:.1f} statements per answer")
    if plain:
        pw, (pdb, pstmts) = plain
        print(f"unprofiled: {args.n} answers, {pw / args.n * 1000:.2f} ms each "
              f"({args.n / pw:.0f}/s on one thread), of which {pdb / args.n * 1000:.2f} ms "
              f"({100 * pdb / pw:.0f}%) inside the database driver, {pstmts / args.n:.1f} statements per answer")
    for key in ("tottime", "cumulative"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n===== top {args.top} by {key} =====")
        print(s.getvalue())


if __name__ == "__main__":
    main()
