#!/usr/bin/env bash
# The exam storm at district size (issue 19): CADRES (default 5,000) of the district's cadres
# sit one exam assigned to all of them, on a copy of the full district database.
#
#   bench/exam_district.sh                        # 5,000 cadres, starts over 25 s (1,000 per 5 s), 10 answers, pause 25 s
#   CADRES=5000 RAMP=25 PAUSE=25 ANSWERS=10 bench/exam_district.sh
#
#   1. bench_district is copied (CREATE DATABASE ... TEMPLATE: it must have no other
#      connection) to bench_district_exam, dropped again at the end, also on Ctrl-C;
#   2. bench/exam_district_prepare.py adds the exam (assign_all, papers drawn ahead) and
#      writes the cadres' tokens;
#   3. one gunicorn (gthread WORKERS x THREADS, default 2 x 4; development settings, rate
#      limits off; statements over SLOW_QUERY_MS logged) on the copy;
#   4. bench/exam_hour.py: the starts spread evenly over RAMP seconds, then ANSWERS saves a
#      cadre PAUSE seconds apart (about CADRES / PAUSE saves a second), then the submits;
#      the database is checked afterwards; exit 0 if no errors and save p99 < P99_MS.
set -uo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK=${BENCH_DIR:-/tmp/pufa-bench/exam-district}
SOURCE_URL=${DISTRICT_URL:-postgresql://postgres@127.0.0.1:5432/bench_district}
COPY=${SOURCE_URL##*/}_exam
URL=${SOURCE_URL%/*}/$COPY
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
CADRES=${CADRES:-5000}
RAMP=${RAMP:-25}
PAUSE=${PAUSE:-25}
ANSWERS=${ANSWERS:-10}
POOL=${POOL:-64}
P99_MS=${P99_MS:-300}
PORT=${PORT:-18733}
rm -rf "$WORK"
dev_bench_env
drop_copy() { psql "${SOURCE_URL%/*}/postgres" -q -c "DROP DATABASE IF EXISTS \"$COPY\" WITH (FORCE)" 2>/dev/null; }
trap 'stop_all; drop_copy' EXIT
trap 'echo interrupted >&2; exit 130' INT TERM

echo "Pufa exam storm at district size  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint); git $(git rev-parse --short HEAD)"
echo "$CADRES cadres, starts over $RAMP s, $ANSWERS answers each, pause $PAUSE s (~$((CADRES / PAUSE)) saves/s), pool $POOL"
drop_copy
t0=$SECONDS
psql "${SOURCE_URL%/*}/postgres" -q -c "CREATE DATABASE \"$COPY\" TEMPLATE \"${SOURCE_URL##*/}\"" || exit 1
echo "copy $COPY made in $((SECONDS - t0)) s"
timeout 900 "$PY" bench/exam_district_prepare.py "$URL" --cadres "$CADRES" --out "$WORK/cadres.json" || exit 1
psql "$URL" -q -c "VACUUM ANALYZE exam_paper" -c "VACUUM ANALYZE exam_attempt"

echo "+ DATABASE_URL=$URL gunicorn -k gthread --workers $WORKERS --threads $THREADS --bind 127.0.0.1:$PORT wsgi:app"
DATABASE_URL=$URL "$GUNICORN" -k gthread --workers "$WORKERS" --threads "$THREADS" --bind "127.0.0.1:$PORT" --backlog 2048 \
  --graceful-timeout 5 --log-level warning wsgi:app >"$WORK/gunicorn.log" 2>&1 &
PIDS+=("$!")
wait_for_server "$PORT" "$!" || { echo "gunicorn did not come up" >&2; tail -20 "$WORK/gunicorn.log" >&2; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_TIMEOUT=$(awk -v r="$RAMP" -v a="$ANSWERS" -v p="$PAUSE" 'BEGIN {printf "%d", (r + (a + 1) * p) * 1.5 + 60}')
timeout --foreground --signal=INT --kill-after=10 $((LOAD_TIMEOUT + 60)) \
  "$PY" bench/exam_hour.py "$WORK/cadres.json" --url "http://127.0.0.1:$PORT" --cadres "$CADRES" --answers "$ANSWERS" \
    --pause "$PAUSE" --ramp "$RAMP" --pool "$POOL" --timeout "$LOAD_TIMEOUT" --p99-target-ms "$P99_MS" \
    --json "$WORK/result.json" --raw "$WORK/requests.csv" --database-url "$URL"
rc=$?
echo "load: exit $rc; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all
echo "== statements over ${SLOW_QUERY_MS} ms (count, median, max) =="
"$PY" - "$WORK/gunicorn.log" <<'PY'
import json, statistics, sys
from collections import defaultdict
by = defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if '"slow_query"' in line:
        d = json.loads(line)
        by[d["statement"]].append(d["duration_ms"])
for stmt, ms in sorted(by.items(), key=lambda kv: -len(kv[1])):
    print(f"n={len(ms)} median={statistics.median(ms):.0f} max={max(ms):.0f}\n    {stmt[:500]}")
PY
report_gunicorn_log "$WORK/gunicorn.log"
exit $rc
