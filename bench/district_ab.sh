#!/usr/bin/env bash
# A/B of two revisions over every request of the township-vs-district table
# (bench/district_table.py), in the same run, on the district database: OLD is served as
# the table's "township" side and NEW as its "district" side (NEW's town admin too), so
# the table's ratios read NEW / OLD, endpoint by endpoint, at p50 and p99. For a change
# meant to move latency everywhere rather than on one endpoint.
#
#   bench/district_ab.sh OLD_REV NEW_REV                  # N=30 per endpoint and side
#   N=60 ONLY=panel bench/district_ab.sh HEAD~1 HEAD
#
# Each revision is checked out into a temporary detached worktree (removed at the end)
# and served from there with this repository's .venv, gthread WORKERS x THREADS (2 x 4),
# development settings as bench/district_table.sh. The requests' subjects (resident,
# cadre, exam, event, accounts) are chosen once, by this tree's district_table.py.
# Requests that write (answers, quiz starts) write to the district database, as the
# table's own runs do.
set -uo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [[ $# -ne 2 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
WORK=${BENCH_DIR:-/tmp/pufa-bench/district-ab}
DISTRICT_URL=${DISTRICT_URL:-postgresql://postgres@127.0.0.1:5432/bench_district}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
PORT_OLD=${PORT_OLD:-18741}
PORT_NEW=${PORT_NEW:-18742}
dev_bench_env
GUNICORN_ARGS=(-k gthread --workers "$WORKERS" --threads "$THREADS" --graceful-timeout 5 --timeout 120 --log-level warning)

TREES=$(mktemp -d /tmp/pufa-district-ab.XXXXXX)
cleanup() {
  stop_all
  remove_worktree "$TREES/old"
  remove_worktree "$TREES/new"
  rmdir "$TREES" 2>/dev/null
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
add_worktree "$TREES/old" "$1" || exit 2
add_worktree "$TREES/new" "$2" || exit 2

echo "Pufa district A/B  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "OLD $(git rev-parse --short "$1") as the \"township\" column, NEW $(git rev-parse --short "$2") as the \"district\" columns"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 600 "$PY" bench/district_table.py prepare district "$DISTRICT_URL" --out "$WORK/district.json" || exit 1
cp "$WORK/district.json" "$WORK/township.json"

export DATABASE_URL=$DISTRICT_URL
start_gunicorn "$PORT_OLD" "$TREES/old" wsgi:app "$WORK/old.log" || { echo "OLD did not come up" >&2; tail -20 "$WORK/old.log" >&2; exit 1; }
start_gunicorn "$PORT_NEW" "$TREES/new" wsgi:app "$WORK/new.log" || { echo "NEW did not come up" >&2; tail -20 "$WORK/new.log" >&2; exit 1; }

timeout --foreground 5400 "$PY" bench/district_table.py run --township "http://127.0.0.1:$PORT_OLD" \
  --district "http://127.0.0.1:$PORT_NEW" --subjects-dir "$WORK" --out "$WORK" --n "${N:-30}" --seconds "${SECONDS_PER:-20}" \
  ${ONLY:+--only "$ONLY"} >/dev/null
rc=$?
echo "run: exit $rc; load average after: $(cut -d' ' -f1-3 /proc/loadavg); table in $WORK/table.md"
stop_all
report_gunicorn_log "$WORK/old.log"
report_gunicorn_log "$WORK/new.log"
exit $rc
