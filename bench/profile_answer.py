"""Where the time of one answer goes: answers in-process through the Flask test client
(the whole WSGI stack: routing, auth, rate-limit check, validation, grading, SQL, JSON),
with no server and no concurrency.

    python bench/profile_answer.py PAIRS_FILE [--n 500] [--skip 0] [--top 35] [--out FILE]

Uses DATABASE_URL / SECRET_KEY / PUFA_INSTANCE / RATELIMIT_ENABLED=0 from the
environment, the same as the server; PAIRS_FILE comes from prepare.py for that
database with the same SECRET_KEY. It answers 20 + 2*N of those pairs for real (warm-up,
a timed pass, a cProfile pass), so use --skip past pairs already sent, or prepare again.

Prints, for the timed pass (no profiler): wall time per answer, split into the token
check, the grading function (quiz_bank.quizzes.answer: its SQL and commit), the part
of that spent inside the database driver, and everything else (Flask, APIFlask
validation and serialisation, rate limits, Flask-HTTPAuth, teardown); the same test
client's time for bench/hello.py; then the cProfile top functions."""
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


class Timer:
    """Wraps a module function and adds up the wall time spent in it."""

    def __init__(self, module, name):
        self.module, self.name, self.inner = module, name, getattr(module, name)
        self.total, self.calls = 0.0, 0

    def __enter__(self):
        inner = self.inner

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return inner(*a, **kw)
            finally:
                self.total += time.perf_counter() - t
                self.calls += 1

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.inner)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("pairs_file")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--top", type=int, default=35)
    p.add_argument("--out", help="also dump the raw profile here (for pstats/snakeviz)")
    args = p.parse_args()
    os.environ.setdefault("RATELIMIT_ENABLED", "0")

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from accounts import tokens
    from core import create_app
    from quiz_bank import quizzes

    app = create_app()
    client = app.test_client()
    warm = 20
    lines = Path(args.pairs_file).read_text(encoding="utf-8").splitlines()[args.skip:]
    if len(lines) < warm + 2 * args.n:
        raise SystemExit(f"need {warm + 2 * args.n} pairs after --skip {args.skip}, {args.pairs_file} has {len(lines)}")
    reqs = []
    for line in lines[: warm + 2 * args.n]:
        path, body, token = line.split("\t")
        reqs.append((path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}))
    warmup, timed, profiled = reqs[:warm], reqs[warm: warm + args.n], reqs[warm + args.n:]

    # Wall time inside the driver (cursor.execute / executemany), and statement count.
    # Not counted: the driver's commit, BEGIN (core.transactions sends it on the driver
    # connection, past these events), the pool's pre-ping.
    db_time = [0.0, 0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        db_time[0] += time.perf_counter() - conn.info.pop("bench_t0")
        db_time[1] += 1

    def send(batch):
        for path, body, headers in batch:
            r = client.post(path, data=body, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"{path} {body}: {r.status_code} {r.get_data(as_text=True)}")

    send(warmup)  # first requests build caches (statements, schemas, lazy imports)

    # Timed pass, no profiler.
    db_time[:] = [0.0, 0]
    with Timer(quizzes, "answer") as grading, Timer(tokens, "verify") as token_check:
        t0 = time.perf_counter()
        send(timed)
        wall = time.perf_counter() - t0
    driver, statements = db_time

    # The same test client on bench/hello.py, for scale.
    sys.path.insert(0, str(ROOT / "bench"))
    from hello import app as hello_app

    hello_client = hello_app.test_client()
    for _ in range(50):
        hello_client.get("/")
    t1 = time.perf_counter()
    for _ in range(args.n):
        assert hello_client.get("/").status_code == 200
    hello_wall = time.perf_counter() - t1

    # Profiled pass.
    prof = cProfile.Profile()
    t2 = time.perf_counter()
    prof.enable()
    send(profiled)
    prof.disable()
    prof_wall = time.perf_counter() - t2
    if args.out:
        prof.dump_stats(args.out)

    n = args.n
    ms = lambda secs: f"{secs / n * 1000:6.2f} ms"  # noqa: E731
    pct = lambda secs: f"{100 * secs / wall:3.0f}%"  # noqa: E731
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    print(f"load average: {os.getloadavg()[0]:.2f} (other processes on the machine inflate these times)")
    print(f"one answer, in-process, no profiler ({n} answers, {n / wall:.0f}/s on one thread):")
    print(f"  total                                   {ms(wall)}  100%")
    print(f"  token check (accounts.tokens.verify)    {ms(token_check.total)}  {pct(token_check.total)}")
    print(f"  grading (quiz_bank.quizzes.answer)      {ms(grading.total)}  {pct(grading.total)}")
    print(f"    of which in the DB driver (execute)   {ms(driver)}  {pct(driver)}   ({statements / n:.1f} statements)")
    print(f"    of which SQLAlchemy, pool, commit, Python {ms(grading.total - driver)}  {pct(grading.total - driver)}")
    rest = wall - grading.total - token_check.total
    print(f"  the rest: Flask, APIFlask in/out, limiter, auth, teardown, test client  {ms(rest)}  {pct(rest)}")
    print(f"hello (bench/hello.py), same test client:  {hello_wall / n * 1000:6.2f} ms")
    print(f"profiled pass: {prof_wall / n * 1000:.2f} ms per answer under cProfile")
    for key in ("tottime", "cumulative"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n===== top {args.top} by {key} =====")
        print(s.getvalue().strip())


if __name__ == "__main__":
    main()
