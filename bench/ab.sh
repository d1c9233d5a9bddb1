#!/usr/bin/env bash
# A/B of the answer endpoint between two revisions, in the same run, against one bare
# Flask "hello": for issue 14's floors (answer >= 25 % of hello's req/s on SQLite and
# >= 15 % on PostgreSQL, p99 < 150 ms, 0 errors, rate limits on as shipped).
#
#   bench/ab.sh OLD_REV NEW_REV [ROUNDS]      # ROUNDS answer segments per side and database (default 3)
#   DBS=sqlite bench/ab.sh HEAD~3 HEAD        # one database only
#   SEGMENT=8 bench/ab.sh main HEAD 5
#
# Each revision is checked out into a temporary detached git worktree (removed at the
# end) and served from there with this repository's .venv (no install). Per database
# (SQLite, then PostgreSQL on databases of this script's own, created and dropped:
# ${PG_DB}_old and ${PG_DB}_new):
#   1. each side's database and answer pairs are built by that revision's own
#      bench/prepare.py (its schema, its code), both sides at once;
#   2. one hello gunicorn (bench/hello.py of this tree) and one app gunicorn per side
#      start side by side, all with bench/run.sh's settings (gthread, WORKERS x THREADS,
#      --reuse-port); on SQLite a side whose core/cli.py has `flask sqlite-writer` also
#      gets its writer process beside it, as its README says;
#   3. warm-up (hello, OLD, NEW), then interleaved wrk segments of SEGMENT s:
#      hello, OLD, hello, NEW, hello, NEW, hello, OLD, hello, ... (the side that goes
#      first alternates each round, so neither always follows the other), each answer
#      segment with its own fresh pairs, and a last hello;
#   4. servers stopped; each side's database must show exactly as many answered quiz
#      items as wrk sent pairs.
# The load is this tree's bench/answer.lua and bench/hello.lua for both sides.
# Table: per database and side, the median answer req/s, the median of the hello
# segments next to that side's answer segments, their ratio, p99 (median and worst
# segment), errors (non-200 + socket errors + database check), and the verdict against
# the floors. Other processes on this 2-core machine move single segments by a third:
# read the medians, and the per-segment lines below the table.
# Exit status: 0 if the NEW side met every floor on every database, 1 otherwise.
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN

if [[ $# -lt 2 || $# -gt 3 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
OLD_REV=$1
NEW_REV=$2
ROUNDS=${3:-${ROUNDS:-3}}

WORK=${BENCH_DIR:-/tmp/pufa-ab}
DBS=(${DBS:-sqlite postgresql})
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
SEGMENT=${SEGMENT:-5}          # seconds per wrk segment
WARMUP=${WARMUP:-2}            # seconds of warm-up per server
WARM_PAIRS=${WARM_PAIRS:-3000}
# Enough for 4,400 answers/s for 5 s, but never more than 8,000 users a side (10 pairs
# a user): past 8,192, a worker's cache of checked tokens would miss on nearly every
# answer (see bench/run.sh).
ROUND_PAIRS=${ROUND_PAIRS:-$(( (80000 - WARM_PAIRS) / ROUNDS < 22000 ? (80000 - WARM_PAIRS) / ROUNDS : 22000 ))}
BANK_QUESTIONS=${BANK_QUESTIONS:-2000}
PG_BASE=${PG_BASE:-postgresql://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-pufa_bench_ab}
PORT_HELLO=${PORT_HELLO:-18711}
PORT_OLD=${PORT_OLD:-18712}
PORT_NEW=${PORT_NEW:-18713}
PREPARE_TIMEOUT=${PREPARE_TIMEOUT:-420}

WRK_ARGS=(-t "$WRK_THREADS" -c "$CONNECTIONS" --timeout 10s --latency)

bench_env "${RATELIMIT_ENABLED:-1}"   # rate limits on, in memory, as shipped
LOG=$WORK/logs
mkdir -p "$LOG"
ensure_wrk || exit 1

TREES=$(mktemp -d /tmp/pufa-ab-trees.XXXXXX)
declare -A TREE REV PORT
TREE[old]=$TREES/old
TREE[new]=$TREES/new
REV[old]=$(git rev-parse --short "$OLD_REV^{commit}" 2>/dev/null) || { echo "not a revision: $OLD_REV" >&2; exit 2; }
REV[new]=$(git rev-parse --short "$NEW_REV^{commit}" 2>/dev/null) || { echo "not a revision: $NEW_REV" >&2; exit 2; }
PORT[old]=$PORT_OLD
PORT[new]=$PORT_NEW

cleanup() {
  stop_all
  remove_worktree "${TREE[old]}"
  remove_worktree "${TREE[new]}"
  rmdir "$TREES" 2>/dev/null
  local db
  for db in old new; do
    if [[ " ${DBS[*]} " == *" postgresql "* ]] && pg_isready -q -h 127.0.0.1 -p 5432; then
      timeout 30 psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS \"${PG_DB}_$db\" WITH (FORCE)" >/dev/null 2>&1
    fi
  done
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

add_worktree "${TREE[old]}" "$OLD_REV" || exit 2
add_worktree "${TREE[new]}" "$NEW_REV" || exit 2

# side_env SIDE DB: the environment a side's processes run with (its own database and
# instance directory).
side_url() {
  local side=$1 db=$2
  if [[ $db == sqlite ]]; then echo "sqlite:///$WORK/$db/$side/ab.sqlite3"; else echo "$PG_BASE/${PG_DB}_$side"; fi
}

# prepare SIDE DB: that revision's bench/prepare.py, in its tree, for its own database.
prepare() {
  local side=$1 db=$2 dir=$WORK/$db/$side url
  url=$(side_url "$side" "$db")
  mkdir -p "$dir/instance"
  local total=$((WARM_PAIRS + ROUNDS * ROUND_PAIRS))
  ( cd "${TREE[$side]}" && DATABASE_URL=$url PUFA_INSTANCE=$dir/instance \
      timeout --kill-after=10 "$PREPARE_TIMEOUT" "$PY" bench/prepare.py "$url" "$total" \
      --questions "$BANK_QUESTIONS" --out "$dir/pairs.tsv" ) >"$dir/prepare.log" 2>&1
}

# start_side SIDE DB: the side's writer (if its code has one, on SQLite) and gunicorn.
start_side() {
  local side=$1 db=$2 dir=$WORK/$db/$side
  export DATABASE_URL PUFA_INSTANCE
  DATABASE_URL=$(side_url "$side" "$db")
  PUFA_INSTANCE=$dir/instance
  if [[ $db == sqlite ]] && has_sqlite_writer "${TREE[$side]}"; then
    start_sqlite_writer "${TREE[$side]}" "$dir/sqlite-writer.log" || return 1
    echo "$side: with its SQLite writer process" >"$dir/served.txt"
  else
    echo "$side: gunicorn only" >"$dir/served.txt"
  fi
  if ! start_gunicorn "${PORT[$side]}" "${TREE[$side]}" wsgi:app "$dir/gunicorn.log"; then
    echo "gunicorn ($side) did not come up; see $dir/gunicorn.log" >&2; tail -20 "$dir/gunicorn.log" >&2; return 1
  fi
  APP_PID[$side]=$GUNICORN_PID
}

declare -A APP_PID
bench_db() {
  local db=$1 side
  begin_db "$WORK/$db" "$db" "OLD $(side_url old "$db"), NEW $(side_url new "$db")"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "+ each side's bench/prepare.py, both at once: $((WARM_PAIRS + ROUNDS * ROUND_PAIRS)) pairs, $BANK_QUESTIONS questions"
  local t0=$SECONDS pids=() rc=0
  for side in old new; do prepare "$side" "$db" & pids+=($!); done
  for side in 0 1; do wait "${pids[$side]}" || rc=1; done
  for side in old new; do
    if [[ $rc != 0 ]]; then echo "--- prepare ($side):" >&2; tail -15 "$WORK/$db/$side/prepare.log" >&2; fi
  done
  [[ $rc == 0 ]] || return 1
  echo "    prepared in $((SECONDS - t0))s"
  for side in old new; do split_pairs "$WORK/$db/$side"; done

  start_gunicorn "$PORT_HELLO" "$ROOT/bench" hello:app "$WORK/$db/gunicorn-hello.log" \
    || { echo "hello gunicorn did not come up" >&2; stop_all; return 1; }
  local hello_pid=$GUNICORN_PID
  for side in old new; do start_side "$side" "$db" || { stop_all; return 1; }; done
  cat "$WORK/$db"/{old,new}/served.txt | sed 's/^/    /'

  local hello_url=http://127.0.0.1:$PORT_HELLO d=$WORK/$db n=0
  answer() {  # answer SIDE OUT PAIRS SECONDS
    run_wrk "${APP_PID[$1]}" "$2" "$4" "http://127.0.0.1:${PORT[$1]}" bench/answer.lua -- "$3" "$WRK_THREADS"
  }
  run_wrk "$hello_pid" "$d/warmup-hello.txt" "$WARMUP" "$hello_url" bench/hello.lua
  for side in old new; do answer "$side" "$d/$side/warmup-answer.txt" "$d/$side/pairs-warmup.tsv" "$WARMUP"; done
  # The segment order goes to ab_report.py as seq.txt: "hello N" / "answer SIDE ROUND".
  : >"$d/seq.txt"
  local r order
  for r in $(seq "$ROUNDS"); do
    if (( r % 2 )); then order="old new"; else order="new old"; fi
    for side in $order; do
      n=$((n + 1))
      run_wrk "$hello_pid" "$d/hello-$n.txt" "$SEGMENT" "$hello_url" bench/hello.lua
      echo "hello $n" >>"$d/seq.txt"
      answer "$side" "$d/$side/answer-$r.txt" "$d/$side/pairs-$r.tsv" "$SEGMENT"
      echo "answer $side $r" >>"$d/seq.txt"
    done
  done
  n=$((n + 1))
  run_wrk "$hello_pid" "$d/hello-$n.txt" "$SEGMENT" "$hello_url" bench/hello.lua
  echo "hello $n" >>"$d/seq.txt"
  for side in old new; do echo "$side $(gunicorn_pss "${APP_PID[$side]}")" >>"$d/pss.txt"; done
  stop_all
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

  for side in old new; do
    local sent answered
    sent=$(wrk_pairs_sent "$d/$side"/warmup-answer.txt "$d/$side"/answer-*.txt)
    answered=$(answered_items "$(side_url "$side" "$db")")
    echo "    $side: database check: pairs sent by wrk = $sent, answered quiz items = $answered"
    echo "answered_check sent=$sent answered=$answered" >"$d/$side/db-check.txt"
    report_gunicorn_log "$d/$side/gunicorn.log" | sed "s/^/    $side: /" | head -20
  done
}

echo "Pufa answer A/B  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "OLD = $OLD_REV (${REV[old]}), NEW = $NEW_REV (${REV[new]})"
echo "gunicorn ${GUNICORN_ARGS[*]} (same for hello and both sides)"
echo "wrk ${WRK_ARGS[*]}; per database $ROUNDS answer segments a side of ${SEGMENT}s, each after a hello segment," \
     "$ROUND_PAIRS pairs a segment; warm-up ${WARMUP}s a server; rate limits on (RATELIMIT_ENABLED=$RATELIMIT_ENABLED)"

ran=()
for db in "${DBS[@]}"; do
  case $db in
    sqlite) bench_db sqlite && ran+=(sqlite) ;;
    postgresql)
      if pg_isready -q -h 127.0.0.1 -p 5432; then
        bench_db postgresql && ran+=(postgresql)
      else
        echo "PostgreSQL is not accepting connections on 127.0.0.1:5432: skipped" >&2
      fi ;;
    *) echo "unknown database '$db' (sqlite|postgresql)" >&2; exit 2 ;;
  esac
  stop_all
done
[[ ${#ran[@]} -gt 0 ]] || { echo "no database ran" >&2; exit 1; }
"$PY" bench/ab_report.py "$WORK" "$OLD_REV (${REV[old]})" "$NEW_REV (${REV[new]})" "${DBS[@]}"
