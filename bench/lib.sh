# Shared by the bench/*.sh that start app servers (run.sh, ab.sh, mixed.sh, exam_hour.sh,
# district_table.sh, exam_district.sh ...); sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets ROOT (the repository, also made the current directory), PY and GUNICORN, and
# defines the functions below.  Every process started with start_gunicorn (or added to
# PIDS) is stopped by its pid by stop_all, which trap_stop_all runs on exit, Ctrl-C or
# TERM.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
PY=$ROOT/.venv/bin/python
GUNICORN=$ROOT/.venv/bin/gunicorn

# bench_env [RATELIMIT_ENABLED]: the app's environment for a benchmark under $WORK (its
# instance directory there), and GUNICORN_ARGS from WORKER_CLASS (default gthread),
# WORKERS and THREADS (sync workers take one request at a time: use THREADS=1).
# --reuse-port: each worker listens on a socket of its own and the kernel spreads new
# connections over them. On one shared socket, wrk's 16 connections, all opened at once,
# often went to the worker that woke first (16 to 0, seen in the per-segment worker CPU),
# leaving the other worker idle for the whole segment.
bench_env() {
  GUNICORN_ARGS=(-k "${WORKER_CLASS:-gthread}" --workers "$WORKERS" --threads "$THREADS" --backlog 2048 --reuse-port --graceful-timeout 5 --log-level warning)
  export SECRET_KEY=${SECRET_KEY:-pufa-bench-secret-key-not-for-production-0123456789}
  export PUFA_INSTANCE=$WORK/instance
  export PUFA_ENV=production
  # Production fails closed: WeChat credentials (never used, the prepare scripts make the
  # tokens), SQLite allowed on purpose.
  export WECHAT_APPID=${WECHAT_APPID:-wx-bench-appid} WECHAT_SECRET=${WECHAT_SECRET:-bench-wechat-secret-never-used} ALLOW_SQLITE=1
  export RATELIMIT_ENABLED=${1:-0}
  # Production requires Redis (shared rate limits and revoked tokens) and a /metrics token.
  export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}
  export METRICS_TOKEN=${METRICS_TOKEN:-pufa-bench-metrics-token-0123456789abcdef}
  mkdir -p "$WORK" "$PUFA_INSTANCE"
}

# dev_bench_env: the app's environment for a benchmark of development settings under
# $WORK (its instance directory there): dev-login (no WeChat credentials, not
# PUFA_ENV=production, no Redis), rate limits off, statements over SLOW_QUERY_MS (default
# 100) logged, the access log on (its request id names a slow statement's route).
dev_bench_env() {
  export SECRET_KEY=${SECRET_KEY:-pufa-bench-secret-key-not-for-production-0123456789}
  export RATELIMIT_ENABLED=0 SLOW_QUERY_MS=${SLOW_QUERY_MS:-100} PUFA_INSTANCE=$WORK/instance ACCESS_LOG=1
  unset PUFA_ENV WECHAT_APPID WECHAT_SECRET REDIS_URL
  mkdir -p "$PUFA_INSTANCE"
}

# The app is being edited while benchmarks run: fingerprint its source so each result
# can be tied to one state of the code (no git needed).
# source_fingerprint [EXTENSION...]: *.py and *.yaml files, and those of the extensions given.
source_fingerprint() {
  local names=(-name '*.py' -o -name '*.yaml') ext
  for ext in "$@"; do names+=(-o -name "*.$ext"); done
  find "$ROOT" -path "$ROOT/.venv" -prune -o -path "$ROOT/bench" -prune -o -path "$ROOT/tests" -prune \
    -o -path "$ROOT/.git" -prune -o -type f \( "${names[@]}" \) -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12
}

# The line every benchmark starts its report with, after its title.
machine_info() {
  echo "machine: nproc=$(nproc), memory=$(free -m | awk '/^Mem:/{print $2}') MiB, $(uname -sr)"
}

PIDS=()   # processes to stop: gunicorn masters, samplers
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  PIDS=()
}

# trap_stop_all [MESSAGE]: stop_all on exit; on Ctrl-C or TERM, MESSAGE (if any) on
# stderr, stop_all, exit 130.
STOP_MESSAGE=
trap_stop_all() {
  STOP_MESSAGE=${1:-}
  trap 'stop_all' EXIT
  trap 'stop_on_signal' INT TERM
}
stop_on_signal() {
  [[ -n $STOP_MESSAGE ]] && echo "$STOP_MESSAGE" >&2
  stop_all
  exit 130
}

# start_gunicorn PORT CHDIR MODULE:app LOGFILE: gunicorn with GUNICORN_ARGS on
# 127.0.0.1:PORT in the background (its pid in GUNICORN_PID and PIDS; LOGFILE emptied
# first), then wait up to ~20 s until it answers.  Status 1 if it did not come up.
# Not in $(...): the server must be a child of this shell.
start_gunicorn() {
  local port=$1 dir=$2 app=$3 log=$4
  : >"$log"
  echo "+ gunicorn ${GUNICORN_ARGS[*]} --bind 127.0.0.1:$port --chdir $dir $app"
  "$GUNICORN" "${GUNICORN_ARGS[@]}" --bind "127.0.0.1:$port" --chdir "$dir" --error-logfile "$log" "$app" &
  GUNICORN_PID=$!
  PIDS+=("$GUNICORN_PID")
  wait_for_server "$port" "$GUNICORN_PID"
}

# wait_for_server PORT PID: until http://127.0.0.1:PORT/ answers (100 tries 0.2 s apart),
# or PID is gone.  Status 1 if it never answered.
wait_for_server() {
  local port=$1 pid=$2
  for _ in $(seq 100); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/__bench_ready__"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  return 1
}

# CPU seconds (user + system) of the processes whose pids are given.
cpu_of() {
  local total=0 pid hz
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    total=$(awk -v t="$total" -v hz="$hz" '{sub(/^.*\) /, ""); print t + ($12 + $13) / hz}' "/proc/$pid/stat")
  done
  echo "$total"
}
# shellcheck disable=SC2046
gunicorn_pids() { local master=$1; echo "$master" $(pgrep -P "$master"); }
backend_pids() { local db=$1; pgrep -f "^postgres: .* $db " ; }
# Busy and total jiffies of the whole machine.
machine_cpu() { awk '/^cpu / {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6}' /proc/stat; }

# begin_db DIR DB URL: DIR emptied (a fresh directory for this database's files), and
# the database's heading.
begin_db() {
  local dir=$1 db=$2 url=$3
  rm -rf "$dir"
  mkdir -p "$dir"
  echo
  echo "=============== $db ($url) ==============="
}

# report_gunicorn_log LOGFILE: its first error, or that it has none.
report_gunicorn_log() {
  local log=$1
  if grep -qE "ERROR|Traceback|WORKER TIMEOUT" "$log"; then
    echo "gunicorn log ($log) has errors: $(grep -cE "ERROR|WORKER TIMEOUT" "$log") lines; first:"
    grep -m1 -A60 -E "ERROR|WORKER TIMEOUT" "$log" | sed 's/^/    /' | head -60
  else
    echo "gunicorn log: no errors"
  fi
}

# bench_each_db DB...: bench_db DB URL for each of sqlite ($SQLITE_URL) and postgresql
# ($PG_URL; skipped, as a failure, when it does not accept connections), stop_all after
# each.  Status 1 if any failed; exits 2 on an unknown name.
bench_each_db() {
  local db status=0
  for db in "$@"; do
    case $db in
      sqlite) bench_db sqlite "$SQLITE_URL" || status=1 ;;
      postgresql)
        if pg_isready -q -h 127.0.0.1 -p 5432; then
          bench_db postgresql "$PG_URL" || status=1
        else
          echo "PostgreSQL is not accepting connections on 127.0.0.1:5432: skipped" >&2; status=1
        fi ;;
      *) echo "unknown database '$db' (postgresql|sqlite)" >&2; exit 2 ;;
    esac
    stop_all
  done
  return $status
}

# -- wrk segments, SQLite's writer process, pairs, worktrees ----------------------------

# ensure_wrk: Debian's wrk at $WRK (default /usr/bin/wrk), installed with apt-get if
# missing. Status 1 if it is still missing.
ensure_wrk() {
  WRK=${WRK:-/usr/bin/wrk}
  [[ -x $WRK ]] && return 0
  echo "+ apt-get install -y wrk"
  timeout 300 apt-get install -y wrk >/dev/null 2>&1 \
    || { timeout 300 apt-get update >/dev/null 2>&1 && timeout 300 apt-get install -y wrk >/dev/null 2>&1; }
  [[ -x $WRK ]] || { echo "wrk is missing and could not be installed" >&2; return 1; }
}

# has_sqlite_writer DIR: whether the code in DIR has SQLite's writer process (its
# core/cli.py defines the `flask sqlite-writer` command), which its README says to run
# beside gunicorn on SQLite.
has_sqlite_writer() { grep -q '"sqlite-writer"' "$1/core/cli.py" 2>/dev/null; }

# start_sqlite_writer [DIR [LOGFILE]]: `flask sqlite-writer` of the code in DIR (default
# ROOT) for DATABASE_URL, as deployed beside the app on SQLite; added to PIDS; waits up
# to 20 s for its socket beside the database. Status 1 if it did not come up.
start_sqlite_writer() {
  local dir=${1:-$ROOT} log=${2:-$LOG/sqlite-writer.log}
  local sock=${DATABASE_URL#sqlite:///}-writer.sock
  echo "+ (cd $dir && flask sqlite-writer)  (SQLite's writer process)"
  (cd "$dir" && FLASK_APP=wsgi.py exec "$(dirname "$PY")/flask" sqlite-writer) >"$log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do [[ -S $sock ]] && return 0; sleep 0.2; done
  echo "the SQLite writer did not come up; see $log" >&2
  tail -20 "$log" >&2
  return 1
}

# worker_seconds MASTER_PID: the CPU seconds of each of its workers, space-separated.
worker_seconds() {
  local pid
  for pid in $(pgrep -P "$1" | sort -n); do cpu_of "$pid"; done | tr '\n' ' '
}

# run_wrk MASTER_PID OUTFILE SECONDS URL SCRIPT [-- script args]: one wrk segment with
# WRK_ARGS, bounded by `timeout`; prints its req/s and each gunicorn worker's CPU
# seconds in it (a worker that sat idle shows why a segment is slow).
run_wrk() {
  local master=$1 out=$2 secs=$3 url=$4 script=$5
  shift 5
  echo "+ wrk ${WRK_ARGS[*]} -d ${secs}s -s $script $url $*"
  local before after
  read -ra before <<<"$(worker_seconds "$master")"
  timeout --signal=INT --kill-after=5 $((secs + 30)) \
    "$WRK" "${WRK_ARGS[@]}" -d "${secs}s" -s "$script" "$url" "$@" >"$out" 2>&1
  local rc=$?
  read -ra after <<<"$(worker_seconds "$master")"
  local split="" i
  for i in "${!after[@]}"; do split+="$(awk -v a="${after[$i]}" -v b="${before[$i]:-0}" 'BEGIN {printf "%.1f", a - b}') "; done
  echo "    $(basename "$out" .txt): $(grep -E "Requests/sec" "$out" | tr -s ' ')" \
       "$(grep -oE "non200=[0-9]+ exhausted=[A-Za-z]+" "$out") worker CPU s: ${split% }"
  grep -E "BENCH status" "$out" | sed 's/^/    /'
  return $rc
}

# split_pairs DIR: DIR/pairs.tsv cut into disjoint slices: DIR/pairs-warmup.tsv
# (WARM_PAIRS lines), then DIR/pairs-1.tsv .. DIR/pairs-ROUNDS.tsv (ROUND_PAIRS each).
split_pairs() {
  local dir=$1 r
  head -n "$WARM_PAIRS" "$dir/pairs.tsv" >"$dir/pairs-warmup.tsv"
  for r in $(seq "$ROUNDS"); do
    tail -n +"$((WARM_PAIRS + (r - 1) * ROUND_PAIRS + 1))" "$dir/pairs.tsv" | head -n "$ROUND_PAIRS" >"$dir/pairs-$r.tsv"
  done
}

# answered_items URL: how many quiz items of the database at URL are answered.
answered_items() {
  "$PY" -c '
import sys
from sqlalchemy import create_engine, text
url = sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(url)
with engine.connect() as c:
    print(c.execute(text("SELECT count(*) FROM quiz_item WHERE answered_at IS NOT NULL")).scalar())
engine.dispose()
' "$1"
}

# wrk_pairs_sent FILE...: the pairs wrk's answer.lua reported sending, summed.
wrk_pairs_sent() {
  cat "$@" 2>/dev/null | sed -n 's/.*BENCH pairs_loaded=[0-9]* pairs_sent=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}'
}

# add_worktree DIR REV: a detached git worktree of REV at DIR (status 1 if REV is not a
# commit); remove_worktree DIR takes it away again.
add_worktree() {
  local dir=$1 rev=$2
  git -C "$ROOT" rev-parse --verify -q "$rev^{commit}" >/dev/null || { echo "not a revision: $rev" >&2; return 1; }
  git -C "$ROOT" worktree add --detach -f "$dir" "$rev" >/dev/null || return 1
}
remove_worktree() {
  local dir=$1
  [[ -d $dir ]] || return 0
  git -C "$ROOT" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
  git -C "$ROOT" worktree prune 2>/dev/null
}

# gunicorn_pss MASTER_PID: the summed PSS (MiB) of the master and its workers.
gunicorn_pss() {
  local pid total=0
  for pid in $(gunicorn_pids "$1"); do
    [[ -r /proc/$pid/smaps_rollup ]] || continue
    total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
  done
  echo $((total / 1024))
}
