"""A hall of people checking in at an event, against a running server, while the
projector polls its live count.

    python bench/checkin_hall.py PEOPLE_JSON [--url http://127.0.0.1:18704] [--people N]
        [--window 120] [--burst-share 0.35] [--burst-seconds 15] [--phone-min 1] [--phone-max 4]
        [--pool 32] [--idle-polls 40] [--json OUT.json] [--raw OUT.csv] [--database-url URL]

PEOPLE_JSON is what bench/checkin_prepare.py wrote (event, panel account, one bearer
token per person). SECRET_KEY must be the server's: the people compute the projector's
code with the app's own function (activities.tokens.issue).

Arrivals (when each person scans the code), over --window seconds from the start:
  * --burst-share of the people (35 %) scan in the first --burst-seconds (15 s),
    uniformly: the host puts the code on the screen and says "please check in", and
    the people already seated all reach for their phones;
  * the others arrive with a density falling linearly from the start to zero at the end
    of the window: people still walking in, then the stragglers.
  With 500 people over 120 s that is about 17 scans/s in the first 15 s (5.4/s of them
  the walkers), then from 4.7/s down to 0; 4.2/s on average.
Each person, as a phone does:
  1. scans the code the projector shows: the code of a moment up to 1 s earlier (the
     page fetches the new code right when it turns over, and draws it);
  2. WeChat opens the mini-program page and wx.getLocation answers: a pause uniform in
     [--phone-min, --phone-max] seconds. A code scanned just before it turned over is
     therefore sometimes posted after it did (accepted for the grace period);
  3. POST /api/v1/checkins {"token", "latitude", "longitude", "accuracy"} with its bearer
     token: a point at a random bearing 0 to 150 m from the event (the geofence is
     200 m), and an accuracy as phones report it (5 to 150 m). Expected: 201.
Meanwhile the projector (a browser logged into the panel: GET the login page, read the
csrf_token field and the session cookie, POST the form, open the projector page) polls
GET /admin/events/projector/<id>/state.json as the page's script does: after each
answer it waits min(3 s, refresh_in) and polls again. Every poll records its latency,
the count shown and whether the code is the one tokens.issue gives for that moment.
Before the first arrival and after the last check-in, --idle-polls polls 0.1 s apart
measure the projector's cost on a quiet server at count 0 and at count N: the clean
answer to "does its cost grow with the number of check-ins".

HTTP: plain HTTP/1.1 over asyncio streams (stdlib only; the pool and response reader
are in bench/httpload.py, shared with bench/exam_hour.py). The people share a
keep-alive pool as a reverse proxy's upstream pool would (at most --pool connections; a
connection idle longer than --max-idle, below gunicorn's 2 s keep-alive, is closed
instead of reused). The projector has a pool of its own with one connection, as a
browser tab would. A check-in is never sent twice: if a reused connection turns out
closed before any byte of the answer, the request is sent once on a new connection only
if no byte of the answer came back (counted as stale_retries); the database check then
confirms no one was paid twice. Latency runs from asking the pool for a connection to
the last byte of the answer.

Afterwards the database is checked (--database-url, else the one in PEOPLE_JSON): one
check-in per person who got 201 and none for anyone else, event.checkin_count equals
the check-ins, each paid the event's points with one ledger entry, every user's balance
equals the sum of its ledger and its all-time leaderboard tally.

Output: a summary on stdout and JSON (--json): check-ins/s, latency p50/p90/p99/max,
non-2xx by status (first bodies kept), connection errors, a 10-second timeline, the
projector's latency at count 0 / early / late / at count N, and the database check.
Exit status: 0 if every person got 201, nothing failed, the projector never failed or
showed a count behind the 201s already answered, ended at N, and its quiet p50 at count N
was within 1.5 x (+ 1 ms) of its quiet p50 at count 0, and the database check passed;
1 otherwise; 2 if the run hit --timeout."""
import argparse
import asyncio
import json
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import httpload
from httpload import NET_ERRORS, fmt_ms, latency_summary, pct

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

M_PER_DEG_LAT = 111_320.0


# -- HTTP/1.1 over asyncio streams (bench/httpload.py) --------------------------------


class Client(httpload.Client):
    """Requests of a phone or a browser tab: its own headers and User-Agent, and a cookie jar."""

    def __init__(self, url: str, pool_size: int, max_idle: float, request_timeout: float, agent: str):
        super().__init__(url, pool_size, max_idle, request_timeout)
        self.agent = agent
        self.cookies: dict[str, str] = {}  # a browser's cookie jar, for the panel

    def _bytes(self, method: str, path: str, headers: dict, body: bytes | None) -> bytes:
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}", f"User-Agent: {self.agent}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        head.append(f"Content-Length: {len(body or b'')}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")

    async def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
        data = self._bytes(method, path, headers or {}, body)
        status, headers, cookies, body = await self.send(data)
        for c in cookies:
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in c.lower() or (not value and "expires=" in c.lower()):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return status, headers, body


# -- the projector's code, by the app's own function ---------------------------------


class Codes:
    """activities.tokens.issue in an app context with the server's SECRET_KEY."""

    def __init__(self, secret: str, event_id: int, token_seconds: int):
        from flask import Flask

        from activities import tokens

        self.app = Flask("checkin-hall")
        self.app.config["SECRET_KEY"] = secret
        self.tokens, self.event_id, self.token_seconds = tokens, event_id, token_seconds

    def at(self, epoch: float) -> str:
        from datetime import datetime, timezone

        moment = datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)
        with self.app.app_context():
            return self.tokens.issue(self.event_id, self.token_seconds, moment)[0]


# -- the hall --------------------------------------------------------------------------


def arrival_times(n: int, window: float, burst_share: float, burst_s: float, rng: random.Random) -> list[float]:
    burst = round(n * burst_share)
    times = [rng.uniform(0, burst_s) for _ in range(burst)]
    # Density 2 (1 - t/W) / W on [0, W]: inverse of its distribution function.
    times += [window * (1 - math.sqrt(1 - rng.random())) for _ in range(n - burst)]
    return sorted(times)


def near(lat: float, lng: float, metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / M_PER_DEG_LAT
    dlng = metres * math.sin(bearing) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)  # wx.getLocation gives 6 decimals


ACCURACIES = (5, 10, 15, 20, 25, 30, 30, 35, 40, 50, 65, 65, 80, 100, 150)  # m, as phones report


class Person:
    __slots__ = ("index", "user_id", "token", "arrive_s", "sent_s", "latency", "status", "error", "body",
                 "points", "code_age_s")

    def __init__(self, index: int, user_id: int, token: str, arrive_s: float):
        self.index, self.user_id, self.token, self.arrive_s = index, user_id, token, arrive_s
        self.sent_s = self.latency = None
        self.status, self.error, self.body, self.points = 0, "", "", None
        self.code_age_s = None


async def check_in(person: Person, spec: dict, args, client: Client, codes: Codes, t0: float,
                   rng: random.Random, done: list):
    await asyncio.sleep(max(0.0, t0 + person.arrive_s - time.monotonic()))
    scanned = time.time()
    code_moment = scanned - rng.uniform(0, 1)  # the code on the screen is at most ~1 s old
    code = codes.at(code_moment)
    lat, lng = near(spec["latitude"], spec["longitude"], rng.uniform(0, 150), rng)
    body = json.dumps({"token": code, "latitude": lat, "longitude": lng, "accuracy": float(rng.choice(ACCURACIES))}).encode()
    await asyncio.sleep(rng.uniform(args.phone_min, args.phone_max))  # WeChat opens the page, getLocation answers
    person.code_age_s = round(time.time() - code_moment, 2)
    headers = {"Authorization": f"Bearer {person.token}", "Accept": "application/json", "Content-Type": "application/json"}
    sent = time.monotonic()
    person.sent_s = sent - t0
    try:
        status, _, answer = await client.request("POST", "/api/v1/checkins", headers, body)
    except asyncio.TimeoutError:
        person.error = f"timeout after {client.request_timeout:g}s"
    except NET_ERRORS as e:
        person.error = f"{type(e).__name__}: {e}"[:200]
    else:
        person.status = status
        if status == 201:
            try:
                person.points = json.loads(answer).get("points_awarded")
            except ValueError:
                person.error = "201 with a body that is not JSON"
        else:
            person.body = answer[:300].decode("utf-8", "replace")
    person.latency = time.monotonic() - sent
    if person.status == 201:
        done.append(time.monotonic() - t0)  # when the 201 was received


class Projector:
    """A browser tab in the panel with the projector page open."""

    def __init__(self, spec: dict, args, codes: Codes):
        self.spec, self.args, self.codes = spec, args, codes
        self.client = Client(args.url, 1, args.max_idle, args.request_timeout,
                             "Mozilla/5.0 (pufa-checkin-hall projector)")
        self.state_path = f"/admin/events/projector/{spec['event_id']}/state.json"
        # (phase, sent s since t0, latency s, status, count, code ok, 201s received before the poll was sent, error)
        self.polls: list[tuple] = []
        self.login_ms: dict[str, float] = {}

    async def login(self):
        c = self.client
        t = time.monotonic()
        status, _, page = await c.request("GET", "/admin/auth/login", {"Accept": "text/html"})
        self.login_ms["login page"] = (time.monotonic() - t) * 1000
        m = re.search(rb'<input[^>]*name="csrf_token"[^>]*>', page)
        value = re.search(rb'value="([^"]*)"', m.group(0)) if m else None
        if status != 200 or not value or "session" not in c.cookies:
            raise SystemExit(f"projector: login page answered {status}; csrf field {'found' if value else 'missing'}, "
                             f"cookies {sorted(c.cookies)}")
        form = urlencode({"csrf_token": value.group(1).decode(), "username": self.spec["admin"]["username"],
                          "password": self.spec["admin"]["password"]}).encode()
        t = time.monotonic()
        status, headers, page = await c.request("POST", "/admin/auth/login", {
            "Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}, form)
        self.login_ms["login POST"] = (time.monotonic() - t) * 1000
        if status != 302 or "/auth/login" in headers.get("location", ""):
            raise SystemExit(f"projector: login answered {status} (location {headers.get('location')!r}): "
                             f"{page[:300].decode('utf-8', 'replace')}")
        t = time.monotonic()
        status, _, page = await c.request("GET", f"/admin/events/projector/{self.spec['event_id']}", {"Accept": "text/html"})
        self.login_ms["projector page"] = (time.monotonic() - t) * 1000
        if status != 200 or b"state.json" not in page:
            raise SystemExit(f"projector: the projector page answered {status}: {page[:300].decode('utf-8', 'replace')}")

    async def poll(self, phase: str, t0: float, ok_so_far: int) -> float:
        """One poll; returns the page's next delay, min(3, refresh_in), or 3 after a failure."""
        sent_epoch, sent = time.time(), time.monotonic()
        try:
            status, _, body = await self.client.request("GET", self.state_path, {"Accept": "*/*", "Cache-Control": "no-store"})
        except asyncio.TimeoutError:
            self.polls.append((phase, sent - t0, time.monotonic() - sent, 0, None, None, ok_so_far,
                               f"timeout after {self.client.request_timeout:g}s"))
            return 3.0
        except NET_ERRORS as e:
            self.polls.append((phase, sent - t0, time.monotonic() - sent, 0, None, None, ok_so_far, f"{type(e).__name__}: {e}"[:200]))
            return 3.0
        latency = time.monotonic() - sent
        if status != 200:
            self.polls.append((phase, sent - t0, latency, status, None, None, ok_so_far, body[:300].decode("utf-8", "replace")))
            return 3.0
        state = json.loads(body)
        # The code shown must be the one the app's function gives for this moment (either
        # side of a turnover while the request was in flight).
        code_ok = state["token"] in (self.codes.at(sent_epoch), self.codes.at(time.time()))
        self.polls.append((phase, sent - t0, latency, status, state["count"], code_ok, ok_so_far, ""))
        return min(3.0, float(state["refresh_in"]))


# -- numbers -------------------------------------------------------------------------


def analyse(people: list[Person], projector: Projector, n: int) -> dict:
    sent = [p for p in people if p.sent_s is not None]
    ok = [p for p in sent if p.status == 201]
    out: dict = {"requests": len(sent), "created_201": len(ok), "never_sent": n - len(sent)}
    out["latency"] = latency_summary([p.latency for p in ok])
    statuses = Counter(str(p.status) for p in sent if p.status and p.status != 201)
    conn = Counter(p.error.split(":")[0] for p in sent if not p.status and p.error)
    bodies = defaultdict(list)
    for p in sent:
        if p.status and p.status != 201 and len(bodies[str(p.status)]) < 3:
            bodies[str(p.status)].append(p.body)
    out["errors"] = {"non_2xx": dict(statuses), "first_bodies": dict(bodies), "connection": dict(conn),
                     "first_connection_errors": [p.error for p in sent if not p.status][:3]}
    if ok:
        first, last = min(p.sent_s for p in ok), max(p.sent_s + p.latency for p in ok)
        out["checkins_per_s_overall"] = round(len(ok) / (last - first), 2) if last > first else None
        out["span_s"] = round(last - first, 1)
        per_s = Counter(int(p.sent_s) for p in ok)
        out["checkins_per_s_peak_1s"] = max(per_s.values())
        per_10 = Counter(int(p.sent_s // 10) for p in ok)
        out["checkins_per_s_peak_10s"] = round(max(per_10.values()) / 10, 1)
        ages = sorted(p.code_age_s for p in ok if p.code_age_s is not None)
        out["code_age_at_post_s"] = {"min": ages[0], "p50": pct(ages, 50), "max": ages[-1]}
    # 10-second timeline by send time, with the projector's count at the end of each bucket.
    buckets: dict[int, list[Person]] = defaultdict(list)
    for p in sent:
        buckets[int(p.sent_s // 10)].append(p)
    live = [x for x in projector.polls if x[0] == "live"]
    timeline = []
    for b in sorted(buckets):
        rows = buckets[b]
        v = sorted(p.latency * 1000 for p in rows if p.status == 201)
        in_bucket = [x for x in live if b * 10 <= x[1] < b * 10 + 10 and x[3] == 200]
        shown = max((x[4] for x in live if x[1] < b * 10 + 10 and x[3] == 200), default=None)
        pv = sorted(x[2] * 1000 for x in in_bucket)
        timeline.append({"t_s": b * 10, "posts": len(rows), "per_s": round(len(rows) / 10, 1),
                         "p50_ms": round(pct(v, 50), 1) if v else None, "p99_ms": round(pct(v, 99), 1) if v else None,
                         "max_ms": round(v[-1], 1) if v else None, "errors": sum(1 for p in rows if p.status != 201),
                         "projector_count": shown, "projector_polls": len(pv),
                         "projector_max_ms": round(pv[-1], 1) if pv else None})
    out["timeline_10s"] = timeline

    # The projector.
    polls = projector.polls
    good = [x for x in polls if x[3] == 200]
    proj: dict = {"polls": len(polls), "ok": len(good), "login_ms": {k: round(v, 1) for k, v in projector.login_ms.items()},
                  "failed": [{"phase": x[0], "t_s": round(x[1], 1), "status": x[3], "error": x[7]} for x in polls if x[3] != 200][:5],
                  "failures": sum(1 for x in polls if x[3] != 200),
                  "code_mismatch": sum(1 for x in good if not x[5]),
                  "count_behind_201s": sum(1 for x in good if x[4] < x[6]),
                  "count_decreased": sum(1 for a, b in zip(good, good[1:]) if b[4] < a[4]),
                  "final_count": good[-1][4] if good else None}
    live_ok = [x for x in good if x[0] == "live"]
    gaps = [b[1] - a[1] for a, b in zip(live_ok, live_ok[1:])]
    proj["live_poll_interval_s"] = {"mean": round(statistics.fmean(gaps), 2), "max": round(max(gaps), 2)} if gaps else None
    groups = {
        "idle_before": [x for x in good if x[0] == "idle_before"],
        "live_early (count < 100)": [x for x in live_ok if x[4] < 100],
        "live_middle (100 <= count < 400)": [x for x in live_ok if 100 <= x[4] < 400],
        "live_late (count >= 400)": [x for x in live_ok if x[4] >= 400],
        "idle_after": [x for x in good if x[0] == "idle_after"],
    }
    proj["latency"] = {}
    for name, rows in groups.items():
        counts = [x[4] for x in rows]
        proj["latency"][name] = latency_summary([x[2] for x in rows]) | (
            {"count_shown": f"{min(counts)}..{max(counts)}"} if counts else {})
    before, after = proj["latency"]["idle_before"], proj["latency"]["idle_after"]
    if before.get("count") and after.get("count"):
        proj["idle_p50_ratio_after_to_before"] = round(after["p50_ms"] / before["p50_ms"], 2)
    out["projector"] = proj
    return out


# -- the database check --------------------------------------------------------------


def check_database(url: str, event_id: int, points: int, people: list[Person]) -> dict:
    from sqlalchemy import create_engine, text

    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    with engine.connect() as c:
        q = lambda sql, **kw: c.execute(text(sql), kw)  # noqa: E731
        checked_in = {row[0]: row[1] for row in q("SELECT user_id, points_awarded FROM checkin WHERE event_id = :e", e=event_id)}
        checkin_count = q("SELECT checkin_count FROM event WHERE id = :e", e=event_id).scalar()
        entries = dict(q("SELECT user_id, count(*) FROM points_entry WHERE idempotency_key LIKE :k GROUP BY user_id",
                         k=f"checkin:{event_id}:%").all())
        entry_points = q("SELECT COALESCE(SUM(delta), 0) FROM points_entry WHERE idempotency_key LIKE :k",
                         k=f"checkin:{event_id}:%").scalar()
        ledger_mismatch = q("""
            SELECT u.id, u.points_balance, COALESCE(l.total, 0) FROM app_user u
            LEFT JOIN (SELECT user_id, SUM(delta) AS total FROM points_entry GROUP BY user_id) l ON l.user_id = u.id
            WHERE u.points_balance <> COALESCE(l.total, 0)""").all()
        tally_mismatch = q("""
            SELECT u.id, COALESCE(t.points, 0), COALESCE(l.earned, 0) FROM app_user u
            LEFT JOIN points_tally t ON t.user_id = u.id AND t.period = 'all'
            LEFT JOIN (SELECT user_id, SUM(delta) AS earned FROM points_entry WHERE delta > 0 GROUP BY user_id) l
              ON l.user_id = u.id
            WHERE COALESCE(t.points, 0) <> COALESCE(l.earned, 0)""").all()
        last_after = q("""
            SELECT count(*) FROM app_user u JOIN points_entry e ON e.user_id = u.id
            WHERE e.id = (SELECT max(id) FROM points_entry WHERE user_id = u.id) AND e.balance_after <> u.points_balance""").scalar()
        users = q("SELECT count(*) FROM app_user").scalar()
        balance_total = q("SELECT COALESCE(SUM(points_balance), 0) FROM app_user").scalar()
    engine.dispose()

    got_201 = {p.user_id for p in people if p.status == 201}
    failed_but_stored = sorted(p.user_id for p in people if p.status != 201 and p.user_id in checked_in)
    result = {
        "checkins_in_db": len(checked_in), "event_checkin_count": checkin_count, "answered_201": len(got_201),
        "201_but_not_in_db": len(got_201 - set(checked_in)), "in_db_without_201": len(set(checked_in) - got_201),
        "in_db_after_a_client_side_failure": len(failed_but_stored),
        "checkins_paid_other_than_event_points": sum(1 for v in checked_in.values() if v != points),
        "checkin_ledger_entries": sum(entries.values()), "users_with_more_than_one_checkin_entry": sum(1 for v in entries.values() if v > 1),
        "checkin_points_in_ledger": int(entry_points), "users": users, "balance_total": int(balance_total),
        "balance_differs_from_ledger_sum": len(ledger_mismatch), "alltime_tally_differs_from_ledger": len(tally_mismatch),
        "last_entry_balance_after_differs": last_after,
        "examples": [f"user {r[0]}: balance {r[1]}, ledger {r[2]}" for r in ledger_mismatch[:3]]
                    + [f"user {r[0]}: all-time tally {r[1]}, ledger {r[2]}" for r in tally_mismatch[:3]],
    }
    n = len(checked_in)
    result["passed"] = (checkin_count == n and set(checked_in) == got_201 and result["checkins_paid_other_than_event_points"] == 0
                        and result["checkin_ledger_entries"] == n and result["users_with_more_than_one_checkin_entry"] == 0
                        and entry_points == n * points and balance_total == n * points and not ledger_mismatch
                        and not tally_mismatch and last_after == 0)
    return result


# -- main ----------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("people_json")
    p.add_argument("--url", default="http://127.0.0.1:18704")
    p.add_argument("--people", type=int, help="how many of the file's people come (default: all)")
    p.add_argument("--window", type=float, default=120.0, help="scans spread over this many seconds")
    p.add_argument("--burst-share", type=float, default=0.35, help="share of the people scanning in the first burst")
    p.add_argument("--burst-seconds", type=float, default=15.0)
    p.add_argument("--phone-min", type=float, default=1.0, help="scan to POST, least (s)")
    p.add_argument("--phone-max", type=float, default=4.0, help="scan to POST, most (s)")
    p.add_argument("--pool", type=int, default=32, help="most keep-alive connections of the people's pool (0: one per request)")
    p.add_argument("--max-idle", type=float, default=1.5, help="reuse a connection only if idle less than this (s)")
    p.add_argument("--idle-polls", type=int, default=40, help="projector polls 0.1 s apart before and after the hall")
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--timeout", type=float, help="hard bound on the hall, s (default: window + phone-max + 90)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="write the results here")
    p.add_argument("--raw", help="write every request here (CSV)")
    p.add_argument("--database-url", help="for the check afterwards (default: the one in PEOPLE_JSON)")
    p.add_argument("--no-db-check", action="store_true")
    args = p.parse_args()

    secret = os.environ.get("SECRET_KEY")
    if not secret:
        raise SystemExit("set SECRET_KEY to the server's")
    spec = json.loads(Path(args.people_json).read_text(encoding="utf-8"))
    rows = spec["people"][: args.people] if args.people else spec["people"]
    n = len(rows)
    if args.timeout is None:
        args.timeout = args.window + args.phone_max + 90
    rng = random.Random(args.seed)
    arrivals = arrival_times(n, args.window, args.burst_share, args.burst_seconds, rng)
    order = list(range(n))
    rng.shuffle(order)  # who comes when: not in user id order
    people = [Person(i, rows[k]["user_id"], rows[k]["token"], arrivals[i]) for i, k in enumerate(order)]
    codes = Codes(secret, spec["event_id"], spec["token_seconds"])
    first15 = sum(1 for a in arrivals if a < args.burst_seconds)
    print(f"check-in hall: {n} people, event {spec['event_id']} (code every {spec['token_seconds']}s, geofence "
          f"{spec['radius_m']} m); scans over {args.window:g}s, {first15} in the first {args.burst_seconds:g}s "
          f"({args.burst_share:.0%} burst + walkers), then thinning out; scan to POST {args.phone_min:g}-{args.phone_max:g}s; "
          f"{args.url}, pool {args.pool}; hard timeout {args.timeout:.0f}s", flush=True)

    client = Client(args.url, args.pool, args.max_idle, args.request_timeout, "Mozilla/5.0 (pufa-checkin-hall) MicroMessenger")
    projector = Projector(spec, args, codes)
    cpu0 = time.process_time()
    state = {}

    async def run() -> bool:
        await projector.login()
        t_login = time.monotonic()
        for _ in range(5):  # warm-up, not counted: the first requests of a fresh worker are slower
            await projector.poll("warmup", t_login, 0)
            await asyncio.sleep(0.1)
        for _ in range(args.idle_polls):
            await projector.poll("idle_before", t_login, 0)
            await asyncio.sleep(0.1)
        t0 = time.monotonic() + 0.5
        state["t0"], state["t0_epoch"] = t0, time.time() + 0.5
        done: list[float] = []
        master = random.Random(args.seed + 1)
        tasks = [asyncio.create_task(check_in(person, spec, args, client, codes, t0,
                                              random.Random(master.random()), done)) for person in people]
        stop = asyncio.Event()

        async def project():
            while not stop.is_set():
                delay = await projector.poll("live", t0, len(done))
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except asyncio.TimeoutError:
                    pass

        async def progress():
            while True:
                await asyncio.sleep(15)
                sent = sum(1 for x in people if x.sent_s is not None)
                errs = sum(1 for x in people if x.sent_s is not None and x.latency is not None and x.status != 201)
                shown = next((x[4] for x in reversed(projector.polls) if x[3] == 200), None)
                print(f"  t={time.monotonic() - t0:5.0f}s  posted {sent:4d}  201 {len(done):4d}  errors {errs}  "
                      f"projector shows {shown}  open connections {client.pool.open}", flush=True)

        proj_task = asyncio.create_task(project())
        completed = await httpload.wait_all(tasks, args.timeout, asyncio.create_task(progress()), "person")
        # One last live poll after the last answer, as the page would, then the quiet polls.
        await asyncio.sleep(0.5)
        stop.set()
        await proj_task
        await projector.poll("live", t0, len(done))
        for _ in range(args.idle_polls):
            await projector.poll("idle_after", t0, len(done))
            await asyncio.sleep(0.1)
        client.pool.close_all()
        projector.client.pool.close_all()
        await asyncio.sleep(0.05)
        return completed

    completed = asyncio.run(run())
    cpu = time.process_time() - cpu0
    result = {
        "config": {"url": args.url, "people": n, "event_id": spec["event_id"], "token_seconds": spec["token_seconds"],
                   "window_s": args.window, "burst_share": args.burst_share, "burst_s": args.burst_seconds,
                   "scans_in_burst_window": first15, "phone_s": [args.phone_min, args.phone_max], "pool": args.pool,
                   "max_idle_s": args.max_idle, "idle_polls": args.idle_polls, "request_timeout_s": args.request_timeout,
                   "timeout_s": args.timeout, "seed": args.seed},
        "t0_epoch": round(state.get("t0_epoch", 0), 3), "completed": completed,
        "client": {"cpu_s": round(cpu, 1), "connections_opened": client.pool.opened, "peak_open": client.pool.peak_open,
                   "stale_retries": client.stale_retries, "projector_connections_opened": projector.client.pool.opened},
    } | analyse(people, projector, n)
    if "code_age_at_post_s" in result:
        # Posted with a code the projector had already replaced (accepted for the grace period).
        result["code_age_at_post_s"]["posted_after_the_code_turned_over"] = sum(
            1 for x in people if x.status == 201 and x.code_age_s is not None
            and codes.at(state["t0_epoch"] + x.sent_s) != codes.at(state["t0_epoch"] + x.sent_s - x.code_age_s))
    errors = (sum(result["errors"]["non_2xx"].values()) + sum(result["errors"]["connection"].values())
              + result["never_sent"])
    result["error_count"] = errors
    proj = result["projector"]
    db_ok = True
    if not args.no_db_check:
        url = args.database_url or spec.get("database_url")
        try:
            result["db_check"] = check_database(url, spec["event_id"], spec["points"], people)
            db_ok = result["db_check"]["passed"]
        except Exception as e:  # noqa: BLE001 - reported, and the run fails
            result["db_check"] = {"passed": False, "error": f"{type(e).__name__}: {e}"}
            db_ok = False
    # The projector's cost must not grow with the check-ins: on a quiet server, its p50 at
    # count N within 1.5 x (+ 1 ms of noise) of its p50 at count 0.
    before, after = proj["latency"]["idle_before"], proj["latency"]["idle_after"]
    proj["cost_does_not_grow"] = bool(before.get("count") and after.get("count")
                                      and after["p50_ms"] <= 1.5 * before["p50_ms"] + 1.0)
    result["passed"] = bool(completed and errors == 0 and result["created_201"] == n and db_ok
                            and proj["failures"] == 0 and proj["code_mismatch"] == 0 and proj["count_behind_201s"] == 0
                            and proj["count_decreased"] == 0 and proj["final_count"] == n and proj["cost_does_not_grow"])

    # -- report
    lat = result["latency"]
    print()
    print(f"finished: {'yes' if completed else 'NO (hard timeout)'}; {result['created_201']}/{n} checked in (201); "
          f"span {result.get('span_s')}s; load generator CPU {cpu:.1f}s; connections opened {client.pool.opened} "
          f"(peak {client.pool.peak_open} open), stale retries {client.stale_retries}")
    print(f"check-ins/s: overall {result.get('checkins_per_s_overall')}, peak 10 s {result.get('checkins_per_s_peak_10s')}, "
          f"peak 1 s {result.get('checkins_per_s_peak_1s')}; code age at POST {result.get('code_age_at_post_s')}")
    print("| request | requests | 201 | p50 ms | p90 ms | p99 ms | max ms | non-2xx | connection errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| POST /api/v1/checkins | {result['requests']} | {result['created_201']} | {fmt_ms(lat.get('p50_ms'))} "
          f"| {fmt_ms(lat.get('p90_ms'))} | {fmt_ms(lat.get('p99_ms'))} | {fmt_ms(lat.get('max_ms'))} "
          f"| {sum(result['errors']['non_2xx'].values())} | {sum(result['errors']['connection'].values())} |")
    for status, k in result["errors"]["non_2xx"].items():
        print(f"  {k} x HTTP {status}; first bodies: {result['errors']['first_bodies'][status][:2]}")
    for what, k in result["errors"]["connection"].items():
        print(f"  {k} x {what}; first: {result['errors']['first_connection_errors'][:2]}")
    print(f"projector: {proj['polls']} polls, {proj['failures']} failed, code mismatches {proj['code_mismatch']}, "
          f"count behind the 201s already answered {proj['count_behind_201s']}, count went down {proj['count_decreased']}, "
          f"final count {proj['final_count']}; live poll interval {proj['live_poll_interval_s']}; login {proj['login_ms']} ms")
    print("| projector state.json | polls | count shown | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, s in proj["latency"].items():
        print(f"| {name} | {s.get('count', 0)} | {s.get('count_shown', '-')} | {fmt_ms(s.get('p50_ms'))} "
              f"| {fmt_ms(s.get('p90_ms'))} | {fmt_ms(s.get('p99_ms'))} | {fmt_ms(s.get('max_ms'))} |")
    if "idle_p50_ratio_after_to_before" in proj:
        print(f"projector p50 on a quiet server, count {n} vs count 0: x{proj['idle_p50_ratio_after_to_before']} "
              f"({'does not grow' if proj['cost_does_not_grow'] else 'GROWS'}: limit 1.5 x + 1 ms)")
    for f in proj["failed"]:
        print(f"  projector failure: {f}")
    print("timeline (10 s buckets by send time): t  posts/s  p50  p99  max  errors | projector count at end, polls, max ms")
    for b in result["timeline_10s"]:
        print(f"  {b['t_s']:4d}s {b['per_s']:6.1f} {fmt_ms(b['p50_ms']):>7} {fmt_ms(b['p99_ms']):>7} "
              f"{fmt_ms(b['max_ms']):>7} {b['errors']:4d} | {b['projector_count']!s:>4} {b['projector_polls']:3d} "
              f"{fmt_ms(b['projector_max_ms']):>7}")
    if "db_check" in result:
        d = result["db_check"]
        if "error" in d:
            print(f"database check: FAILED to run: {d['error']}")
        else:
            print(f"database check: {'PASS' if d['passed'] else 'FAIL'}: check-ins {d['checkins_in_db']}, "
                  f"event.checkin_count {d['event_checkin_count']}, 201s {d['answered_201']} (201 but missing "
                  f"{d['201_but_not_in_db']}, stored without a 201 {d['in_db_without_201']}); check-in ledger entries "
                  f"{d['checkin_ledger_entries']} ({d['checkin_points_in_ledger']} points, paid other than the event's "
                  f"{d['checkins_paid_other_than_event_points']}, users paid twice {d['users_with_more_than_one_checkin_entry']}); "
                  f"users {d['users']}, balance total {d['balance_total']}; balance != ledger sum: "
                  f"{d['balance_differs_from_ledger_sum']}, all-time tally != ledger: {d['alltime_tally_differs_from_ledger']}, "
                  f"last balance_after != balance: {d['last_entry_balance_after_differs']}")
            for line in d["examples"]:
                print(f"  {line}")
    print(f"verdict: {'PASS' if result['passed'] else 'FAIL'} (every person 201, no errors, projector never failed or "
          f"lagged, ends at {n} and its cost does not grow, database check)")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            f.write("kind,who,arrive_s,sent_s,latency_ms,status,count_shown,error\n")
            for x in people:
                if x.sent_s is not None:
                    f.write(f"checkin,{x.user_id},{x.arrive_s:.3f},{x.sent_s:.4f},{x.latency * 1000:.2f},{x.status},,"
                            f"\"{(x.error or x.body).replace(chr(34), chr(39))[:200]}\"\n")
            for ph, s, lat_s, status, count, _, _, err in projector.polls:
                f.write(f"projector_{ph},,,{s:.4f},{lat_s * 1000:.2f},{status},{'' if count is None else count},"
                        f"\"{err.replace(chr(34), chr(39))[:200]}\"\n")
    if not completed:
        return 2
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
