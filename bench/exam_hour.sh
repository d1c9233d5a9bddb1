#!/usr/bin/env bash
# The exam hour: CADRES cadres sit the annual law exam at once (start, ANSWERS saved
# answers about PAUSE seconds apart, submit) against the app under gunicorn, on
# PostgreSQL (default) and/or SQLite.  The load comes from a second process
# (bench/exam_hour.py) over 127.0.0.1; everything is bounded by `timeout`, and the
# server this script starts is stopped by its pid, also on Ctrl-C or error.
#
#   bench/exam_hour.sh                          # PostgreSQL, 1000 cadres x 50 answers, ~200 saves/s, ~5.5 min
#   bench/exam_hour.sh sqlite                   # SQLite
#   bench/exam_hour.sh postgresql sqlite        # both, one after the other
#   ANSWERS=30 bench/exam_hour.sh               # shorter run, same rate (~3.5 min)
#   RAMP=60 bench/exam_hour.sh                  # starts spread over a minute instead of one pause
#   WORKERS=2 THREADS=8 POOL=32 bench/exam_hour.sh
#
# Per database:
#   1. bench/exam_prepare.py builds the database (schema, shipped bank, org units,
#      CADRES cadres bound to users, one open exam of 50 questions) and the tokens file;
#   2. gunicorn starts (wsgi:app, same style as bench/run.sh);
#   3. bench/exam_hour.py runs the load, reports throughput, latencies and errors, and
#      checks the database (every save answered 200 is stored, every attempt submitted
#      with its score);
#   4. gunicorn is stopped; its log is scanned for errors.
# Also recorded every 2 s: the 1-min load average, the machine's CPU use, and the
# CPU seconds of gunicorn, of the database's backends and of the load generator (with
# the save p99 beside them in 10-s buckets, to tell a slow stretch caused by other
# processes on the machine from one caused by the app).
# Exit status: 0 if every database passed (no errors, database check, save p99 < P99_MS).
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN
WORK=${BENCH_DIR:-/tmp/pufa-bench/exam}

WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
CADRES=${CADRES:-1000}
ANSWERS=${ANSWERS:-50}
PAUSE=${PAUSE:-5}
RAMP=${RAMP:-$PAUSE}
POOL=${POOL:-64}
P99_MS=${P99_MS:-300}
LOAD_ARGS=${LOAD_ARGS:-}     # more options for exam_hour.py, e.g. "--jitter 0.3"
SQLITE_URL=${SQLITE_URL:-sqlite:///$WORK/exam.sqlite3}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/pufa_bench_exam}
PORT=${PORT:-18703}

bench_env

# Hard bound of the load generator: its own --timeout, then `timeout` around it.
LOAD_TIMEOUT=$(awk -v r="$RAMP" -v a="$ANSWERS" -v p="$PAUSE" 'BEGIN {printf "%d", (r + (a + 1) * p) * 1.5 + 60}')

trap_stop_all "interrupted: stopping the server"

bench_db() {
  local db=$1 url=$2
  local dir=$WORK/$db
  begin_db "$dir" "$db" "$url"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "+ python bench/exam_prepare.py $url --cadres $CADRES --out $dir/cadres.json"
  if ! timeout --foreground --kill-after=10 900 "$PY" bench/exam_prepare.py "$url" --cadres "$CADRES" --out "$dir/cadres.json" \
        >"$dir/prepare.log" 2>&1; then
    echo "prepare failed:" >&2; tail -30 "$dir/prepare.log" >&2; return 1
  fi
  grep -vE "^INFO " "$dir/prepare.log" | sed 's/^/    /'

  export DATABASE_URL=$url
  local fp_before fp_after
  fp_before=$(source_fingerprint)
  if ! start_gunicorn "$PORT" "$ROOT" wsgi:app "$dir/gunicorn.log"; then
    echo "gunicorn did not come up; see $dir/gunicorn.log" >&2; tail -20 "$dir/gunicorn.log" >&2; stop_all; return 1
  fi
  local gpid=$GUNICORN_PID

  # Every 2 s: time, machine busy and total jiffies, CPU seconds of gunicorn, of this
  # database's PostgreSQL backends and of the load generator, 1-min load average.
  local dbname=${url##*/}
  [[ $db == postgresql ]] || dbname=""
  (while true; do
     echo "$(date +%s.%N | cut -c1-14) $(machine_cpu) $(cpu_of $(gunicorn_pids "$gpid"))" \
          "$(if [[ -n $dbname ]]; then cpu_of $(backend_pids "$dbname"); else echo 0; fi)" \
          "$(cpu_of $(pgrep -f "bench/exam_hour.py $dir/"))" "$(cut -d' ' -f1 /proc/loadavg)"
     sleep 2
   done) >"$dir/cpu.txt" &
  PIDS+=("$!")

  local g0 b0 m0
  g0=$(cpu_of $(gunicorn_pids "$gpid"))
  read -r -a m0 <<<"$(machine_cpu)"
  local t0=$SECONDS
  echo "+ timeout $((LOAD_TIMEOUT + 60)) python bench/exam_hour.py $dir/cadres.json --url http://127.0.0.1:$PORT --answers $ANSWERS" \
       "--pause $PAUSE --ramp $RAMP --pool $POOL --timeout $LOAD_TIMEOUT --p99-target-ms $P99_MS $LOAD_ARGS"
  # shellcheck disable=SC2086
  timeout --foreground --signal=INT --kill-after=10 $((LOAD_TIMEOUT + 60)) \
    "$PY" bench/exam_hour.py "$dir/cadres.json" --url "http://127.0.0.1:$PORT" --answers "$ANSWERS" --pause "$PAUSE" \
      --ramp "$RAMP" --pool "$POOL" --timeout "$LOAD_TIMEOUT" --p99-target-ms "$P99_MS" \
      --json "$dir/result.json" --raw "$dir/requests.csv" $LOAD_ARGS 2>&1 | tee "$dir/load.log"
  local rc=${PIPESTATUS[0]}
  local m1 g1 b1
  read -r -a m1 <<<"$(machine_cpu)"
  g1=$(cpu_of $(gunicorn_pids "$gpid"))
  if [[ $db == postgresql ]]; then b1=$(cpu_of $(backend_pids "$dbname")); fi
  stop_all
  fp_after=$(source_fingerprint)

  local ncpu
  ncpu=$(nproc)
  echo "load: exit status $rc, $((SECONDS - t0))s"
  awk -v b0="${m0[0]}" -v t0="${m0[1]}" -v b1="${m1[0]}" -v t1="${m1[1]}" -v n="$ncpu" \
    'BEGIN {printf "machine CPU busy during the load: %.0f %% of %d cores\n", 100 * (b1 - b0) / (t1 - t0), n}'
  echo "CPU seconds during the load: gunicorn (master + workers) $(awk -v a="$g0" -v b="$g1" 'BEGIN {printf "%.1f", b - a}')" \
       "$([[ $db == postgresql ]] && echo ", PostgreSQL backends of $dbname (whole life) ${b1:-?}")" \
       ", load generator $(sed -n 's/.*"cpu_s": \([0-9.]*\).*/\1/p' "$dir/result.json" 2>/dev/null | head -1)"
  # Everything else on the machine (other people's test suites, PostgreSQL's own background
  # processes, other databases' backends): machine busy time minus the three above.
  awk -v b0="${m0[0]}" -v b1="${m1[0]}" -v g="$(awk -v a="$g0" -v b="$g1" 'BEGIN {print b - a}')" -v p="${b1:-0}" \
      -v l="$(sed -n 's/.*"cpu_s": \([0-9.]*\).*/\1/p' "$dir/result.json" 2>/dev/null | head -1)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "CPU seconds of everything else on the machine during the load: %.0f\n", (b1 - b0) / hz - g - p - l}'
  echo "load average (1 min) during the load, min/max of 2-s samples:" \
       "$(awk 'NR == 1 {mn = mx = $7} {if ($7 < mn) mn = $7; if ($7 > mx) mx = $7} END {print mn "/" mx}' "$dir/cpu.txt")"
  cpu_timeline "$dir"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "app source fingerprint: $fp_before$([[ $fp_before != "$fp_after" ]] && echo " -> $fp_after (CHANGED while the server ran)")"
  report_gunicorn_log "$dir/gunicorn.log"
  return "$rc"
}

# Save latency and CPU use side by side, in 10-s buckets from the start of the load:
# whether a slow stretch coincides with the machine being busy with something else.
cpu_timeline() {
  "$PY" - "$1" "$(getconf CLK_TCK)" <<'EOF'
import json
import sys
from pathlib import Path

d, hz = Path(sys.argv[1]), int(sys.argv[2])
try:
    result = json.loads((d / "result.json").read_text())
    samples = [list(map(float, line.split())) for line in (d / "cpu.txt").read_text().splitlines() if len(line.split()) == 7]
except (OSError, ValueError, KeyError) as e:
    print(f"(no CPU timeline: {e})")
    sys.exit(0)
t0 = result["t0_epoch"]
print("timeline, 10 s buckets (by send time): t, saves/s, save p99 ms | CPU in % of one core: machine busy, gunicorn,")
print("  PostgreSQL backends of this database, load generator, everything else (busy minus those three)")
for b in result["timeline_10s"]:
    lo, hi = t0 + b["t_s"], t0 + b["t_s"] + 10
    inside = [s for s in samples if lo - 1 <= s[0] <= hi + 1]
    if len(inside) < 2:
        continue
    a, z = inside[0], inside[-1]
    dt = z[0] - a[0]
    busy = (z[1] - a[1]) / hz / dt * 100
    g, p, l = ((z[i] - a[i]) / dt * 100 for i in (3, 4, 5))
    p99 = "-" if b["p99_ms"] is None else f"{b['p99_ms']:.0f}"
    print(f"  {b['t_s']:4d}s {b['per_s']:6.1f} {p99:>6} | {busy:4.0f} {g:4.0f} {p:4.0f} {l:4.0f} {busy - g - p - l:5.0f}")
EOF
}

echo "Pufa exam-hour benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint)"
echo "gunicorn ${GUNICORN_ARGS[*]}"
echo "$CADRES cadres x $ANSWERS answers, pause $PAUSE s, starts over $RAMP s, pool $POOL; hard timeout $LOAD_TIMEOUT s per database"

DBS=("$@")
[[ ${#DBS[@]} -eq 0 ]] && DBS=(postgresql)
bench_each_db "${DBS[@]}"
