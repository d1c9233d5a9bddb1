"""The table of bench/ab.sh: per database and side, medians of interleaved segments.

    python bench/ab_report.py WORK OLD_LABEL NEW_LABEL DB...

Reads WORK/DB/seq.txt (the segments in the order they ran: "hello N", "answer SIDE R"),
WORK/DB/hello-N.txt and WORK/DB/SIDE/answer-R.txt (wrk with bench/hello.lua and
bench/answer.lua) and WORK/DB/SIDE/db-check.txt.
* answer rps: median of the side's answer segments;
* hello rps: median of the hello segments run right before and right after the side's
  answer segments (the machine as that side saw it);
* ratio: answer rps / hello rps; per segment, the answer over the mean of its two
  neighbouring hello segments;
* p99: median over the side's segments, and the worst one;
* errors: non-200 answers + socket errors + (1 if the database check failed).
Exit status 0 if the NEW side met every floor (ratio, p99 < 150 ms, no error) on every
database that ran, 1 otherwise."""
import re
import statistics
import sys
from pathlib import Path

FLOORS = {"sqlite": 0.25, "postgresql": 0.15}
P99_MS = 150.0


def ms(text):
    """wrk latency ('812.00us', '37.70ms', '1.16s') in ms."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]


def parse(path: Path) -> dict | None:
    """A wrk output file with answer.lua's or hello.lua's BENCH lines; None if it has no result."""
    text = path.read_text() if path.exists() else ""
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        return None
    out = {"rps": float(m.group(1)), "non200": 1, "socket": 0, "exhausted": "?", "statuses": {}}
    m = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    out["p99"] = ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", text)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"BENCH pairs_loaded=\d+ pairs_sent=\d+ responses=\d+ non200=(\d+) exhausted=(\w+)", text)
    if m:
        out["non200"], out["exhausted"] = int(m.group(1)), m.group(2)
    m = re.search(r"BENCH socket_errors connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)", text)
    if m:
        out["socket"] = sum(int(x) for x in m.groups())
    for k, v in re.findall(r"BENCH status (\d+): (\d+)", text):
        out["statuses"][k] = out["statuses"].get(k, 0) + int(v)
    return out


def side_rows(d: Path, side: str) -> dict | None:
    seq = [line.split() for line in (d / "seq.txt").read_text().splitlines()] if (d / "seq.txt").exists() else []
    hellos = {int(s[1]): parse(d / f"hello-{s[1]}.txt") for s in seq if s[0] == "hello"}
    segs = []
    for i, s in enumerate(seq):
        if s[0] != "answer" or s[1] != side:
            continue
        before = hellos.get(int(seq[i - 1][1])) if i > 0 and seq[i - 1][0] == "hello" else None
        after = hellos.get(int(seq[i + 1][1])) if i + 1 < len(seq) and seq[i + 1][0] == "hello" else None
        segs.append((parse(d / side / f"answer-{s[2]}.txt"), [h for h in (before, after) if h]))
    if not segs or any(a is None or not hs for a, hs in segs):
        return None
    answers = [a for a, _ in segs]
    near = [h for _, hs in segs for h in hs]
    hello = statistics.median(h["rps"] for h in near)
    answer = statistics.median(a["rps"] for a in answers)
    per_seg = [a["rps"] / statistics.fmean(h["rps"] for h in hs) for a, hs in segs]
    p99s = [a["p99"] for a in answers if a["p99"] is not None]
    errors = sum(a["non200"] + a["socket"] for a in answers) + sum(h["non200"] + h["socket"] for h in near)
    statuses: dict = {}
    for a in answers:
        for k, v in a["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    check = (d / side / "db-check.txt").read_text() if (d / side / "db-check.txt").exists() else ""
    m = re.search(r"sent=(\d+) answered=(\d+)", check)
    db_ok = bool(m and m.group(1) == m.group(2))
    served = (d / side / "served.txt").read_text().strip().split(": ", 1)[-1] if (d / side / "served.txt").exists() else "?"
    return {"answer": answer, "hello": hello, "ratio": answer / hello, "per_seg": per_seg,
            "answers": [a["rps"] for a in answers], "hellos": [h["rps"] for h in near],
            "p99_med": statistics.median(p99s) if p99s else None, "p99_max": max(p99s) if p99s else None,
            "errors": errors + (0 if db_ok else 1), "statuses": statuses, "db_ok": db_ok, "db_check": m.groups() if m else None,
            "exhausted": any(a["exhausted"] != "no" for a in answers), "served": served}


def fmt_ms(v):
    return "-" if v is None else (f"{v:.1f}" if v < 100 else f"{v:.0f}")


def main() -> int:
    work, labels, dbs = Path(sys.argv[1]), {"old": sys.argv[2], "new": sys.argv[3]}, sys.argv[4:]
    pss = {}
    lines, notes, new_ok = [], [], True
    for db in dbs:
        d = work / db
        for line in (d / "pss.txt").read_text().splitlines() if (d / "pss.txt").exists() else []:
            side, mib = line.split()
            pss[(db, side)] = mib
        for side in ("old", "new"):
            r = side_rows(d, side)
            if r is None:
                lines.append(f"| {db} | {side.upper()} | run incomplete | | | | | | FAIL |")
                new_ok &= side != "new"
                continue
            ok = r["ratio"] >= FLOORS[db] and r["p99_max"] is not None and r["p99_max"] < P99_MS and r["errors"] == 0
            if side == "new":
                new_ok &= ok
            verdict = "meets floors" if ok else "BELOW FLOORS"
            if r["exhausted"]:
                verdict += " (pairs ran out: answer rps is a lower bound)"
            st = " (" + ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items())) + ")" if r["statuses"] else ""
            lines.append(f"| {db} | {side.upper()} | {r['answer']:.0f} | {r['hello']:.0f} | **{r['ratio']:.1%}** "
                         f"| {FLOORS[db]:.0%} | {fmt_ms(r['p99_med'])} / {fmt_ms(r['p99_max'])} | {r['errors']}{st} | {verdict} |")
            notes.append(f"{db} {side.upper()} ({r['served']}; app PSS after the run {pss.get((db, side), '?')} MiB): "
                         f"answer segments {' / '.join(f'{v:.0f}' for v in r['answers'])} rps; per-segment ratio "
                         f"{' / '.join(f'{v:.1%}' for v in r['per_seg'])}; neighbouring hello segments "
                         f"{' / '.join(f'{v:.0f}' for v in r['hellos'])} rps; database check sent/answered "
                         f"{'/'.join(r['db_check']) if r['db_check'] else 'missing'}")
    print()
    print(f"OLD = {labels['old']}, NEW = {labels['new']}")
    print()
    print("| database | side | answer rps (median) | hello rps (median, neighbours) | ratio | floor | answer p99 ms (median / worst) | errors | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    print("\n".join(notes))
    print(f"(floors: ratio as given, p99 < {P99_MS:.0f} ms in every segment, 0 errors; errors = non-200 + socket errors "
          "+ 1 if the database check failed)")
    return 0 if new_ok else 1


if __name__ == "__main__":
    sys.exit(main())
