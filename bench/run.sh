#!/usr/bin/env bash
# Load benchmark of the answer endpoint against a bare Flask "hello", same gunicorn
# settings, same run, on SQLite and then PostgreSQL.  All traffic is on 127.0.0.1,
# every wrk run is bounded by -d (and by `timeout`), and every server this script
# starts is stopped by its pid, also on Ctrl-C or error.
#
#   bench/run.sh                    # sqlite, then postgresql
#   bench/run.sh sqlite             # one of them
#   ROUNDS=5 SEGMENT=6 CONNECTIONS=32 bench/run.sh
#
# Per database:
#   1. prepare.py builds the database and WARM_PAIRS + ROUNDS*ROUND_PAIRS fresh pairs;
#   2. two gunicorns with identical settings start side by side: bench/hello.py and
#      the app (wsgi:app);
#   3. warm-up: wrk on hello, then on the answer endpoint (its own pairs);
#   4. measurement, interleaved so that both sides see the same machine: hello, answer,
#      hello, answer, ..., hello (ROUNDS answer segments of SEGMENT seconds, each with
#      its own slice of pairs, and ROUNDS+1 hello segments around them);
#   5. gunicorns stopped; the database must show exactly as many answered quiz items
#      as wrk sent pairs.
# Other processes on this 2-core machine (a test suite, say) slow the server down; the
# interleaving gives both sides the same share of that, and the spread of the hello
# segments shows how steady the machine was.  ratio = mean answer rps / median hello rps.
# Exit status: 0 if every database met its threshold with no error, 1 otherwise.
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN
WORK=${BENCH_DIR:-/tmp/pufa-bench}

WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
ROUNDS=${ROUNDS:-3}           # answer segments (and ROUNDS+1 hello segments)
SEGMENT=${SEGMENT:-6}         # seconds per wrk segment
WARMUP=${WARMUP:-3}           # seconds of warm-up per server
WARM_PAIRS=${WARM_PAIRS:-3000}     # running out during warm-up is harmless
# 4,300 answers/s for 6 s (running out is reported). Not more: every 10 pairs are one
# more user, and past 8,192 users (accounts.tokens' cache of checked tokens, per worker)
# nearly every answer would check its token's signature again, which a settled town's
# phones do not cause.
ROUND_PAIRS=${ROUND_PAIRS:-26000}
BANK_QUESTIONS=${BANK_QUESTIONS:-2000}
SQLITE_URL=${SQLITE_URL:-sqlite:///$WORK/bench.sqlite3}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/pufa_bench}
PORT_HELLO=${PORT_HELLO:-18701}
PORT_APP=${PORT_APP:-18702}

WRK_ARGS=(-t "$WRK_THREADS" -c "$CONNECTIONS" --timeout 10s --latency)

# Rate limits on, as the app ships (in Redis, as production requires). Every user answers at most
# 10 questions in a run, under the 60 a minute of RATELIMIT_ANSWER, so none is refused.
bench_env "${RATELIMIT_ENABLED:-1}"
LOG=$WORK/logs
mkdir -p "$LOG"
ensure_wrk || exit 1
trap_stop_all

# start_server NAME PORT CHDIR MODULE:app
start_server() {
  local name=$1 port=$2 dir=$3 app=$4
  start_gunicorn "$port" "$dir" "$app" "$LOG/gunicorn-$name.log" && return 0
  echo "gunicorn ($name) did not come up; see $LOG/gunicorn-$name.log" >&2
  tail -20 "$LOG/gunicorn-$name.log" >&2
  return 1
}

bench_db() {
  local db=$1 url=$2
  local dir=$WORK/$db
  begin_db "$dir" "$db" "$url"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local total=$((WARM_PAIRS + ROUNDS * ROUND_PAIRS))
  echo "+ python bench/prepare.py $url $total --questions $BANK_QUESTIONS --out $dir/pairs.tsv"
  local t0=$SECONDS
  if ! "$PY" bench/prepare.py "$url" "$total" --questions "$BANK_QUESTIONS" \
        --out "$dir/pairs.tsv" >"$LOG/prepare-$db.log" 2>&1; then
    echo "prepare failed:" >&2; tail -30 "$LOG/prepare-$db.log" >&2; return 1
  fi
  grep -E "^(questions|users/quizzes|pairs):" "$LOG/prepare-$db.log" | sed 's/^/    /'
  echo "    prepared in $((SECONDS - t0))s"
  split_pairs "$dir"

  export DATABASE_URL=$url
  local fp_before fp_after
  fp_before=$(source_fingerprint)
  start_server hello "$PORT_HELLO" "$ROOT/bench" hello:app || { stop_all; return 1; }
  local hello_pid=$GUNICORN_PID
  # Code that still has SQLite's writer process is served with it, as its README says.
  if [[ $db == sqlite ]] && has_sqlite_writer "$ROOT"; then start_sqlite_writer || { stop_all; return 1; }; fi
  start_server app "$PORT_APP" "$ROOT" wsgi:app || { stop_all; return 1; }
  local app_pid=$GUNICORN_PID
  local hello_url=http://127.0.0.1:$PORT_HELLO app_url=http://127.0.0.1:$PORT_APP
  run_wrk "$hello_pid" "$dir/warmup-hello.txt" "$WARMUP" "$hello_url" bench/hello.lua
  run_wrk "$app_pid" "$dir/warmup-answer.txt" "$WARMUP" "$app_url" bench/answer.lua -- "$dir/pairs-warmup.tsv" "$WRK_THREADS"
  local r
  for r in $(seq "$ROUNDS"); do
    run_wrk "$hello_pid" "$dir/hello-$r.txt" "$SEGMENT" "$hello_url" bench/hello.lua
    run_wrk "$app_pid" "$dir/answer-$r.txt" "$SEGMENT" "$app_url" bench/answer.lua -- "$dir/pairs-$r.tsv" "$WRK_THREADS"
  done
  run_wrk "$hello_pid" "$dir/hello-$((ROUNDS + 1)).txt" "$SEGMENT" "$hello_url" bench/hello.lua
  stop_all
  cp "$LOG/gunicorn-app.log" "$dir/gunicorn-app.log"
  fp_after=$(source_fingerprint)
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "    app source fingerprint: $fp_before$([[ $fp_before != "$fp_after" ]] && echo " -> $fp_after (CHANGED while the server ran: the numbers may mix two versions)")"

  # Cross-check in the database: every pair wrk sent was answered exactly once.
  local sent answered
  sent=$(wrk_pairs_sent "$dir"/warmup-answer.txt "$dir"/answer-*.txt)
  answered=$(answered_items "$url")
  echo "    database check: pairs sent by wrk (warm-up + rounds) = $sent, answered quiz items = $answered"
  echo "answered_check sent=$sent answered=$answered" >"$dir/db-check.txt"
  report_gunicorn_log "$dir/gunicorn-app.log" | sed 's/^/    /'
}

summarize() {
  "$PY" - "$WORK" "$ROUNDS" "$@" <<'EOF'
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, "bench")
from ab_report import FLOORS as thresholds, ms, parse  # noqa: E402  (wrk's output, read as ab.sh's report reads it)

work, rounds, dbs = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]


def segment(path):
    """ab_report.parse of one wrk segment (None if it has no result), with p50 and p90 too."""
    out = parse(path)
    if out is not None:
        for pct in ("50", "90"):
            m = re.search(rf"^\s+{pct}%\s+(\S+)", path.read_text(), re.M)
            out["p" + pct] = ms(m.group(1)) if m else None
    return out


def fmt(v):
    return "-" if v is None else (f"{v:.1f}ms" if v < 100 else f"{v:.0f}ms")


ok_all = True
rows, details = [], []
for db in dbs:
    d = work / db
    hellos = [segment(d / f"hello-{r}.txt") for r in range(1, rounds + 2)]
    answers = [segment(d / f"answer-{r}.txt") for r in range(1, rounds + 1)]
    if any(x is None for x in hellos + answers):
        rows.append(f"| {db} | run incomplete | | | | FAIL | | | | |")
        ok_all = False
        continue
    h_rps = [x["rps"] for x in hellos]
    a_rps = [x["rps"] for x in answers]
    # The median of the hello segments: one segment slowed by something else (on
    # PostgreSQL, its own background work after a burst of answers) must not move the
    # baseline, and so the ratio, either way.
    hello, answer = statistics.median(h_rps), statistics.mean(a_rps)
    ratio = answer / hello
    per_round = [a / ((h_rps[i] + h_rps[i + 1]) / 2) for i, a in enumerate(a_rps)]
    errors = sum(x["non200"] + x["socket"] for x in hellos + answers)  # non200 is 1 where the BENCH line is missing
    statuses = {}
    for x in answers:
        for k, v in x["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    m = re.search(r"sent=(\d+) answered=(\d+)", (d / "db-check.txt").read_text()) if (d / "db-check.txt").exists() else None
    if not m or m.group(1) != m.group(2):
        details.append(f"{db}: pairs sent != answered quiz items in the database ({m.groups() if m else 'no check'})")
        errors += 1
    passed = ratio >= thresholds[db] and errors == 0
    verdict = "PASS" if passed else "FAIL"
    if any(x["exhausted"] != "no" for x in answers):
        # wrk divides by the full -d duration even when the threads stopped early, so the
        # answer rps is a lower bound: a PASS stands, a FAIL is inconclusive.
        verdict += " (pairs ran out: answer rps is a lower bound)" if passed else " INCONCLUSIVE (pairs ran out: raise ROUND_PAIRS)"
    ok_all &= passed
    p50 = statistics.median(x["p50"] for x in answers)
    p90 = statistics.median(x["p90"] for x in answers)
    p99 = max(x["p99"] for x in answers)
    hp50 = statistics.median(x["p50"] for x in hellos)
    hp99 = max(x["p99"] for x in hellos)
    n_answers = sum(x["requests"] for x in answers)
    non200 = sum(x["non200"] for x in answers + hellos)
    st = " (" + ", ".join(f"{k}: {v}" for k, v in statuses.items()) + ")" if statuses else ""
    rows.append(
        f"| {db} | {hello:.0f} | {answer:.0f} | **{ratio:.1%}** | {thresholds[db]:.0%} | {verdict} "
        f"| {fmt(p50)} / {fmt(p90)} / {fmt(p99)} | {fmt(hp50)} / {fmt(hp99)} | {n_answers} | {non200}{st} "
        f"| {sum(x['socket'] for x in hellos + answers)} |")
    details.append(f"{db}: hello segments rps {' / '.join(f'{v:.0f}' for v in h_rps)}; "
                   f"answer segments rps {' / '.join(f'{v:.0f}' for v in a_rps)}; "
                   f"per-round ratio {' / '.join(f'{v:.1%}' for v in per_round)}")
print()
print("| database | hello rps | answer rps | ratio | target | result | answer p50 / p90 / p99 | hello p50 / p99 | answers | non-200 | socket errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print()
print("\n".join(details))
print("(hello rps: median over segments; answer rps: mean over segments; p50/p90: median over segments; p99: worst segment)")
sys.exit(0 if ok_all else 1)
EOF
}

echo "Pufa answer benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint)"
echo "gunicorn ${GUNICORN_ARGS[*]} (same for hello and app)"
echo "wrk ${WRK_ARGS[*]}; $ROUNDS answer segments of ${SEGMENT}s interleaved with $((ROUNDS + 1)) hello segments; warm-up ${WARMUP}s each"
echo "app: RATELIMIT_ENABLED=$RATELIMIT_ENABLED (rate limits in Redis), PUFA_ENV=$PUFA_ENV$(has_sqlite_writer "$ROOT" && echo "; on SQLite: flask sqlite-writer beside gunicorn")"

DBS=("$@")
[[ ${#DBS[@]} -eq 0 ]] && DBS=(sqlite postgresql)
bench_each_db "${DBS[@]}"   # the verdict is summarize's
summarize "${DBS[@]}"
