#!/usr/bin/env bash
# Load benchmark of the answer endpoint against a bare Flask "hello", same gunicorn
# settings, same run, on SQLite and then PostgreSQL.  All traffic is on 127.0.0.1,
# every wrk run is bounded by -d (and by `timeout`), and every server this script
# starts is stopped by its pid, also on Ctrl-C or error.
#
#   bench/run.sh                    # sqlite, then postgresql
#   bench/run.sh sqlite             # one of them
#   DURATION=20 CONNECTIONS=32 bench/run.sh
#
# Per database: prepare.py builds the database and WARM_PAIRS+MAIN_PAIRS fresh answer
# pairs; then gunicorn (hello) -> warm-up -> wrk hello; gunicorn (app) -> warm-up with
# its own pairs -> wrk answers with the other pairs; gunicorn (hello) again -> wrk
# hello, so a change in machine load during the run shows up as two different hello
# numbers.  The ratio is answer rps / mean of the two hello rps.
# Exit status: 0 if every database met its threshold with no error, 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$ROOT/.venv/bin/python
GUNICORN=$ROOT/.venv/bin/gunicorn
WRK=${WRK:-/usr/bin/wrk}
WORK=${BENCH_DIR:-/tmp/pufa-bench}

WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-15}      # seconds per measured wrk run
WARMUP=${WARMUP:-3}           # seconds of warm-up per server
WARM_PAIRS=${WARM_PAIRS:-1500}   # running out during warm-up is harmless
MAIN_PAIRS=${MAIN_PAIRS:-12000}  # 800 answers/s for 15 s; if they run out, wrk stops early (reported)
BANK_QUESTIONS=${BANK_QUESTIONS:-2000}
SQLITE_URL=${SQLITE_URL:-sqlite:///$WORK/bench.sqlite3}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/pufa_bench}
PORT_HELLO=${PORT_HELLO:-18701}
PORT_APP=${PORT_APP:-18702}

GUNICORN_ARGS=(-k gthread --workers "$WORKERS" --threads "$THREADS" --backlog 2048 --graceful-timeout 5 --log-level warning)
WRK_ARGS=(-t "$WRK_THREADS" -c "$CONNECTIONS" --timeout 10s --latency)

export SECRET_KEY=${SECRET_KEY:-pufa-bench-secret-key-not-for-production-0123456789}
export PUFA_INSTANCE=$WORK/instance
export PUFA_ENV=production
export RATELIMIT_ENABLED=0
unset REDIS_URL

mkdir -p "$WORK" "$PUFA_INSTANCE"
LOG=$WORK/logs
mkdir -p "$LOG"

# The app is being edited while benchmarks run: fingerprint its source so each result
# can be tied to one state of the code (no git needed).
source_fingerprint() {
  find "$ROOT" -path "$ROOT/.venv" -prune -o -path "$ROOT/bench" -prune -o -path "$ROOT/tests" -prune \
    -o -path "$ROOT/.git" -prune -o -type f \( -name '*.py' -o -name '*.yaml' \) -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12
}

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=""
}
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

# start_server NAME PORT CHDIR MODULE:app
start_server() {
  local name=$1 port=$2 dir=$3 app=$4
  : >"$LOG/gunicorn-$name.log"
  echo "+ gunicorn ${GUNICORN_ARGS[*]} --bind 127.0.0.1:$port --chdir $dir $app"
  "$GUNICORN" "${GUNICORN_ARGS[@]}" --bind "127.0.0.1:$port" --chdir "$dir" \
    --error-logfile "$LOG/gunicorn-$name.log" "$app" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/__bench_ready__"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "gunicorn ($name) did not come up; see $LOG/gunicorn-$name.log" >&2
  tail -20 "$LOG/gunicorn-$name.log" >&2
  stop_server
  return 1
}

# run_wrk OUTFILE SECONDS URL SCRIPT [-- script args]
run_wrk() {
  local out=$1 secs=$2; shift 2
  local url=$1 script=$2; shift 2
  echo "+ wrk ${WRK_ARGS[*]} -d ${secs}s -s $script $url $*"
  timeout --signal=INT --kill-after=5 $((secs + 30)) \
    "$WRK" "${WRK_ARGS[@]}" -d "${secs}s" -s "$script" "$url" "$@" >"$out" 2>&1
  local rc=$?
  grep -E "Requests/sec|BENCH (pairs|status|socket)" "$out" | sed 's/^/    /'
  return $rc
}

bench_db() {
  local db=$1 url=$2
  local dir=$WORK/$db
  mkdir -p "$dir"
  echo
  echo "=============== $db ($url) ==============="
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "+ python bench/prepare.py $url $((WARM_PAIRS + MAIN_PAIRS)) --questions $BANK_QUESTIONS --out $dir/pairs.tsv"
  local t0=$SECONDS
  if ! "$PY" bench/prepare.py "$url" $((WARM_PAIRS + MAIN_PAIRS)) --questions "$BANK_QUESTIONS" \
        --out "$dir/pairs.tsv" >"$LOG/prepare-$db.log" 2>&1; then
    echo "prepare failed:" >&2; tail -30 "$LOG/prepare-$db.log" >&2; return 1
  fi
  grep -E "^(questions|users/quizzes|pairs):" "$LOG/prepare-$db.log" | sed 's/^/    /'
  echo "    prepared in $((SECONDS - t0))s"
  head -n "$WARM_PAIRS" "$dir/pairs.tsv" >"$dir/pairs-warmup.tsv"
  tail -n +"$((WARM_PAIRS + 1))" "$dir/pairs.tsv" >"$dir/pairs-main.tsv"

  export DATABASE_URL=$url

  start_server hello "$PORT_HELLO" "$ROOT/bench" hello:app || return 1
  run_wrk "$dir/wrk-hello-warmup.txt" "$WARMUP" "http://127.0.0.1:$PORT_HELLO" bench/hello.lua >/dev/null
  run_wrk "$dir/wrk-hello-1.txt" "$DURATION" "http://127.0.0.1:$PORT_HELLO" bench/hello.lua
  stop_server

  local fp_before fp_after
  fp_before=$(source_fingerprint)
  start_server app "$PORT_APP" "$ROOT" wsgi:app || return 1
  run_wrk "$dir/wrk-answer-warmup.txt" "$WARMUP" "http://127.0.0.1:$PORT_APP" bench/answer.lua -- "$dir/pairs-warmup.tsv" "$WRK_THREADS"
  run_wrk "$dir/wrk-answer.txt" "$DURATION" "http://127.0.0.1:$PORT_APP" bench/answer.lua -- "$dir/pairs-main.tsv" "$WRK_THREADS"
  stop_server
  cp "$LOG/gunicorn-app.log" "$dir/gunicorn-app.log"
  fp_after=$(source_fingerprint)
  echo "    app source fingerprint: $fp_before$([[ $fp_before != "$fp_after" ]] && echo " -> $fp_after (CHANGED while the server ran: the numbers mix two versions)")"
  # Cross-check in the database: every pair wrk sent was answered exactly once.
  local sent answered
  sent=$(cat "$dir/wrk-answer-warmup.txt" "$dir/wrk-answer.txt" | sed -n 's/.*BENCH pairs_loaded=[0-9]* pairs_sent=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
  answered=$("$PY" -c '
import sys
from sqlalchemy import create_engine, text
url = sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1)
with create_engine(url).connect() as c:
    print(c.execute(text("SELECT count(*) FROM quiz_item WHERE answered_at IS NOT NULL")).scalar())
' "$url")
  echo "    database check: pairs sent by wrk (warm-up + run) = $sent, answered quiz items = $answered"
  echo "answered_check sent=$sent answered=$answered" >"$dir/db-check.txt"

  start_server hello "$PORT_HELLO" "$ROOT/bench" hello:app || return 1
  run_wrk "$dir/wrk-hello-2.txt" "$DURATION" "http://127.0.0.1:$PORT_HELLO" bench/hello.lua
  stop_server
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  if grep -q "ERROR" "$dir/gunicorn-app.log" 2>/dev/null; then
    echo "    gunicorn app log ($dir/gunicorn-app.log) has errors; first one:"
    grep -m1 -A200 "ERROR" "$dir/gunicorn-app.log" | grep -m1 -B3 -E "^[a-zA-Z_.]+(Error|Exception)" | sed 's/^/    /'
  fi
}

summarize() {
  "$PY" - "$WORK" "$@" <<'EOF'
import re, sys
from pathlib import Path

work = Path(sys.argv[1])
dbs = sys.argv[2:]
thresholds = {"sqlite": 0.25, "postgresql": 0.15}


def parse(path):
    text = path.read_text() if path.exists() else ""
    out = {"rps": None, "p50": "-", "p75": "-", "p90": "-", "p99": "-", "requests": 0,
           "non200": None, "socket": 0, "exhausted": "?", "statuses": {}}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out["p" + pct] = m.group(1)
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"BENCH pairs_loaded=\d+ pairs_sent=\d+ responses=\d+ non200=(\d+) exhausted=(\w+)", text)
    if m:
        out["non200"], out["exhausted"] = int(m.group(1)), m.group(2)
    m = re.search(r"BENCH socket_errors connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)", text)
    if m:
        out["socket"] = sum(int(x) for x in m.groups())
    out["statuses"] = dict(re.findall(r"BENCH status (\d+): (\d+)", text))
    return out


def db_check(path):
    m = re.search(r"sent=(\d+) answered=(\d+)", path.read_text()) if path.exists() else None
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


ok_all = True
print()
print("| database | hello rps (before / after) | answer rps | ratio | target | result | answer p50 / p90 / p99 | hello p50 / p99 | answer requests | non-200 | socket errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for db in dbs:
    d = work / db
    h1, h2, a = parse(d / "wrk-hello-1.txt"), parse(d / "wrk-hello-2.txt"), parse(d / "wrk-answer.txt")
    hellos = [x["rps"] for x in (h1, h2) if x["rps"]]
    if not hellos or a["rps"] is None:
        print(f"| {db} | run incomplete | | | | FAIL | | | | | |")
        ok_all = False
        continue
    hello = sum(hellos) / len(hellos)
    ratio = a["rps"] / hello
    errors = (a["non200"] if a["non200"] is not None else 1) + a["socket"] + (h1["non200"] or 0) + (h2["non200"] or 0) + h1["socket"] + h2["socket"]
    sent, answered = db_check(d / "db-check.txt")
    if sent is None or sent != answered:
        print(f"{db}: pairs sent ({sent}) != answered quiz items in the database ({answered})")
        errors += 1
    passed = ratio >= thresholds[db] and errors == 0
    verdict = "PASS" if passed else "FAIL"
    if a["exhausted"] != "no":
        # wrk divides by the full -d duration even when the threads stopped early, so the
        # answer rps is a lower bound: a PASS stands, a FAIL is inconclusive.
        verdict += " (pairs ran out: answer rps is a lower bound)" if passed else " INCONCLUSIVE (pairs ran out: raise MAIN_PAIRS)"
    ok_all &= passed
    statuses = ", ".join(f"{k}: {v}" for k, v in a["statuses"].items())
    print(f"| {db} | {h1['rps'] or 0:.0f} / {h2['rps'] or 0:.0f} (mean {hello:.0f}) | {a['rps']:.0f} | {ratio:.1%} | {thresholds[db]:.0%} "
          f"| {verdict} | {a['p50']} / {a['p90']} / {a['p99']} | {h1['p50']} / {h1['p99']} | {a['requests']} "
          f"| {a['non200']}{' (' + statuses + ')' if statuses else ''} | {a['socket']} |")
sys.exit(0 if ok_all else 1)
EOF
}

echo "Pufa answer benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: nproc=$(nproc), memory=$(free -m | awk '/^Mem:/{print $2}') MiB, $(uname -sr)"
echo "app source fingerprint: $(source_fingerprint)"
echo "gunicorn ${GUNICORN_ARGS[*]} (same for hello and app); wrk ${WRK_ARGS[*]} -d ${DURATION}s (warm-up ${WARMUP}s)"

DBS=("$@")
[[ ${#DBS[@]} -eq 0 ]] && DBS=(sqlite postgresql)
DONE=()
for db in "${DBS[@]}"; do
  case $db in
    sqlite) bench_db sqlite "$SQLITE_URL" && DONE+=(sqlite) ;;
    postgresql)
      if pg_isready -q -h 127.0.0.1 -p 5432; then
        bench_db postgresql "$PG_URL" && DONE+=(postgresql)
      else
        echo "PostgreSQL is not accepting connections on 127.0.0.1:5432: skipped" >&2
      fi ;;
    *) echo "unknown database '$db' (sqlite|postgresql)" >&2; exit 2 ;;
  esac
  stop_server
done
summarize "${DBS[@]}"
