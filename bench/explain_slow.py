"""The statements behind a slow page or endpoint, with their query plans.

    python bench/explain_slow.py DATABASE_URL PATH [--admin USERNAME | --user USER_ID] [--top 3] [--min-ms 20] [--profile N]

In-process (the app's test client, development settings): logs in (the panel account
USERNAME with bench/district_table.py's password, or a token for USER_ID), requests PATH
twice (the first warms the caches and is not reported; --once: once), times every statement of the
second with its parameters (SQLAlchemy's cursor events), lists them, and runs
EXPLAIN (ANALYZE, BUFFERS) of the --top slowest over --min-ms with the same parameters,
in a transaction that is rolled back (a write is never kept)."""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("path")
    p.add_argument("--admin")
    p.add_argument("--user", type=int)
    p.add_argument("--top", type=int, default=3)
    p.add_argument("--min-ms", type=float, default=20)
    p.add_argument("--once", action="store_true", help="no warm-up request (for pages of a minute)")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="also profile the request (cProfile, run 5 times) and list its N functions of most own time")
    args = p.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    os.environ.setdefault("SECRET_KEY", "pufa-bench-secret-key-not-for-production-0123456789")
    os.environ["ACCESS_LOG"] = "0"
    from sqlalchemy import event

    from accounts import tokens
    from core import create_app
    from core.extensions import db
    from district_table import PASSWORD

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    headers = {}
    if args.admin:
        r = client.post("/admin/auth/login", data={"username": args.admin, "password": PASSWORD, "code": ""})
        assert r.status_code == 302, r.status_code
    if args.user:
        with app.app_context():
            headers["Authorization"] = "Bearer " + tokens.issue(args.user)[0]

    seen = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        seen.append(((time.perf_counter() - conn.info["t0"].pop()) * 1000, statement, parameters))

    if not args.once:
        client.get(args.path, headers=headers)
    seen.clear()
    t0 = time.perf_counter()
    r = client.get(args.path, headers=headers)
    total = (time.perf_counter() - t0) * 1000
    print(f"GET {args.path}: {r.status_code}, {total:.0f} ms in-process, {len(seen)} statements, "
          f"{sum(s[0] for s in seen):.0f} ms in them")
    for ms, statement, _ in sorted(seen, key=lambda s: -s[0])[:10]:
        print(f"  {ms:8.1f} ms  {' '.join(statement.split())[:160]}")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [client.get(args.path, headers=headers) for _ in range(5)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    for ms, statement, params in [s for s in sorted(seen, key=lambda s: -s[0]) if s[0] >= args.min_ms][:args.top]:
        print(f"\n--- {ms:.1f} ms ---\n{statement}\n-- parameters: {params}")
        with app.app_context():
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                print("\n".join(row[0] for row in cur.fetchall()))
            finally:
                raw.rollback()
                raw.close()


if __name__ == "__main__":
    main()
