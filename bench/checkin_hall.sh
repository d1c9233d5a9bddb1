#!/usr/bin/env bash
# The check-in hall: PEOPLE people check in at one event within WINDOW seconds (a burst
# as the code goes up, then people walking in; see bench/checkin_hall.py) while the
# projector polls its live count, against the app under gunicorn on 127.0.0.1, on
# PostgreSQL and SQLite.  The load comes from a second process (bench/checkin_hall.py);
# everything is bounded by `timeout`, and the server this script starts is stopped by
# its pid, also on Ctrl-C or error.
#
#   bench/checkin_hall.sh                       # PostgreSQL, then SQLite; 500 people over 120 s; ~3 min each
#   bench/checkin_hall.sh sqlite                # one of them
#   PEOPLE=1000 WINDOW=120 bench/checkin_hall.sh postgresql
#   WORKERS=1 THREADS=8 bench/checkin_hall.sh
#   NO_WAIT=1 bench/checkin_hall.sh             # do not wait for other benchmarks to finish
#
# Per database:
#   0. wait until no other benchmark runs on this shared machine (`pgrep -f` for
#      exam_hour, bench/run.sh, wrk; polled every WAIT_POLL s until QUIET_CHECKS polls
#      in a row find none, for at most WAIT_MAX s, then it runs anyway and says so);
#   1. bench/checkin_prepare.py builds the database (schema, one ongoing geofenced event,
#      PEOPLE residents, a panel account) and the tokens file;
#   2. gunicorn starts (wsgi:app, same style as bench/run.sh);
#   3. bench/checkin_hall.py runs the hall and the projector, reports latencies, errors
#      and the projector's cost at count 0 and at count PEOPLE, and checks the database;
#   4. gunicorn is stopped; its log is scanned for errors.
# Also recorded: load average every 5 s, whether another benchmark started meanwhile,
# the machine's CPU use and the CPU seconds of gunicorn and of the database's backends.
# Exit status: 0 if every database passed (see bench/checkin_hall.py), 1 otherwise.
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN
WORK=${BENCH_DIR:-/tmp/pufa-bench/checkin}

WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
PEOPLE=${PEOPLE:-500}
WINDOW=${WINDOW:-120}
POOL=${POOL:-32}
LOAD_ARGS=${LOAD_ARGS:-}     # more options for checkin_hall.py, e.g. "--burst-share 0.5"
SQLITE_URL=${SQLITE_URL:-sqlite:///$WORK/checkin.sqlite3}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/pufa_bench_checkin}
PORT=${PORT:-18704}
WAIT_MAX=${WAIT_MAX:-1200}   # seconds to wait for other benchmarks at most
WAIT_POLL=${WAIT_POLL:-30}
QUIET_CHECKS=${QUIET_CHECKS:-2}
NO_WAIT=${NO_WAIT:-0}
OTHERS='exam_hour|bench/run.sh|wrk '   # other benchmarks on this machine

bench_env "${RATELIMIT_ENABLED:-0}"   # the check-in endpoint has no limit of its own

# The hall's own bound, then `timeout` around the whole generator (login, quiet polls, check).
HALL_TIMEOUT=$(awk -v w="$WINDOW" 'BEGIN {printf "%d", w + 4 + 90}')
LOAD_TIMEOUT=$((HALL_TIMEOUT + 120))

trap_stop_all

others_running() { pgrep -af "$OTHERS" | grep -v -- "checkin_hall" ; }

# Wait until no other benchmark runs: QUIET_CHECKS checks in a row, WAIT_POLL s apart,
# find none (others often run several benchmarks back to back with a few seconds
# between them); give up after WAIT_MAX seconds and run anyway, saying so.
wait_for_quiet() {
  local log=$1 waited=0 quiet=0
  if [[ $NO_WAIT == 1 ]]; then echo "not waiting for other benchmarks (NO_WAIT=1)" | tee -a "$log"; return; fi
  while true; do
    if others_running >/dev/null; then
      quiet=0
      (( waited == 0 )) && echo "waiting for other benchmarks to finish: $(others_running | cut -c1-120 | tr '\n' ';')" | tee -a "$log"
    else
      quiet=$((quiet + 1))
      (( quiet >= QUIET_CHECKS )) && break
    fi
    if (( waited >= WAIT_MAX )); then
      echo "WAITED ${waited}s FOR OTHER BENCHMARKS, RUNNING ANYWAY; still running: $(others_running | cut -c1-120 | tr '\n' ';')" \
           "load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
      return
    fi
    sleep "$WAIT_POLL"
    waited=$((waited + WAIT_POLL))
  done
  echo "no other benchmark running ($QUIET_CHECKS checks in a row, ${WAIT_POLL}s apart; waited ${waited}s);" \
       "load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
}

bench_db() {
  local db=$1 url=$2
  local dir=$WORK/$db
  begin_db "$dir" "$db" "$url"
  wait_for_quiet "$dir/wait.txt"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "+ python bench/checkin_prepare.py $url --people $PEOPLE --out $dir/people.json"
  if ! timeout --kill-after=10 600 "$PY" bench/checkin_prepare.py "$url" --people "$PEOPLE" --out "$dir/people.json" \
        >"$dir/prepare.log" 2>&1; then
    echo "prepare failed:" >&2; tail -30 "$dir/prepare.log" >&2; return 1
  fi
  grep -vE "^INFO |Warning|return self._jws" "$dir/prepare.log" | sed 's/^/    /'

  export DATABASE_URL=$url
  local fp_before fp_after
  fp_before=$(source_fingerprint html)
  if ! start_gunicorn "$PORT" "$ROOT" wsgi:app "$dir/gunicorn.log"; then
    echo "gunicorn did not come up; see $dir/gunicorn.log" >&2; tail -20 "$dir/gunicorn.log" >&2; stop_all; return 1
  fi
  local gpid=$GUNICORN_PID

  # Every 5 s: time, 1-min load average, and any other benchmark that started meanwhile.
  (while true; do
     echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(others_running | cut -c1-80 | tr '\n' ';')"
     sleep 5
   done) >"$dir/load.txt" &
  PIDS+=("$!")

  local dbname=${url##*/}
  [[ $db == postgresql ]] || dbname=""
  local g0 b0=0 m0
  g0=$(cpu_of $(gunicorn_pids "$gpid"))
  [[ -n $dbname ]] && b0=$(cpu_of $(backend_pids "$dbname"))
  read -r -a m0 <<<"$(machine_cpu)"
  local t0=$SECONDS
  echo "+ timeout $LOAD_TIMEOUT python bench/checkin_hall.py $dir/people.json --url http://127.0.0.1:$PORT" \
       "--window $WINDOW --pool $POOL --timeout $HALL_TIMEOUT $LOAD_ARGS"
  # shellcheck disable=SC2086
  timeout --signal=INT --kill-after=10 "$LOAD_TIMEOUT" \
    "$PY" bench/checkin_hall.py "$dir/people.json" --url "http://127.0.0.1:$PORT" --window "$WINDOW" --pool "$POOL" \
      --timeout "$HALL_TIMEOUT" --json "$dir/result.json" --raw "$dir/requests.csv" $LOAD_ARGS 2>&1 | tee "$dir/hall.log"
  local rc=${PIPESTATUS[0]}
  local m1 g1 b1=0
  read -r -a m1 <<<"$(machine_cpu)"
  g1=$(cpu_of $(gunicorn_pids "$gpid"))
  [[ -n $dbname ]] && b1=$(cpu_of $(backend_pids "$dbname"))
  stop_all
  fp_after=$(source_fingerprint html)

  echo "hall: exit status $rc, $((SECONDS - t0))s"
  awk -v b0="${m0[0]}" -v t0="${m0[1]}" -v b1="${m1[0]}" -v t1="${m1[1]}" -v n="$(nproc)" \
    'BEGIN {printf "machine CPU busy during the hall: %.0f %% of %d cores\n", 100 * (b1 - b0) / (t1 - t0), n}'
  echo "CPU seconds during the hall: gunicorn (master + workers) $(awk -v a="$g0" -v b="$g1" 'BEGIN {printf "%.1f", b - a}')" \
       "$([[ -n $dbname ]] && awk -v a="$b0" -v b="$b1" 'BEGIN {printf ", PostgreSQL backends of this database %.1f (connections open at the end)", b - a}')" \
       ", load generator $(sed -n 's/.*"cpu_s": \([0-9.]*\).*/\1/p' "$dir/result.json" 2>/dev/null | head -1)"
  echo "load average (1 min) during the hall, min/max of 5-s samples:" \
       "$(awk 'NR == 1 {mn = mx = $2} {if ($2 < mn) mn = $2; if ($2 > mx) mx = $2} END {print mn "/" mx}' "$dir/load.txt")"
  if awk 'NF > 2' "$dir/load.txt" | grep -q .; then
    echo "OTHER BENCHMARKS RAN DURING THE HALL: $(awk 'NF > 2 {$1 = $2 = ""; print}' "$dir/load.txt" | sort -u | head -3 | tr '\n' ' ')"
  else
    echo "no other benchmark ran during the hall"
  fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "app source fingerprint: $fp_before$([[ $fp_before != "$fp_after" ]] && echo " -> $fp_after (CHANGED while the server ran)")"
  report_gunicorn_log "$dir/gunicorn.log"
  return "$rc"
}

echo "Pufa check-in hall benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint html)"
echo "gunicorn ${GUNICORN_ARGS[*]}"
echo "$PEOPLE people over ${WINDOW}s, pool $POOL; hall timeout ${HALL_TIMEOUT}s, generator timeout ${LOAD_TIMEOUT}s per database"

DBS=("$@")
[[ ${#DBS[@]} -eq 0 ]] && DBS=(postgresql sqlite)
bench_each_db "${DBS[@]}"
