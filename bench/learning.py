"""Measurements of the spaced review and mastery benchmark (issue 18); bench/learning.sh
prepares the database, starts gunicorn and runs this.

    python bench/learning.py run URL PEOPLE_JSON [--rounds 5] [--starts 200] [--clients 4] [--mastery 200] [--cold 1]
    python bench/learning.py cold PEOPLE_JSON [--explain]  # by_village in a fresh process
    python bench/learning.py page PEOPLE_JSON              # GET /admin/mastery/ in a fresh process
    python bench/learning.py inproc PEOPLE_JSON [-n 50]    # the heavy resident's start and of_person, per statement

`run`, in --rounds interleaved rounds, each:
  (a) --starts review-quiz starts (POST /api/v1/quizzes {"mode": "review"}) of the heavy
      resident (5,000 cards) one after another, then as many again from --clients
      concurrent clients; every start is a new quiz (starting does not touch the cards,
      so each serves the same due cards);
  (c) --mastery GET /api/v1/me/mastery of the heavy resident, one after another;
  (b) --cold fresh processes (`cold`) timing learning.mastery.by_village for the year
      (and GET /admin/mastery as an admin through the test client, if that page exists).
Then the medians over the rounds, `inproc` (where a start's and /me/mastery's time goes,
with each statement's plan), and EXPLAIN (ANALYZE, BUFFERS) of by_village's slowest
statement. Every request has a timeout (--request-timeout) and every cold process one
(--cold-timeout). A request answered otherwise than expected is counted as an error."""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from httpload import ApiClient, latency_summary  # noqa: E402


# -- HTTP --------------------------------------------------------------------------------


async def timed(client: ApiClient, method: str, path: str, token: str, body, expect: int, lat: list, errors: list):
    t = time.perf_counter()
    try:
        status, _, answer = await client.request(method, path, token, json_body=body)
    except Exception as e:  # noqa: BLE001 - counted, reported
        errors.append(repr(e))
        return
    if status != expect:
        errors.append(f"{status} {answer[:200]!r}")
        return
    lat.append(time.perf_counter() - t)


async def sequential(url, n, method, path, token, body, expect, timeout):
    client = ApiClient(url, 1, 30, timeout)
    lat, errors = [], []
    for _ in range(n):
        await timed(client, method, path, token, body, expect, lat, errors)
    return lat, errors


async def concurrent(url, n, clients, method, path, token, body, expect, timeout):
    client = ApiClient(url, clients, 30, timeout)
    lat, errors = [], []
    left = [n]

    async def user():
        while left[0] > 0:
            left[0] -= 1
            await timed(client, method, path, token, body, expect, lat, errors)

    await asyncio.gather(*(user() for _ in range(clients)))
    return lat, errors


def measure(name, coro, rows, wall_timeout):
    t = time.perf_counter()
    lat, errors = asyncio.run(asyncio.wait_for(coro, wall_timeout))
    wall = time.perf_counter() - t
    s = latency_summary(lat)
    s.update(errors=len(errors), per_s=round(len(lat) / wall, 1))
    rows.setdefault(name, []).append(s)
    print(f"    {name}: n={s['count']} p50={s.get('p50_ms')} p99={s.get('p99_ms')} max={s.get('max_ms')} ms, "
          f"{s['per_s']}/s, errors={len(errors)}" + (f" first: {errors[0]}" if errors else ""), flush=True)


PAGE = "/admin/mastery/"


def rendered(statement: str, parameters) -> str:
    """The statement with its values in place, for reading (EXPLAIN runs it with its parameters)."""
    if not isinstance(parameters, dict):
        return statement
    return statement % {k: f"'{v}'" if not isinstance(v, (int, float)) else v for k, v in parameters.items()}


# -- cold mastery ------------------------------------------------------------------------


def year_bounds(now):
    from core.timeutil import local_midnight_utc, local_today

    year = local_today(now).year
    from datetime import date

    return local_midnight_utc(date(year, 1, 1)), local_midnight_utc(date(year + 1, 1, 1))


def cold(people_json: str, explain: bool) -> dict:
    """In this fresh process: by_village for the year (its statements timed), then the
    admin page if it exists (in the same process after by_village, and so not cold: a
    fresh process is started for it in `run`)."""
    t0 = time.perf_counter()
    from sqlalchemy import event

    from core import create_app
    from core.extensions import db
    from core.timeutil import utcnow
    from learning import mastery

    app = create_app()
    out = {"boot_ms": round((time.perf_counter() - t0) * 1000, 1)}
    statements = []
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["t"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            statements.append((time.perf_counter() - conn.info["t"], statement, parameters))

        now = utcnow()
        start, end = year_bounds(now)
        t = time.perf_counter()
        result = mastery.by_village(start, end, now)
        out["by_village_ms"] = round((time.perf_counter() - t) * 1000, 1)
        out["statements"] = [round(s * 1000, 1) for s, _, _ in statements]
        out["villages"] = len(result["villages"])
        out["cells"] = sum(len(v["cells"]) for v in result["villages"])
        t = time.perf_counter()
        mastery.by_village(start, end, now)
        out["warm_ms"] = round((time.perf_counter() - t) * 1000, 1)
        if explain:
            slowest = max(statements[: len(out["statements"])], key=lambda s: s[0])
            with db.engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + slowest[1], slowest[2]).scalars().all()
            out["explain_sql"] = rendered(slowest[1], slowest[2])
            out["explain"] = plan
    return out


def cold_page(people_json: str) -> dict:
    """In this fresh process: GET /admin/mastery as an admin through the test client
    (None if the page does not exist yet)."""
    t0 = time.perf_counter()
    from core import create_app

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    admin = json.loads(Path(people_json).read_text())["admin"]
    if not any(rule.rule == PAGE for rule in app.url_map.iter_rules()):
        return {"page": None}
    client = app.test_client()
    out = {"boot_ms": round((time.perf_counter() - t0) * 1000, 1)}
    r = client.post("/admin/auth/login", data={"username": admin["username"], "password": admin["password"]})
    if r.status_code != 302:
        return {"page": None, "error": f"login answered {r.status_code}"}
    t = time.perf_counter()
    r = client.get(PAGE)
    out["page_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["status"] = r.status_code
    out["bytes"] = len(r.data)
    t = time.perf_counter()
    client.get(PAGE)
    out["page_warm_ms"] = round((time.perf_counter() - t) * 1000, 1)
    return out


def inproc(people_json: str, n: int) -> dict:
    """In one process, the heavy resident's review start (quizzes.start_quiz, committed
    like the view's) and mastery.of_person, `n` times each after a warm-up: each call's
    time and its statements' times (medians), then EXPLAIN (ANALYZE, BUFFERS) of each
    distinct statement once. Where the time of a request goes besides HTTP and JSON."""
    from sqlalchemy import event

    from core import create_app
    from core.extensions import db
    from core.timeutil import utcnow
    from learning import mastery
    from quiz_bank import quizzes

    heavy = json.loads(Path(people_json).read_text())["heavy"]["user_id"]
    app = create_app()
    out = {}
    with app.app_context():
        statements = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["t"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            statements.append((time.perf_counter() - conn.info["t"], statement, parameters))

        calls = {"start_quiz(review)": lambda: quizzes.start_quiz(heavy, "review"),
                 "of_person": lambda: mastery.of_person(heavy, utcnow())}
        for name, call in calls.items():
            for _ in range(3):
                call()
                db.session.remove()
            totals, per = [], {}
            for _ in range(n):
                statements.clear()
                t = time.perf_counter()
                call()
                db.session.remove()
                totals.append(time.perf_counter() - t)
                for i, (d, sql, params) in enumerate(statements):
                    per.setdefault(i, [sql, params, []])[2].append(d)
            rows = []
            for i, (sql, params, ds) in sorted(per.items()):
                plan = None
                if sql.lstrip().upper().startswith("SELECT"):
                    with db.engine.connect() as conn:
                        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).scalars().all()
                rows.append({"sql": rendered(sql, params)[:4000], "median_ms": round(statistics.median(ds) * 1000, 2),
                             "plan": plan})
            out[name] = {"median_ms": round(statistics.median(totals) * 1000, 2),
                         "p99_ms": round(sorted(totals)[max(0, int(len(totals) * 0.99) - 1)] * 1000, 2), "statements": rows}
    return out


def spawn(kind: str, people_json: str, timeout: float, explain: bool = False) -> dict:
    args = [sys.executable, str(Path(__file__)), kind, people_json] + (["--explain"] if explain else [])
    t = time.perf_counter()
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise SystemExit(f"{kind} process failed:\n{p.stderr[-3000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["process_ms"] = round((time.perf_counter() - t) * 1000, 1)
    return out


# -- the run -----------------------------------------------------------------------------


def median_of(rows: list[dict], key: str):
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.median(values), 1) if values else None


def run(args) -> int:
    people = json.loads(Path(args.people_json).read_text())
    heavy = people["heavy"]
    token = heavy["token"]
    review = ("POST", "/api/v1/quizzes", token, {"mode": "review"}, 201)
    mine = ("GET", "/api/v1/me/mastery", token, None, 200)
    t = args.request_timeout
    rows: dict[str, list] = {}
    colds, pages = [], []
    # Warm-up: the workers import lazily and open their pools on first use.
    asyncio.run(concurrent(args.url, 20, args.clients, *review, t))
    asyncio.run(concurrent(args.url, 20, args.clients, *mine, t))
    for r in range(1, args.rounds + 1):
        print(f"round {r} (load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])})", flush=True)
        measure("review start, sequential", sequential(args.url, args.starts, *review, t), rows, args.wall_timeout)
        measure(f"review start, {args.clients} clients", concurrent(args.url, args.starts, args.clients, *review, t), rows,
                args.wall_timeout)
        measure("/me/mastery, sequential", sequential(args.url, args.mastery, *mine, t), rows, args.wall_timeout)
        for _ in range(args.cold):
            c = spawn("cold", args.people_json, args.cold_timeout)
            colds.append(c)
            print(f"    by_village cold: {c['by_village_ms']} ms (statements {c['statements']} ms; warm {c['warm_ms']} ms; "
                  f"boot {c['boot_ms']} ms, process {c['process_ms']} ms; {c['villages']} villages, {c['cells']} cells)",
                  flush=True)
            pg = spawn("page", args.people_json, args.cold_timeout)
            if pg.get("page", True) is None:
                print(f"    /admin/mastery: no such page yet{' (' + pg['error'] + ')' if pg.get('error') else ''}", flush=True)
            else:
                pages.append(pg)
                print(f"    GET /admin/mastery cold: {pg['page_ms']} ms (status {pg['status']}, {pg['bytes']} bytes; "
                      f"warm {pg['page_warm_ms']} ms)", flush=True)

    print("\nsummary (median over rounds of each round's figure; worst round in brackets)")
    print(f"heavy resident {heavy['user_id']}: {heavy['cards']} cards, {heavy['due_today']} due by tonight")
    for name, rs in rows.items():
        print(f"  {name}: p50 {median_of(rs, 'p50_ms')} ms, p99 {median_of(rs, 'p99_ms')} ms "
              f"[{max(x['p99_ms'] for x in rs if 'p99_ms' in x)}], {median_of(rs, 'per_s')}/s, "
              f"errors {sum(x['errors'] for x in rs)}")
    v = [c["by_village_ms"] for c in colds]
    print(f"  by_village cold ({len(v)} processes): median {statistics.median(v):.1f} ms, max {max(v):.1f} ms; "
          f"warm median {statistics.median(c['warm_ms'] for c in colds):.1f} ms")
    if pages:
        p = [x["page_ms"] for x in pages]
        print(f"  GET /admin/mastery cold ({len(p)} processes): median {statistics.median(p):.1f} ms, max {max(p):.1f} ms; "
              f"statuses {sorted({x['status'] for x in pages})}")
    ip = spawn("inproc", args.people_json, args.cold_timeout)
    ip.pop("process_ms")
    print("\nin one process, the heavy resident (no HTTP): call median / p99, and each statement's median")
    for name, x in ip.items():
        print(f"  {name}: {x['median_ms']} / {x['p99_ms']} ms")
        for st in x["statements"]:
            print(f"    {st['median_ms']} ms  {' '.join(st['sql'].split())[:300]}")
    for name, x in ip.items():
        for st in x["statements"]:
            if st["plan"]:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS), {name}: {' '.join(st['sql'].split())}")
                print("\n".join(st["plan"]))
    c = spawn("cold", args.people_json, args.cold_timeout, explain=True)
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of by_village's slowest statement (a fresh process; by_village took {c['by_village_ms']} ms):")
    print(c["explain_sql"])
    print("\n".join(c["explain"]))
    return 1 if any(x["errors"] for rs in rows.values() for x in rs) else 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("url")
    r.add_argument("people_json")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--starts", type=int, default=200)
    r.add_argument("--clients", type=int, default=4)
    r.add_argument("--mastery", type=int, default=200)
    r.add_argument("--cold", type=int, default=1, help="cold mastery processes a round")
    r.add_argument("--request-timeout", type=float, default=10)
    r.add_argument("--wall-timeout", type=float, default=120, help="seconds for one measurement")
    r.add_argument("--cold-timeout", type=float, default=60)
    c = sub.add_parser("cold")
    c.add_argument("people_json")
    c.add_argument("--explain", action="store_true")
    g = sub.add_parser("page")
    g.add_argument("people_json")
    i = sub.add_parser("inproc")
    i.add_argument("people_json")
    i.add_argument("-n", type=int, default=50)
    args = p.parse_args()
    if args.cmd == "run":
        sys.exit(run(args))
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    if args.cmd == "cold":
        out = cold(args.people_json, args.explain)
    elif args.cmd == "page":
        out = cold_page(args.people_json)
    else:
        out = inproc(args.people_json, args.n)
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
