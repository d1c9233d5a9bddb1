"""Township vs district (issue 19, item 4's table): every API endpoint of the mini-program
and every panel page, N sequential requests each, p50 and p99, on two servers at once.

    python bench/district_table.py prepare SIDE DATABASE_URL --out FILE [--town-like N]
    python bench/district_table.py run --township URL --district URL --subjects-dir DIR --out DIR
    python bench/district_table.py pool DIR1 DIR2 DIR3 --out DIR   # several runs in one table

`prepare` (in-process, with the app's own code, SECRET_KEY as the server's): chooses the
subjects of one database and writes them as JSON with their tokens:
  * the town: on the township its only town; on the district the town whose residents are
    nearest in number to --town-like (the township's), so its town admin sees a town of
    the township's size;
  * the resident: in that town, the one at the 90th percentile of ledger rows (an active
    resident: wrong answers, cards, redemptions), and a token for them (accounts.tokens);
  * a cadre with exam attempts in that town (for GET /exams), and a token;
  * the exam with the most attempts in that town (the exam results page);
  * the panel accounts district-admin and the town's town-NN get PASSWORD (set with
    AdminUser.set_password: seed-district prints a random one).

`run`: for each endpoint in turn, ROUNDS rounds of N/ROUNDS sequential requests on each
side (township admin, district admin, district town admin; the API: township resident,
district resident), interleaved side after side within each round, after WARMUP requests a
side that are not counted; each endpoint's side stops early after --seconds of
requests. Wall time of each request from the client (keep-alive, requests.Session).
Prints the table and writes DIR/table.json and DIR/table.md."""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLOW_S = 2.0  # a request this slow ends the warm-up
TIMEOUT_S = 300  # the client gives up on a request after this long
PASSWORD = os.environ.get("BENCH_ADMIN_PASSWORD", "bench-district-19-password")


# -- prepare ---------------------------------------------------------------------------
def prepare(args) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    from sqlalchemy import select, text

    from accounts import tokens
    from accounts.models import AdminUser
    from core import create_app
    from core.extensions import db

    app = create_app()
    with app.app_context():
        q = lambda sql, **kw: db.session.execute(text(sql), kw).all()  # noqa: E731
        towns = q("SELECT t.id, t.name, count(u.id) FROM org_unit t JOIN org_unit v ON v.town_id = t.id "
                  "JOIN app_user u ON u.org_unit_id = v.id AND u.role = 'resident' WHERE t.kind = 'town' GROUP BY t.id, t.name")
        town_id, town_name, residents = min(towns, key=lambda t: abs(t[2] - args.town_like)) if args.town_like else max(towns, key=lambda t: t[2])
        order = sorted(t[0] for t in towns)
        staff = f"town-{order.index(town_id) + 1:02d}"
        # The resident at the 90th percentile of ledger rows among the town's residents who have any.
        people = q("SELECT e.user_id, count(*) AS n FROM points_entry e JOIN app_user u ON u.id = e.user_id "
                   "JOIN org_unit v ON v.id = u.org_unit_id WHERE v.town_id = :t AND u.role = 'resident' "
                   "GROUP BY e.user_id ORDER BY n, e.user_id", t=town_id)
        resident, ledger_rows = people[int(len(people) * 0.9)]
        cadre = q("SELECT a.user_id, count(*) FROM exam_attempt a JOIN app_user u ON u.id = a.user_id "
                  "JOIN org_unit v ON v.id = u.org_unit_id WHERE v.town_id = :t GROUP BY a.user_id ORDER BY 2 DESC, 1 LIMIT 1", t=town_id)[0][0]
        exam = q("SELECT a.exam_id, count(*) FROM exam_attempt a JOIN app_user u ON u.id = a.user_id "
                 "JOIN org_unit v ON v.id = u.org_unit_id WHERE v.town_id = :t GROUP BY a.exam_id ORDER BY 2 DESC, 1 LIMIT 1", t=town_id)[0][0]
        event = q("SELECT e.id FROM event e JOIN org_unit v ON v.id = e.org_unit_id WHERE v.town_id = :t "
                  "ORDER BY e.checkin_count DESC, e.id LIMIT 1", t=town_id)[0][0]
        year = q("SELECT extract(year FROM max(created_at))::int FROM points_entry")[0][0]
        for name in ("district-admin", staff):
            admin = db.session.scalar(select(AdminUser).where(AdminUser.username == name))
            admin.set_password(PASSWORD)
        db.session.commit()
        out = {"side": args.side, "town": {"id": town_id, "name": town_name, "residents": residents}, "town_admin": staff,
               "resident": {"id": resident, "ledger_rows": ledger_rows, "token": tokens.issue(resident)[0]},
               "cadre": {"id": cadre, "token": tokens.issue(cadre)[0]}, "exam": exam, "event": event, "year": year,
               "counts": {t: q(f"SELECT count(*) FROM {t}")[0][0] for t in ("app_user", "points_entry", "question", "quiz", "exam_attempt")}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k not in ("resident", "cadre")} | {
        "resident": {"id": resident, "ledger_rows": ledger_rows}, "cadre": cadre}, ensure_ascii=False))


# -- run -------------------------------------------------------------------------------
class Side:
    """One server and who is asking: an API token or a panel session."""

    def __init__(self, label, base, subjects, admin=None):
        import requests

        self.label, self.base, self.s, self.admin = label, base.rstrip("/"), subjects, admin
        self.http = requests.Session()
        self.practice_items = []  # (quiz_id, question_id, answer) from the practice starts
        if admin:
            self.login(admin)

    def login(self, username):
        import re

        page = self.http.get(self.base + "/admin/auth/login").text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        r = self.http.post(self.base + "/admin/auth/login", data={"csrf_token": csrf.group(1) if csrf else "", "username": username,
                                                                   "password": PASSWORD, "code": ""}, allow_redirects=False)
        if r.status_code != 302:
            raise SystemExit(f"{self.label}: panel login as {username} failed ({r.status_code})")

    def category(self):
        """For practice: the category with the most questions (a law of the town's bank)."""
        if not hasattr(self, "_category"):
            cats = self.request("GET", "/api/v1/categories")[1].json()
            self._category = max(cats, key=lambda c: (c["question_count"], -c["id"]))["id"]
        return self._category

    def request(self, method, path, body=None, token="resident"):
        headers = {}
        if not self.admin and token:
            headers["Authorization"] = "Bearer " + self.s[token]["token"]
        t0 = time.perf_counter()
        r = self.http.request(method, self.base + path, json=body, headers=headers, allow_redirects=False,
                              timeout=TIMEOUT_S)
        _ = r.content
        return (time.perf_counter() - t0) * 1000, r


def api_endpoints():
    """name -> function(side) -> (method, path, body, token)."""
    eps = {
        "POST /auth/login (dev, returning user)": lambda s: ("POST", "/api/v1/auth/login", {"code": "bench-table-login"}, None),
        "GET /me": lambda s: ("GET", "/api/v1/me", None, "resident"),
        "GET /me/data": lambda s: ("GET", "/api/v1/me/data", None, "resident"),
        "GET /categories": lambda s: ("GET", "/api/v1/categories", None, "resident"),
        "GET /org-units": lambda s: ("GET", "/api/v1/org-units", None, "resident"),
        # What the mini-program asks once there are several towns (API.md): the chosen town's units.
        "GET /org-units?town_id": lambda s: ("GET", f"/api/v1/org-units?town_id={s.s['town']['id']}", None, "resident"),
        "POST /quizzes daily (resume)": lambda s: ("POST", "/api/v1/quizzes", {"mode": "daily"}, "resident"),
        "POST /quizzes practice": lambda s: ("POST", "/api/v1/quizzes", {"mode": "practice", "category_id": s.category()}, "resident"),
        "POST /quizzes review": lambda s: ("POST", "/api/v1/quizzes", {"mode": "review"}, "resident"),
        "POST /quizzes/{id}/answers": None,  # from the practice quizzes
        "GET /quizzes": lambda s: ("GET", "/api/v1/quizzes", None, "resident"),
        "GET /wrong-answers": lambda s: ("GET", "/api/v1/wrong-answers", None, "resident"),
        "GET /reviews": lambda s: ("GET", "/api/v1/reviews", None, "resident"),
        "GET /me/mastery": lambda s: ("GET", "/api/v1/me/mastery", None, "resident"),
        "GET /points": lambda s: ("GET", "/api/v1/points", None, "resident"),
        "GET /points/ledger": lambda s: ("GET", "/api/v1/points/ledger", None, "resident"),
    }
    for period in ("week", "month", "year", "all"):
        for scope in ("town", "org_unit"):
            eps[f"GET /leaderboard {period} {scope}"] = (lambda p, sc: lambda s: ("GET", f"/api/v1/leaderboard?period={p}&scope={sc}", None, "resident"))(period, scope)
    eps |= {
        "GET /events": lambda s: ("GET", "/api/v1/events?status=past", None, "resident"),
        "GET /checkins": lambda s: ("GET", "/api/v1/checkins", None, "resident"),
        "GET /rewards": lambda s: ("GET", "/api/v1/rewards", None, "resident"),
        "GET /redemptions": lambda s: ("GET", "/api/v1/redemptions", None, "resident"),
        "GET /exams (cadre)": lambda s: ("GET", "/api/v1/exams", None, "cadre"),
    }
    return eps


def panel_pages(s):
    """name -> path, for the subjects of one side."""
    y, exam, person, event = s["year"], s["exam"], s["resident"]["id"], s["event"]
    pages = {"dashboard /admin/": "/admin/"}
    for model in ("admins", "audit", "cadres", "categories", "events", "exams", "pending-questions", "publicity-tasks",
                  "question-imports", "questions", "recheck-questions", "redemptions", "rewards"):
        pages[f"list /admin/{model}/"] = f"/admin/{model}/"
    pages |= {
        "year figures /admin/archive/?year": f"/admin/archive/?year={y}",
        "year figures .xlsx": f"/admin/archive/{y}/figures.xlsx",
        "archive .zip": f"/admin/archive/{y}/archive.zip",
        "rankings /admin/rankings/": "/admin/rankings/",
        "rankings year": f"/admin/rankings/?period=year&year={y}",
        "residents search (q=王)": "/admin/residents/?q=%E7%8E%8B",
        "residents list": "/admin/residents/",
        "a person's page": f"/admin/residents/{person}/",
        "mastery /admin/mastery/": "/admin/mastery/",
        "exam results list": "/admin/exam-results/",
        "exam results of an exam": f"/admin/exam-results/{exam}/",
        "books 积分账目 /admin/books/": "/admin/books/",
        "duties /admin/duties/": "/admin/duties/",
        "annual report page": "/admin/annual-report/",
        "annual report .docx": f"/admin/annual-report/{y}.docx",
        "event attendance": f"/admin/events/{event}/attendance",
        "certificates": "/admin/certificates/",
        "exam certificates": "/admin/exam-certificates/",
        "event photos": "/admin/event-photos/",
        "pickup counter": "/admin/pickup/",
        "roster": "/admin/roster/",
        "statutes": "/admin/statutes/",
        "question import": "/admin/import/",
        "source check": "/admin/source-check/",
    }
    return pages


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def measure(sides, name, make, n, rounds, warmup, budget, answer=False):
    """Interleaved rounds; make(side) -> (method, path, body, token) or None when a side has nothing to send."""
    res = {side.label: {"ms": [], "status": {}, "spent": 0.0} for side in sides}
    per_round = -(-n // rounds)

    def one(side, record):
        req = make(side)
        if req is None:
            return 0
        method, path, body, token = req
        ms, r = side.request(method, path, body, token)
        if name == "POST /quizzes practice" and r.status_code in (200, 201):
            quiz = r.json()
            for q in quiz["questions"]:
                side.practice_items.append((quiz["id"], q["id"], [q["options"][0]["key"]]))
        if record or ms > SLOW_S * 1000:  # a slow warm-up request counts: no second one
            out = res[side.label]
            out["ms"].append(ms)
            out["status"][r.status_code] = out["status"].get(r.status_code, 0) + 1
            out["spent"] += ms / 1000
        return ms

    for side in sides:
        # Warm-up, except for a page so slow that its first request is already a sample
        # (counted; the time bound then stops it after a few).
        for _ in range(warmup):
            if one(side, False) > SLOW_S * 1000:
                break
    for _ in range(rounds):
        for side in sides:
            for _ in range(per_round):
                if len(res[side.label]["ms"]) >= n or res[side.label]["spent"] > budget:
                    break
                one(side, True)
    return res


def run(args) -> None:
    subj = {side: json.loads((Path(args.subjects_dir) / f"{side}.json").read_text()) for side in ("township", "district")}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {"api": {}, "panel": {}, "subjects": {k: {kk: vv for kk, vv in v.items() if kk not in ("resident", "cadre")} | {
        "resident": {"id": v["resident"]["id"], "ledger_rows": v["resident"]["ledger_rows"]}} for k, v in subj.items()}}
    only = set(args.only.split(",")) if args.only else None

    api_sides = [Side("township", args.township, subj["township"]), Side("district", args.district, subj["district"])]

    def answer_make(side):
        if not side.practice_items:
            return None
        quiz, question, answer = side.practice_items.pop(0)
        return ("POST", f"/api/v1/quizzes/{quiz}/answers", {"question_id": question, "answer": answer}, "resident")

    if not only or "api" in only:
        for name, make in api_endpoints().items():
            t0 = time.monotonic()
            r = measure(api_sides, name, make or answer_make, args.n, args.rounds, 0 if make is None else args.warmup, args.seconds)
            results["api"][name] = r
            print(f"{name:45s} " + "  ".join(f"{k} {summary(v)}" for k, v in r.items()) + f"  ({time.monotonic() - t0:.0f}s)", flush=True)
        (out_dir / "table.json").write_text(json.dumps(results, ensure_ascii=False))

    if not only or "panel" in only:
        panel_sides = [Side("township", args.township, subj["township"], admin="district-admin"),
                       Side("district", args.district, subj["district"], admin="district-admin"),
                       Side("district-town", args.district, subj["district"], admin=subj["district"]["town_admin"])]
        names = list(panel_pages(subj["township"]))
        for name in names:
            t0 = time.monotonic()
            r = measure(panel_sides, name, lambda s, name=name: ("GET", panel_pages(s.s)[name], None, None),
                        args.n, args.rounds, args.warmup, args.seconds)
            results["panel"][name] = r
            print(f"{name:45s} " + "  ".join(f"{k} {summary(v)}" for k, v in r.items()) + f"  ({time.monotonic() - t0:.0f}s)", flush=True)
            (out_dir / "table.json").write_text(json.dumps(results, ensure_ascii=False))
    (out_dir / "table.json").write_text(json.dumps(results, ensure_ascii=False))
    (out_dir / "table.md").write_text(markdown(results))
    print(markdown(results))


def summary(v):
    if not v["ms"]:
        return "-"
    bad = {k: c for k, c in v["status"].items() if not 200 <= int(k) < 400}
    return f"{statistics.median(v['ms']):.1f}/{pct(v['ms'], 99):.1f} ms n={len(v['ms'])}" + (f" status {bad}" if bad else "")


def cell(v):
    if not v or not v["ms"]:
        return "-"
    bad = {k: c for k, c in v["status"].items() if not 200 <= int(k) < 400}
    flag = "" if not bad else " (" + ", ".join(f"{c}×{k}" for k, c in bad.items()) + ")"
    n = len(v["ms"])
    return f"{statistics.median(v['ms']):.0f} / {pct(v['ms'], 99):.0f}" + ("" if n >= 30 else f" n={n}") + flag


def ratio(a, b):
    """District over township, of p50 and of p99."""
    if not a or not b or not a["ms"] or not b["ms"]:
        return None
    return statistics.median(b["ms"]) / statistics.median(a["ms"]), pct(b["ms"], 99) / pct(a["ms"], 99)


def verdict(r):
    """Within 2x at p50 and p99; a miss of p99 alone (one slow request in 30) is told apart."""
    if r is None:
        return "-"
    return "yes" if max(r) <= 2 else "no (p99 only)" if r[0] <= 2 else "**no**"


def markdown(results) -> str:
    lines = ["| API endpoint | township p50 / p99 ms | district p50 / p99 ms | ratio p50 / p99 | within 2×? |", "|---|---|---|---|---|"]
    for name, r in results["api"].items():
        rt = ratio(r.get("township"), r.get("district"))
        lines.append(f"| {name} | {cell(r.get('township'))} | {cell(r.get('district'))} | "
                     f"{'-' if rt is None else f'{rt[0]:.2f} / {rt[1]:.2f}'} | {verdict(rt)} |")
    lines += ["", "| panel page | township (admin) p50 / p99 ms | district, district admin | district, town admin | "
              "ratio p50 / p99 (district admin) | ratio p50 / p99 (town admin) | within 2×? |", "|---|---|---|---|---|---|---|"]
    for name, r in results["panel"].items():
        ra, rt = ratio(r.get("township"), r.get("district")), ratio(r.get("township"), r.get("district-town"))
        both = [verdict(x) for x in (ra, rt) if x]
        ok = "-" if not both else "**no**" if "**no**" in both else "no (p99 only)" if "no (p99 only)" in both else "yes"
        lines.append(f"| {name} | {cell(r.get('township'))} | {cell(r.get('district'))} | {cell(r.get('district-town'))} | "
                     f"{'-' if ra is None else f'{ra[0]:.2f} / {ra[1]:.2f}'} | {'-' if rt is None else f'{rt[0]:.2f} / {rt[1]:.2f}'} | {ok} |")
    return "\n".join(lines) + "\n"


def pool(dirs: list[str], out: str) -> None:
    """One table of several runs of the same revision: every request of every run in one
    sample per endpoint and side (a p99 of 90 requests, not a max of 30, is less the
    machine's passing load)."""
    pooled = {"api": {}, "panel": {}}
    for d in dirs:
        results = json.loads((Path(d) / "table.json").read_text())
        for part in ("api", "panel"):
            for name, sides in results[part].items():
                for side, v in sides.items():
                    into = pooled[part].setdefault(name, {}).setdefault(side, {"ms": [], "status": {}})
                    into["ms"] += v["ms"]
                    for code, n in v["status"].items():
                        into["status"][code] = into["status"].get(code, 0) + n
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "table.json").write_text(json.dumps(pooled, ensure_ascii=False))
    (Path(out) / "table.md").write_text(markdown(pooled))
    print(markdown(pooled))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pr = sub.add_parser("prepare")
    pr.add_argument("side", choices=("township", "district"))
    pr.add_argument("database_url")
    pr.add_argument("--out", required=True)
    pr.add_argument("--town-like", type=int, default=0, help="choose the town whose residents are nearest this number")
    ru = sub.add_parser("run")
    ru.add_argument("--township", required=True)
    ru.add_argument("--district", required=True)
    ru.add_argument("--subjects-dir", required=True)
    ru.add_argument("--out", required=True)
    ru.add_argument("--n", type=int, default=30)
    ru.add_argument("--rounds", type=int, default=3)
    ru.add_argument("--warmup", type=int, default=2)
    ru.add_argument("--seconds", type=float, default=20, help="most seconds of requests per endpoint and side")
    ru.add_argument("--only", help="api or panel")
    ru.add_argument("--markdown", action="store_true", help="only print the table of DIR/table.json")
    po = sub.add_parser("pool", help="one table of several runs' DIR/table.json")
    po.add_argument("dirs", nargs="+")
    po.add_argument("--out", required=True)
    args = p.parse_args()
    if args.cmd == "prepare":
        prepare(args)
    elif args.cmd == "pool":
        pool(args.dirs, args.out)
    elif args.markdown:
        print(markdown(json.loads((Path(args.out) / "table.json").read_text())))
    else:
        run(args)


if __name__ == "__main__":
    main()
