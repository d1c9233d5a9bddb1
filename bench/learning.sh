#!/usr/bin/env bash
# Spaced review and mastery (issue 18), on PostgreSQL: bench/learning_prepare.py builds a
# town of 10,000 residents x 12 laws (~590,000 review cards, one resident with 5,000),
# gunicorn serves it on 127.0.0.1, and bench/learning.py measures, in interleaved rounds:
# review-quiz starts of the 5,000-card resident (sequential and CLIENTS concurrent),
# GET /api/v1/me/mastery of the same resident, and learning.mastery.by_village for the
# year in fresh processes (and GET /admin/mastery, once that page exists). Bounded by
# `timeout`; the server is stopped by its pid, also on Ctrl-C or error.
#
#   bench/learning.sh                     # ~3 min after preparing (~45 s)
#   ROUNDS=3 STARTS=100 bench/learning.sh
#   PREPARE=0 bench/learning.sh           # reuse the database and tokens of the last run
#
# Targets: review start p99 < 50 ms; by_village (and the page) cold < 500 ms; /me/mastery a few ms.
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN
WORK=${BENCH_DIR:-/tmp/pufa-bench/learning}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
ROUNDS=${ROUNDS:-5}
STARTS=${STARTS:-200}
CLIENTS=${CLIENTS:-4}
MASTERY=${MASTERY:-200}
PREPARE=${PREPARE:-1}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/pufa_bench_learning}
PORT=${PORT:-18705}

bench_env
trap_stop_all "interrupted: stopping the server"

echo "# learning benchmark: $(date -u +%FT%TZ), source $(source_fingerprint), git $(git rev-parse --short HEAD)"
machine_info
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1; }

if [[ $PREPARE == 1 ]]; then
  echo "+ python bench/learning_prepare.py $PG_URL --out $WORK/people.json"
  if ! timeout --foreground --kill-after=10 900 "$PY" bench/learning_prepare.py "$PG_URL" --out "$WORK/people.json" \
        >"$WORK/prepare.log" 2>&1; then
    echo "prepare failed:" >&2; tail -30 "$WORK/prepare.log" >&2; exit 1
  fi
  grep -vE "^INFO " "$WORK/prepare.log" | sed 's/^/    /'
fi

export DATABASE_URL=$PG_URL
if ! start_gunicorn "$PORT" "$ROOT" wsgi:app "$WORK/gunicorn.log"; then
  echo "gunicorn did not come up; see $WORK/gunicorn.log" >&2; tail -20 "$WORK/gunicorn.log" >&2; exit 1
fi
echo "+ python bench/learning.py run http://127.0.0.1:$PORT $WORK/people.json --rounds $ROUNDS --starts $STARTS --clients $CLIENTS --mastery $MASTERY"
timeout --foreground --kill-after=10 1200 "$PY" bench/learning.py run "http://127.0.0.1:$PORT" "$WORK/people.json" \
  --rounds "$ROUNDS" --starts "$STARTS" --clients "$CLIENTS" --mastery "$MASTERY"
status=$?
stop_all
report_gunicorn_log "$WORK/gunicorn.log"
exit $status
