"""The mixed load of issue 14: a town's busy minute on one server, every kind of write
at once, against a running server (bench/mixed.sh starts it).

    python bench/mixed_load.py SPEC_JSON [--url http://127.0.0.1:18714] [--duration 60]
        [--residents N] [--cadres N] [--people N] [--photos 60] [--leaderboard-rate 4]
        [--exam-answers 35] [--pool 64] [--slow-s 5] [--json OUT] [--app-root DIR]

SPEC_JSON is what bench/mixed_prepare.py wrote. Over --duration seconds, all at once:
  * residents (arriving over the first part of the run) start their daily set
    (POST /api/v1/quizzes {"mode": "daily"}), answer its questions 1.5 to 3.5 s apart
    with options picked at random, and finish it (POST /quizzes/{id}/finish);
  * cadres (arriving over the first 30 %) start the annual exam, save --exam-answers
    answers (PUT /exam-attempts/{id}/answers/{qid}; the right ones, found by option
    text, so that they pass), paced to submit by 75 % of the run (so that the
    certificates fall inside it), submit, and then download their certificate for the
    first time (GET /exam-attempts/{id}/certificate, which writes it);
  * people (arriving over the first 85 %) check in at the event (POST /checkins with
    the projector's code of the moment, made by the app's activities.tokens.issue as in
    bench/checkin_hall.py, from within the geofence), 1 to 3 s after scanning;
  * the organising unit's cadres upload --photos photos, evenly over the first 90 %
    (POST /events/{id}/photos, multipart; each a distinct JPEG of 800 x 600 made with
    Pillow);
  * leaderboard reads (GET /leaderboard, random period; the town's board by a resident,
    a unit's by one of the hall's people) at --leaderboard-rate a second.
HTTP: bench/httpload.py's keep-alive pool (at most --pool connections), each request
bounded by --request-timeout; the whole run by --duration + 90 s.

Report, per kind of request: count, 2xx, 4xx and 5xx (with their codes), connection
errors, requests slower than --slow-s (timeouts included), p50 / p99 / max; the first
bodies of every non-2xx; a 10-second timeline.
Exit status: 0 if no request got a 5xx, none took --slow-s or longer and none failed
to connect or was cut; 1 otherwise; 2 if the run hit its hard timeout."""
import argparse
import asyncio
import io
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpload
from httpload import NET_ERRORS, fmt_ms, latency_summary, pct

KINDS = ["quiz_start", "answer", "quiz_finish", "exam_start", "exam_save", "exam_submit", "certificate",
         "checkin", "photo", "leaderboard"]


class Recorder:
    def __init__(self, t0: float):
        self.t0 = t0
        self.rows: list[tuple[str, float, float, int, str]] = []  # kind, sent s, latency s, status or 0, error
        self.bodies: dict[tuple[str, int], list[str]] = defaultdict(list)

    async def call(self, client, kind: str, method: str, path: str, token: str, **kw):
        """(status, body), or (None, b"") after a timeout or a network error; recorded."""
        sent = time.monotonic()
        try:
            status, _, body = await client.request(method, path, token, **kw)
        except asyncio.TimeoutError:
            self.rows.append((kind, sent - self.t0, time.monotonic() - sent, 0, f"timeout after {client.request_timeout:g}s"))
            return None, b""
        except NET_ERRORS as e:
            self.rows.append((kind, sent - self.t0, time.monotonic() - sent, 0, f"{type(e).__name__}: {e}"[:200]))
            return None, b""
        self.rows.append((kind, sent - self.t0, time.monotonic() - sent, status, ""))
        if not 200 <= status < 300 and len(self.bodies[(kind, status)]) < 3:
            self.bodies[(kind, status)].append(body[:300].decode("utf-8", "replace"))
        return status, body


async def at(t0: float, s: float):
    await asyncio.sleep(max(0.0, t0 + s - time.monotonic()))


def pick(question: dict, rng: random.Random) -> list[str]:
    keys = [o["key"] for o in question["options"]]
    if question["type"] == "multiple":
        return sorted(rng.sample(keys, min(2, len(keys))))
    return [rng.choice(keys)]


async def resident(token, start_s, rec, client, t0, rng):
    await at(t0, start_s)
    status, body = await rec.call(client, "quiz_start", "POST", "/api/v1/quizzes", token, json_body={"mode": "daily"})
    if status not in (200, 201):
        return
    quiz = json.loads(body)
    done = set(str(k) for k in (quiz.get("results") or {}))
    for q in quiz["questions"]:
        if str(q["id"]) in done:
            continue
        await asyncio.sleep(rng.uniform(1.5, 3.5))
        await rec.call(client, "answer", "POST", f"/api/v1/quizzes/{quiz['id']}/answers", token,
                       json_body={"question_id": q["id"], "answer": pick(q, rng)})
    await asyncio.sleep(rng.uniform(0.5, 1.5))
    await rec.call(client, "quiz_finish", "POST", f"/api/v1/quizzes/{quiz['id']}/finish", token)


async def cadre(token, exam_id, key, answers, start_s, end_s, rec, client, t0, rng, outcome):
    await at(t0, start_s)
    status, body = await rec.call(client, "exam_start", "POST", f"/api/v1/exams/{exam_id}/attempts", token)
    if status not in (200, 201):
        return
    attempt = json.loads(body)
    questions = attempt["questions"][:answers]
    pause = max(0.05, (end_s - (time.monotonic() - t0)) / (len(questions) + 2))
    for q in questions:
        await asyncio.sleep(pause * rng.uniform(0.5, 1.5))
        right = set(key.get(str(q["id"]), []))
        shown = sorted(o["key"] for o in q["options"] if o["text"] in right) or pick(q, rng)
        await rec.call(client, "exam_save", "PUT", f"/api/v1/exam-attempts/{attempt['id']}/answers/{q['id']}", token,
                       json_body={"answer": shown})
    await asyncio.sleep(pause * rng.uniform(0.5, 1.5))
    status, body = await rec.call(client, "exam_submit", "POST", f"/api/v1/exam-attempts/{attempt['id']}/submit", token)
    if status != 200:
        return
    outcome["passed" if json.loads(body).get("passed") else "failed"] += 1
    await asyncio.sleep(rng.uniform(0.5, 2.0))  # the phone shows the result, then the certificate button
    await rec.call(client, "certificate", "GET", f"/api/v1/exam-attempts/{attempt['id']}/certificate", token)


async def checkin(person, hall, codes, start_s, rec, client, t0, rng, near, accuracies):
    await at(t0, start_s)
    code = codes.at(time.time() - rng.uniform(0, 1))
    lat, lng = near(hall["latitude"], hall["longitude"], rng.uniform(0, 150), rng)
    await asyncio.sleep(rng.uniform(1, 3))
    await rec.call(client, "checkin", "POST", "/api/v1/checkins", person["token"],
                   json_body={"token": code, "latitude": lat, "longitude": lng, "accuracy": float(rng.choice(accuracies))})


async def photo(organiser, event_id, index, jpeg, start_s, rec, client, t0):
    await at(t0, start_s)
    body, ctype = httpload.multipart({"caption": f"活动现场照片{index + 1}"},
                                     {"file": (f"IMG_{index:04d}.jpg", "image/jpeg", jpeg)})
    await rec.call(client, "photo", "POST", f"/api/v1/events/{event_id}/photos", organiser["token"], body=body, content_type=ctype)


async def leaderboard(residents, people, rate, duration, rec, client, t0, rng):
    """Town boards read by the residents, unit boards by the hall's people (who have a
    unit: without one, scope=org_unit is a 422)."""
    tasks = []
    s = rng.expovariate(rate)
    while s < duration:
        period, scope = rng.choice(("week", "month", "all")), rng.choice(("town", "town", "org_unit"))
        token = rng.choice(residents) if scope == "town" else rng.choice(people)["token"]

        async def one(s=s, period=period, scope=scope, token=token):
            await at(t0, s)
            await rec.call(client, "leaderboard", "GET", f"/api/v1/leaderboard?period={period}&scope={scope}", token)

        tasks.append(asyncio.create_task(one()))
        s += rng.expovariate(rate)
    await asyncio.gather(*tasks)


def jpegs(n: int, seed: int) -> list[bytes]:
    """n distinct photos (different SHA-256), as a phone's JPEG: 800 x 600, shapes and noise."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    out = []
    for i in range(n):
        img = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x, y = rng.randrange(800), rng.randrange(600)
            draw.ellipse((x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 200)),
                         fill=tuple(rng.randrange(256) for _ in range(3)))
        noise = Image.effect_noise((800, 600), 24).convert("RGB")
        img = Image.blend(img, noise, 0.15)
        draw = ImageDraw.Draw(img)
        draw.text((20, 20), f"bench photo {i} {rng.random():.6f}", fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def report(rec: Recorder, slow_s: float) -> dict:
    by_kind = defaultdict(list)
    for row in rec.rows:
        by_kind[row[0]].append(row)
    out = {}
    for kind in KINDS + sorted(set(by_kind) - set(KINDS)):
        rows = by_kind.get(kind, [])
        lat = latency_summary([r[2] for r in rows if r[3]])
        out[kind] = {
            "count": len(rows), "ok": sum(1 for r in rows if 200 <= r[3] < 300),
            "4xx": dict(Counter(str(r[3]) for r in rows if 400 <= r[3] < 500)),
            "5xx": dict(Counter(str(r[3]) for r in rows if r[3] >= 500)),
            "connection_errors": dict(Counter(r[4].split(":")[0] for r in rows if not r[3])),
            "slow": sum(1 for r in rows if r[2] >= slow_s), "latency": lat,
            "first_bodies": {f"{k[1]}": v for k, v in rec.bodies.items() if k[0] == kind},
        }
    buckets = defaultdict(list)
    for r in rec.rows:
        buckets[int(r[1] // 10)].append(r)
    out["_timeline"] = []
    for b in sorted(buckets):
        v = sorted(r[2] * 1000 for r in buckets[b])
        out["_timeline"].append({"t_s": b * 10, "per_s": round(len(v) / 10, 1), "p50_ms": round(pct(v, 50), 1),
                                 "p99_ms": round(pct(v, 99), 1), "max_ms": round(v[-1], 1),
                                 "5xx": sum(1 for r in buckets[b] if r[3] >= 500),
                                 "writes": sum(1 for r in buckets[b] if r[0] not in ("leaderboard",))})
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec_json")
    p.add_argument("--url", default="http://127.0.0.1:18714")
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--residents", type=int, help="default: all in the spec")
    p.add_argument("--cadres", type=int, help="default: all in the spec")
    p.add_argument("--people", type=int, help="default: all in the spec")
    p.add_argument("--photos", type=int, default=60)
    p.add_argument("--leaderboard-rate", type=float, default=4.0, help="reads a second")
    p.add_argument("--exam-answers", type=int, default=35, help="answers each cadre saves (all right: 35 x 2 = 70 >= 60 passes)")
    p.add_argument("--pool", type=int, default=64)
    p.add_argument("--max-idle", type=float, default=1.5)
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--slow-s", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json")
    p.add_argument("--app-root", help="the code the server runs (for the check-in codes); default: this tree")
    args = p.parse_args()

    import checkin_hall  # puts this tree first on sys.path; the app's code must be the server's

    if args.app_root:
        sys.path.insert(0, str(Path(args.app_root).resolve()))
    spec = json.loads(Path(args.spec_json).read_text(encoding="utf-8"))
    hall, exam = spec["hall"], spec["exam"]
    residents = spec["residents"][: args.residents] if args.residents is not None else spec["residents"]
    cadres = exam["cadres"][: args.cadres] if args.cadres is not None else exam["cadres"]
    people = hall["people"][: args.people] if args.people is not None else hall["people"]
    codes = checkin_hall.Codes(os.environ["SECRET_KEY"], hall["event_id"], hall["token_seconds"])
    photos = jpegs(args.photos, args.seed)
    rng = random.Random(args.seed)
    D = args.duration
    print(f"mixed load over {D:g}s on {args.url}: {len(residents)} residents (daily set), {len(cadres)} cadres "
          f"(exam {exam['exam_id']}, {args.exam_answers} answers, certificate), {len(people)} check-ins, "
          f"{args.photos} photos (~{sum(map(len, photos)) // max(1, len(photos)) // 1024} KB each) by "
          f"{len(spec['organisers'])} organisers, {args.leaderboard_rate:g} leaderboard reads/s; pool {args.pool}", flush=True)

    client = httpload.ApiClient(args.url, args.pool, args.max_idle, args.request_timeout)
    outcome = Counter()
    cpu0 = time.process_time()

    async def run() -> bool:
        t0 = time.monotonic() + 0.5
        rec = Recorder(t0)
        run.rec = rec
        r_span = max(1.0, D - 35)  # a daily set takes ~30 s
        tasks = [asyncio.create_task(resident(tok, rng.uniform(0, r_span), rec, client, t0, random.Random(rng.random())))
                 for tok in residents]
        tasks += [asyncio.create_task(cadre(c["token"], exam["exam_id"], spec["exam_key"], args.exam_answers,
                                            rng.uniform(0, 0.3 * D), 0.75 * D, rec, client, t0, random.Random(rng.random()),
                                            outcome)) for c in cadres]
        tasks += [asyncio.create_task(checkin(person, hall, codes, rng.uniform(0, 0.85 * D), rec, client, t0,
                                              random.Random(rng.random()), checkin_hall.near, checkin_hall.ACCURACIES))
                  for person in people]
        organisers = spec["organisers"]
        tasks += [asyncio.create_task(photo(organisers[i % len(organisers)], spec["event_id"], i, jpeg,
                                            (i + rng.random()) * 0.9 * D / max(1, len(photos)), rec, client, t0))
                  for i, jpeg in enumerate(photos)]
        tasks.append(asyncio.create_task(leaderboard(residents, people, args.leaderboard_rate, D, rec, client, t0,
                                                     random.Random(rng.random()))))

        async def progress():
            last = 0
            while True:
                await asyncio.sleep(10)
                rows = rec.rows[last:]
                last += len(rows)
                print(f"  t={time.monotonic() - t0:4.0f}s  {len(rows) / 10:6.1f} req/s, "
                      f"5xx {sum(1 for r in rows if r[3] >= 500)}, slow {sum(1 for r in rows if r[2] >= args.slow_s)}, "
                      f"open connections {client.pool.open}", flush=True)

        ticker = asyncio.create_task(progress())
        completed = await httpload.wait_all(tasks, D + 90, ticker, "virtual user")
        client.pool.close_all()
        await asyncio.sleep(0.05)
        return completed

    completed = asyncio.run(run())
    rec = run.rec
    result = report(rec, args.slow_s)
    wall = max((r[1] + r[2] for r in rec.rows), default=0.0)
    n5 = sum(sum(v["5xx"].values()) for k, v in result.items() if not k.startswith("_"))
    slow = sum(v["slow"] for k, v in result.items() if not k.startswith("_"))
    conn = sum(sum(v["connection_errors"].values()) for k, v in result.items() if not k.startswith("_"))
    passed = completed and n5 == 0 and slow == 0 and conn == 0

    print()
    print(f"finished: {'yes' if completed else 'NO (hard timeout)'}; {len(rec.rows)} requests in {wall:.0f}s; "
          f"exams passed {outcome['passed']}, failed {outcome['failed']}; load generator CPU {time.process_time() - cpu0:.1f}s; "
          f"connections opened {client.pool.opened} (peak {client.pool.peak_open}), stale retries {client.stale_retries}")
    print(f"| request | count | 2xx | 4xx | 5xx | connection errors | >= {args.slow_s:g} s | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, v in result.items():
        if kind.startswith("_"):
            continue
        lat = v["latency"]

        def codes_of(d):
            return str(sum(d.values())) + (" (" + ", ".join(f"{k}: {n}" for k, n in sorted(d.items())) + ")" if d else "")

        print(f"| {kind} | {v['count']} | {v['ok']} | {codes_of(v['4xx'])} | {codes_of(v['5xx'])} "
              f"| {codes_of(v['connection_errors'])} | {v['slow']} | {fmt_ms(lat.get('p50_ms'))} | {fmt_ms(lat.get('p99_ms'))} "
              f"| {fmt_ms(lat.get('max_ms'))} |")
    for kind, v in result.items():
        if kind.startswith("_"):
            continue
        for status, bodies in v["first_bodies"].items():
            print(f"  {kind} {status}: {bodies[:2]}")
    print("timeline (10 s buckets by send time): t  req/s  p50  p99  max  5xx")
    for b in result["_timeline"]:
        print(f"  {b['t_s']:4d}s {b['per_s']:7.1f} {fmt_ms(b['p50_ms']):>7} {fmt_ms(b['p99_ms']):>7} {fmt_ms(b['max_ms']):>7} {b['5xx']:4d}")
    print(f"verdict: {'PASS' if passed else 'FAIL'} (5xx: {n5}, requests of {args.slow_s:g} s or more: {slow}, "
          f"connection errors: {conn})")
    if args.json:
        Path(args.json).write_text(json.dumps({"completed": completed, "passed": passed, "wall_s": round(wall, 1),
                                               "exams": dict(outcome), "kinds": result}, ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    if not completed:
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
