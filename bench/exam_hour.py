"""The exam hour: N cadres sit the annual law exam at once, against a running server.

    python bench/exam_hour.py CADRES_JSON [--url http://127.0.0.1:18703] [--cadres 1000]
        [--answers 50 | --duration SECONDS] [--pause 5.0] [--ramp SECONDS] [--timeout SECONDS]
        [--pool 64] [--json OUT.json] [--raw OUT.csv] [--database-url URL] [--p99-target-ms 300]

CADRES_JSON is what bench/exam_prepare.py wrote (exam id and one bearer token per cadre).

Each virtual cadre, as a person on a phone does:
  1. POST /api/v1/exams/{exam}/attempts (start; 201, or 200 when resuming);
  2. --answers times: wait a random pause (uniform, 0.5 to 1.5 x --pause), then
     PUT /api/v1/exam-attempts/{attempt}/answers/{question} {"answer": [...]} for the
     next question of its paper, in paper order (a random option: one key for single
     choice and true/false, two or three keys for multiple choice; as displayed);
  3. one more pause, then POST /api/v1/exam-attempts/{attempt}/submit.
The starts are spread evenly over --ramp seconds (default: one pause), so that the
saves arrive at a steady rate of about cadres / (pause + latency): 1000 / 5 s = 200/s.
For a shorter run, lower --answers (or give --duration, which sets --answers to fit);
the rate stays the same as long as cadres / pause does.

HTTP: plain HTTP/1.1 over asyncio streams (stdlib only), keep-alive connections from a
pool shared by all cadres, as a reverse proxy's upstream pool would be: a request takes
the connection idle the longest (FIFO, so they all stay warm), a new one is opened only
when every connection is busy (at most --pool; 0: a new connection per request). A
connection idle longer than --max-idle (below gunicorn's keep-alive of 2 s) is closed
instead of reused. If a reused connection turns out to have been closed by the server
before it answered a single byte, the request is sent once more on a new connection
(counted as stale_retries; all three requests are idempotent by the API's definition).
A request's latency runs from asking the pool for a connection to the last byte of the
response, so waiting for a free connection counts.

Everything is bounded: each request by --request-timeout, the whole load by --timeout
(then the cadres still running are cancelled and the run is reported as incomplete).

Afterwards the database is checked (--database-url, else the one in CADRES_JSON):
every save that got 200 is stored with the answer sent (the displayed keys mapped
back through the item's option order), the number of answered items equals the
number of successful saves, and every attempt the load submitted is `submitted` with
the score the submit answered.

Output: a summary on stdout and JSON (--json) with saves/s (overall and over the
steady part, when every cadre is between its start and its submit), p50/p90/p99/max
of save, start and submit, non-2xx by endpoint and status (first bodies kept),
connection errors, a 10-second timeline of saves, and the database check.
Exit status: 0 if there were no errors, the database check passed and the save p99
met --p99-target-ms; 1 otherwise; 2 if the run hit --timeout."""
import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict

import httpload
from httpload import NET_ERRORS, fmt_ms, latency_summary, pct

OPTION_KEYS = "ABCDEFGH"  # as quiz_bank.questions.OPTION_KEYS


# -- HTTP/1.1 over asyncio streams (bench/httpload.py) --------------------------------


class Client(httpload.Client):
    """Requests of a cadre's phone: its bearer token, a JSON body."""

    def __init__(self, url: str, pool_size: int, max_idle: float, request_timeout: float):
        super().__init__(url, pool_size, max_idle, request_timeout)
        self.close_after = pool_size <= 0

    def _bytes(self, method: str, path: str, token: str, body: bytes | None) -> bytes:
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}",
                f"Authorization: Bearer {token}", "Accept: application/json", "User-Agent: pufa-exam-hour"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        else:
            head.append("Content-Length: 0")
        if self.close_after:
            head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")

    async def request(self, method: str, path: str, token: str, payload=None) -> tuple[int, bytes]:
        data = self._bytes(method, path, token, None if payload is None else json.dumps(payload).encode())
        status, _, _, body = await self.send(data)
        return status, body


# -- the load ------------------------------------------------------------------------


class Recorder:
    def __init__(self, t0: float):
        self.t0 = t0
        # (kind, cadre index, sent at (s since t0), latency (s), status or 0, error text or "")
        self.rows: list[tuple[str, int, float, float, int, str]] = []
        self.bodies: dict[tuple[str, int], list[str]] = defaultdict(list)

    def add(self, kind, who, sent, latency, status, error="", body=b""):
        self.rows.append((kind, who, sent - self.t0, latency, status, error))
        if status and not 200 <= status < 300:
            kept = self.bodies[(kind, status)]
            if len(kept) < 3:
                kept.append(body[:300].decode("utf-8", "replace"))


class Cadre:
    def __init__(self, index: int, user_id: int, token: str):
        self.index, self.user_id, self.token = index, user_id, token
        self.attempt_id = None
        self.questions = 0
        self.saved: dict[int, list[str]] = {}  # question id -> displayed keys, 200 answered
        self.failed: dict[int, list[str]] = {}  # question id -> keys sent, no 200
        self.submitted = None  # the submit answer (JSON) on 200
        self.done = False


def choose(question: dict, rng: random.Random) -> list[str]:
    keys = [o["key"] for o in question["options"]]
    if question["type"] == "multiple":
        return sorted(rng.sample(keys, min(len(keys), rng.choice((2, 2, 3)))))
    return [rng.choice(keys)]


async def timed(client: Client, rec: Recorder, kind: str, who: int, method: str, path: str, token: str, payload=None):
    sent = time.monotonic()
    try:
        status, body = await client.request(method, path, token, payload)
    except asyncio.TimeoutError:
        rec.add(kind, who, sent, time.monotonic() - sent, 0, f"timeout after {client.request_timeout:g}s")
        return None, b""
    except NET_ERRORS as e:
        rec.add(kind, who, sent, time.monotonic() - sent, 0, f"{type(e).__name__}: {e}"[:200])
        return None, b""
    rec.add(kind, who, sent, time.monotonic() - sent, status, body=body)
    return status, body


async def sit(cadre: Cadre, exam_id: int, args, client: Client, rec: Recorder, start_at: float, rng: random.Random):
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    status, body = await timed(client, rec, "start", cadre.index, "POST", f"/api/v1/exams/{exam_id}/attempts", cadre.token)
    if status not in (200, 201):
        return
    attempt = json.loads(body)
    cadre.attempt_id = attempt["id"]
    questions = attempt["questions"][: args.answers]
    cadre.questions = len(attempt["questions"])

    def pause():
        return args.pause * rng.uniform(1 - args.jitter, 1 + args.jitter)

    for q in questions:
        await asyncio.sleep(pause())
        answer = choose(q, rng)
        status, _ = await timed(client, rec, "save", cadre.index, "PUT",
                                f"/api/v1/exam-attempts/{cadre.attempt_id}/answers/{q['id']}", cadre.token, {"answer": answer})
        if status == 200:
            cadre.saved[q["id"]] = answer
        else:
            cadre.failed[q["id"]] = answer
    await asyncio.sleep(pause())
    status, body = await timed(client, rec, "submit", cadre.index, "POST", f"/api/v1/exam-attempts/{cadre.attempt_id}/submit", cadre.token)
    if status == 200:
        cadre.submitted = json.loads(body)
    cadre.done = True


# -- numbers -------------------------------------------------------------------------


def analyse(rec: Recorder, args, ramp: float) -> dict:
    by_kind: dict[str, list] = defaultdict(list)
    for row in rec.rows:
        by_kind[row[0]].append(row)
    out: dict = {"latency": {}, "errors": {}}
    for kind in ("start", "save", "submit"):
        rows = by_kind.get(kind, [])
        ok = [r for r in rows if 200 <= r[4] < 300]
        out["latency"][kind] = latency_summary([r[3] for r in ok]) | {"requests": len(rows), "ok": len(ok)}
        statuses = Counter(str(r[4]) for r in rows if r[4] and not 200 <= r[4] < 300)
        conn = Counter(r[5].split(":")[0] for r in rows if not r[4])
        out["errors"][kind] = {"non_2xx": dict(statuses), "connection": dict(conn),
                               "first_connection_errors": [r[5] for r in rows if not r[4]][:3],
                               "first_bodies": {f"{k}": rec.bodies[(kind, int(k))] for k in statuses}}
    saves = [r for r in by_kind.get("save", []) if r[4] == 200]
    done_at = sorted(r[2] + r[3] for r in saves)
    if done_at:
        span = done_at[-1] - (min(r[2] for r in saves))
        out["saves_per_s_overall"] = round(len(saves) / span, 1) if span > 0 else None
        # Steady part: every cadre has its paper (the last start answered) and has had
        # time for its first save, and none has submitted yet.
        first_submit = min((r[2] for r in by_kind.get("submit", [])), default=done_at[-1])
        last_start = max((r[2] + r[3] for r in by_kind.get("start", [])), default=ramp)
        lo, hi = max(ramp, last_start) + args.pause * (1 + args.jitter), first_submit
        if hi - lo >= 10:
            n = sum(1 for t in done_at if lo <= t < hi)
            out["steady"] = {"from_s": round(lo, 1), "to_s": round(hi, 1), "saves": n, "saves_per_s": round(n / (hi - lo), 1)}
            per_s = Counter(int(t) for t in done_at if int(lo) + 1 <= t < int(hi))
            series = [per_s.get(s, 0) for s in range(int(lo) + 1, int(hi))]
            if series:
                out["steady"] |= {"per_second_min": min(series), "per_second_max": max(series),
                                  "per_second_stdev": round(statistics.pstdev(series), 1)}
            lat = [r[3] for r in saves if lo <= r[2] < hi]
            out["steady"]["save_latency"] = latency_summary(lat)
    # 10-second timeline of saves (by the time they were sent).
    buckets: dict[int, list] = defaultdict(list)
    for r in by_kind.get("save", []):
        buckets[int(r[2] // 10)].append(r)
    timeline = []
    for b in sorted(buckets):
        rows = buckets[b]
        v = sorted(r[3] * 1000 for r in rows if r[4] == 200)
        timeline.append({"t_s": b * 10, "saves": len(rows), "per_s": round(len(rows) / 10, 1),
                         "p50_ms": round(pct(v, 50), 1) if v else None, "p99_ms": round(pct(v, 99), 1) if v else None,
                         "max_ms": round(v[-1], 1) if v else None, "errors": sum(1 for r in rows if r[4] != 200)})
    out["timeline_10s"] = timeline
    return out


# -- the database check --------------------------------------------------------------


def check_database(url: str, exam_id: int, cadres: list[Cadre]) -> dict:
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    elif url.startswith("postgres://"):
        url = url.replace("postgres://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    problems: list[str] = []
    with engine.connect() as c:
        attempts = {row[0]: row[1:] for row in c.execute(text(
            "SELECT id, user_id, status, score, passed FROM exam_attempt WHERE exam_id = :e"), {"e": exam_id})}
        items = defaultdict(dict)
        for aid, qid, answer, order in c.execute(text(
                "SELECT ai.attempt_id, ai.question_id, ai.answer, ai.option_order FROM attempt_item ai "
                "JOIN exam_attempt ea ON ea.id = ai.attempt_id WHERE ea.exam_id = :e AND ai.answered_at IS NOT NULL"),
                {"e": exam_id}):
            if isinstance(answer, str):
                answer = json.loads(answer)
            if isinstance(order, str):
                order = json.loads(order)
            items[aid][qid] = (answer, order)
    engine.dispose()

    ok_saves = sum(len(c.saved) for c in cadres)
    answered = sum(len(v) for v in items.values())
    statuses = Counter(a[1] for a in attempts.values())
    missing = wrong = extra_failed = extra_unknown = 0
    score_mismatch = not_submitted = 0
    for cadre in cadres:
        if cadre.attempt_id is None:
            continue
        stored = items.get(cadre.attempt_id, {})
        for qid, shown in cadre.saved.items():
            if qid not in stored:
                missing += 1
                if missing <= 3:
                    problems.append(f"attempt {cadre.attempt_id}: the save of question {qid} got 200 but is not stored")
                continue
            answer, order = stored[qid]
            expected = sorted(order[OPTION_KEYS.index(k)] for k in shown) if order else sorted(shown)
            if sorted(answer) != expected:
                wrong += 1
                if wrong <= 3:
                    problems.append(f"attempt {cadre.attempt_id}, question {qid}: stored {answer}, sent {shown} -> {expected}")
        for qid in stored:
            if qid not in cadre.saved:
                if qid in cadre.failed:
                    extra_failed += 1  # the save failed at the client (timeout, say) but reached the database
                else:
                    extra_unknown += 1
        if cadre.done:
            row = attempts.get(cadre.attempt_id)
            if cadre.submitted is None or row is None or row[1] != "submitted" or row[2] is None:
                not_submitted += 1
                if not_submitted <= 3:
                    problems.append(f"attempt {cadre.attempt_id}: in the database {row}, submit answered {cadre.submitted}")
            elif row[2] != cadre.submitted.get("score"):
                score_mismatch += 1
    started = sum(1 for c in cadres if c.attempt_id is not None)
    submitted_by_load = sum(1 for c in cadres if c.submitted is not None)
    scores = [a[2] for a in attempts.values() if a[2] is not None]
    result = {
        "successful_saves": ok_saves, "answered_items_in_db": answered,
        "saves_200_missing_in_db": missing, "stored_answer_differs": wrong,
        "stored_but_client_saw_failure": extra_failed, "stored_but_never_sent": extra_unknown,
        "attempts_in_db": len(attempts), "attempts_started_by_load": started, "attempts_by_status": dict(statuses),
        "submitted_by_load": submitted_by_load, "submitted_without_score_or_status": not_submitted,
        "score_differs_from_submit_answer": score_mismatch,
        "scores": {"min": min(scores), "mean": round(statistics.fmean(scores), 1), "max": max(scores)} if scores else None,
        "problems": problems,
    }
    result["every_200_save_stored"] = missing == wrong == 0
    result["passed"] = (answered == ok_saves and missing == wrong == extra_unknown == 0 and not_submitted == 0
                        and score_mismatch == 0 and len(attempts) == started)
    return result


# -- main ----------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cadres_json")
    p.add_argument("--url", default="http://127.0.0.1:18703")
    p.add_argument("--cadres", type=int, help="how many of the file's cadres sit the exam (default: all)")
    p.add_argument("--answers", type=int, help="answers saved per cadre (default: the whole paper)")
    p.add_argument("--duration", type=float, help="instead of --answers: seconds the saving should last; "
                   "answers = duration / pause - 1")
    p.add_argument("--pause", type=float, default=5.0, help="mean pause before each answer and before submitting (s)")
    p.add_argument("--jitter", type=float, default=0.5, help="pauses are uniform in pause x (1 +- jitter)")
    p.add_argument("--ramp", type=float, help="starts spread evenly over this many seconds (default: --pause)")
    p.add_argument("--timeout", type=float, help="hard bound on the whole load, s (default: expected duration x 1.5 + 60)")
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--pool", type=int, default=64, help="most keep-alive connections open at once (0: one per request)")
    p.add_argument("--max-idle", type=float, default=1.5, help="reuse a connection only if idle less than this (s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="write the results here")
    p.add_argument("--raw", help="write every request here (CSV: kind,cadre,sent_s,latency_ms,status,error)")
    p.add_argument("--database-url", help="for the check afterwards (default: DATABASE_URL in the cadres file)")
    p.add_argument("--no-db-check", action="store_true")
    p.add_argument("--p99-target-ms", type=float, default=300.0)
    args = p.parse_args()

    spec = json.loads(open(args.cadres_json, encoding="utf-8").read())
    people = spec["cadres"][: args.cadres] if args.cadres else spec["cadres"]
    exam_id, paper = spec["exam_id"], spec["question_count"]
    if args.duration:
        args.answers = max(1, int(args.duration / args.pause) - 1)
    args.answers = min(args.answers or paper, paper)
    ramp = args.pause if args.ramp is None else args.ramp
    expected = ramp + (args.answers + 1) * args.pause * 1.0
    if args.timeout is None:
        args.timeout = expected * 1.5 + 60
    target_rate = len(people) / args.pause

    print(f"exam hour: {len(people)} cadres, exam {exam_id} ({paper} questions), {args.answers} answers each, "
          f"pause {args.pause:g}s +-{args.jitter:.0%}, starts over {ramp:g}s; target ~{target_rate:.0f} saves/s; "
          f"expected ~{expected:.0f}s, hard timeout {args.timeout:.0f}s; {args.url}, pool {args.pool}", flush=True)

    client = Client(args.url, args.pool, args.max_idle, args.request_timeout)
    cadres = [Cadre(i, c["user_id"], c["token"]) for i, c in enumerate(people)]
    cpu0 = time.process_time()

    async def run() -> bool:
        t0 = time.monotonic() + 0.2
        rec = Recorder(t0)
        run.rec = rec
        run.t0_epoch = time.time() + 0.2  # to line the timeline up with samples taken outside
        master = random.Random(args.seed)
        tasks = [asyncio.create_task(sit(c, exam_id, args, client, rec, t0 + ramp * i / len(cadres),
                                         random.Random(master.random()))) for i, c in enumerate(cadres)]

        async def progress():
            last = 0
            while True:
                await asyncio.sleep(15)
                n = len(rec.rows)
                saves = sum(1 for r in rec.rows[last:] if r[0] == "save")
                errs = sum(1 for r in rec.rows if not 200 <= r[4] < 300)
                active = sum(1 for c in cadres if c.attempt_id is not None and not c.done)
                print(f"  t={time.monotonic() - t0:5.0f}s  saves in the last 15 s: {saves / 15:6.1f}/s  "
                      f"active cadres {active:4d}  requests {n}  errors {errs}  open connections {client.pool.open}",
                      flush=True)
                last = n

        completed = await httpload.wait_all(tasks, args.timeout, asyncio.create_task(progress()), "cadre")
        client.pool.close_all()
        await asyncio.sleep(0.05)
        return completed

    try:
        completed = asyncio.run(run())
    except KeyboardInterrupt:
        # Die of SIGINT, so that the calling shell sees Ctrl-C and stops too.
        print("interrupted: no results", file=sys.stderr, flush=True)
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    rec = run.rec
    wall = max((r[2] + r[3] for r in rec.rows), default=0.0)
    cpu = time.process_time() - cpu0
    result = analyse(rec, args, ramp)
    result = {
        "config": {"url": args.url, "cadres": len(cadres), "exam_id": exam_id, "answers_per_cadre": args.answers,
                   "pause_s": args.pause, "jitter": args.jitter, "ramp_s": ramp, "pool": args.pool,
                   "max_idle_s": args.max_idle, "request_timeout_s": args.request_timeout, "timeout_s": args.timeout,
                   "target_saves_per_s": round(target_rate, 1)},
        "t0_epoch": round(run.t0_epoch, 3), "completed": completed, "wall_s": round(wall, 1), "cadres_finished": sum(c.done for c in cadres),
        "client": {"cpu_s": round(cpu, 1), "connections_opened": client.pool.opened, "peak_open": client.pool.peak_open,
                   "idle_closed": client.pool.closed_idle, "stale_retries": client.stale_retries},
    } | result

    n_err = sum(sum(e["non_2xx"].values()) + sum(e["connection"].values()) for e in result["errors"].values())
    result["error_count"] = n_err
    db_ok = True
    if not args.no_db_check:
        url = args.database_url or spec.get("database_url") or os.environ.get("DATABASE_URL")
        try:
            result["db_check"] = check_database(url, exam_id, cadres)
            db_ok = result["db_check"]["passed"]
        except Exception as e:  # noqa: BLE001 - reported, and the run fails
            result["db_check"] = {"passed": False, "error": f"{type(e).__name__}: {e}"}
            db_ok = False
    save = result["latency"]["save"]
    result["passed"] = bool(completed and n_err == 0 and db_ok and save.get("p99_ms") is not None
                            and save["p99_ms"] < args.p99_target_ms)

    # -- report
    print()
    print(f"finished: {'yes' if completed else 'NO (hard timeout)'}; {result['cadres_finished']}/{len(cadres)} cadres "
          f"submitted; {wall:.0f}s; load generator CPU {cpu:.1f}s; connections opened {client.pool.opened} "
          f"(peak {client.pool.peak_open} open), stale retries {client.stale_retries}")
    steady = result.get("steady", {})
    print(f"saves/s: overall {result.get('saves_per_s_overall')}, steady {steady.get('saves_per_s')} "
          f"(t={steady.get('from_s')}..{steady.get('to_s')}s, per second min {steady.get('per_second_min')} / "
          f"max {steady.get('per_second_max')}); target ~{target_rate:.0f}")
    print("| request | requests | ok | p50 ms | p90 ms | p99 ms | max ms | non-2xx | connection errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in ("start", "save", "submit"):
        lat, err = result["latency"][kind], result["errors"][kind]
        print(f"| {kind} | {lat['requests']} | {lat['ok']} | {fmt_ms(lat.get('p50_ms'))} | {fmt_ms(lat.get('p90_ms'))} "
              f"| {fmt_ms(lat.get('p99_ms'))} | {fmt_ms(lat.get('max_ms'))} | {sum(err['non_2xx'].values())} "
              f"| {sum(err['connection'].values())} |")
    if steady.get("save_latency"):
        s = steady["save_latency"]
        print(f"save latency in the steady part: p50 {s['p50_ms']} / p90 {s['p90_ms']} / p99 {s['p99_ms']} / max {s['max_ms']} ms")
    for kind, err in result["errors"].items():
        for status, n in err["non_2xx"].items():
            print(f"  {kind}: {n} x HTTP {status}; first bodies: {err['first_bodies'][status][:2]}")
        for what, n in err["connection"].items():
            print(f"  {kind}: {n} x {what}; first: {err['first_connection_errors'][:2]}")
    print("timeline (10 s buckets by send time): t  saves/s  p50  p99  max  errors")
    for b in result["timeline_10s"]:
        print(f"  {b['t_s']:4d}s {b['per_s']:7.1f} {fmt_ms(b['p50_ms']):>7} {fmt_ms(b['p99_ms']):>7} "
              f"{fmt_ms(b['max_ms']):>7} {b['errors']:4d}")
    if "db_check" in result:
        d = result["db_check"]
        if "error" in d:
            print(f"database check: FAILED to run: {d['error']}")
        else:
            print(f"database check: {'PASS' if d['passed'] else 'FAIL'}: every save answered 200 is stored with the answer "
                  f"sent: {'yes' if d['every_200_save_stored'] else 'NO'}; saves answered 200 = {d['successful_saves']}, "
                  f"answered items in the database = {d['answered_items_in_db']} (200 but missing {d['saves_200_missing_in_db']}, "
                  f"stored answer differs {d['stored_answer_differs']}, stored after a client-side failure "
                  f"{d['stored_but_client_saw_failure']}); attempts {d['attempts_in_db']} {d['attempts_by_status']}, "
                  f"submitted by the load {d['submitted_by_load']}, without status/score {d['submitted_without_score_or_status']}, "
                  f"score differs from the submit answer {d['score_differs_from_submit_answer']}; scores {d['scores']}")
            for line in d["problems"]:
                print(f"  {line}")
    print(f"verdict: {'PASS' if result['passed'] else 'FAIL'} (no errors, database check, save p99 < {args.p99_target_ms:g} ms)")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            f.write("kind,cadre,sent_s,latency_ms,status,error\n")
            for kind, who, sent, lat, status, err in rec.rows:
                f.write(f"{kind},{who},{sent:.4f},{lat * 1000:.2f},{status},\"{err.replace(chr(34), chr(39))}\"\n")
    if not completed:
        return 2
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
