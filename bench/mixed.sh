#!/usr/bin/env bash
# Issue 14's mixed load: a minute of every kind of write at once on SQLite, under the
# README's serving command: residents answering their daily set, cadres saving exam
# answers, submitting and downloading their certificate for the first time, check-ins,
# photo uploads by the organising unit, leaderboard reads (bench/mixed_load.py).
#
#   bench/mixed.sh                   # the working tree as it is
#   bench/mixed.sh HEAD~2            # a revision, checked out into a temporary git worktree
#   DURATION=120 RESIDENTS=900 bench/mixed.sh
#   MIXED_DB=postgresql://postgres@127.0.0.1:5432/pufa_bench_mixed \
#     SERVE_ARGS="-k gthread --workers 2 --threads 4 --max-requests 2000 --max-requests-jitter 200" bench/mixed.sh
#                                    # PostgreSQL as the README serves it (the name must contain "bench")
#
# 1. bench/mixed_prepare.py builds the database with the revision's own prepare
#    scripts (prepare.py, exam_prepare.py, checkin_prepare.py) and adds the organisers;
# 2. the server starts as the revision serves it: its scripts/demo's `flask exams
#    cut-font` when it has one, then the gunicorn line of its scripts/demo
#    (the README's serving command; bind and logging are this script's), and, if its
#    core/cli.py has `flask sqlite-writer`, the writer process beside it (its README);
# 3. bench/mixed_load.py runs DURATION seconds of load from 127.0.0.1 and reports per
#    kind of request: count, 4xx and 5xx with their codes, requests of 5 s or more,
#    p50 / p99; then the server's PSS and the first errors of its log.
# Everything is bounded (prepare, server start, the load, stopping), and everything this
# script starts is stopped by its pid, also on Ctrl-C.
# Exit status: 0 if no request got a 5xx, took 5 s or more or failed to connect; 1
# otherwise.
set -uo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # ROOT (the current directory), PY, GUNICORN

REV_ARG=${1:-}
WORK=${BENCH_DIR:-/tmp/pufa-mixed}
DURATION=${DURATION:-60}
RESIDENTS=${RESIDENTS:-600}
CADRES=${CADRES:-80}
PEOPLE=${PEOPLE:-300}
PHOTOS=${PHOTOS:-60}
ORGANISERS=${ORGANISERS:-4}
LEADERBOARD_RATE=${LEADERBOARD_RATE:-4}
POOL=${POOL:-64}
PORT=${PORT:-18714}
LOAD_ARGS=${LOAD_ARGS:-}
WORKERS=${WORKERS:-2}   # for bench_env's fallback line only
THREADS=${THREADS:-4}

bench_env "${RATELIMIT_ENABLED:-1}"   # rate limits on, in memory, as shipped
rm -rf "$WORK"
mkdir -p "$WORK/instance"
export DATABASE_URL=${MIXED_DB:-sqlite:///$WORK/mixed.sqlite3}

APP=$ROOT
TREE=
trap 'stop_all; [[ -n $TREE ]] && remove_worktree "$TREE" && rmdir "${TREE%/tree}"' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
if [[ -n $REV_ARG ]]; then
  TREE=$(mktemp -d /tmp/pufa-mixed-tree.XXXXXX)/tree
  add_worktree "$TREE" "$REV_ARG" || exit 2
  APP=$TREE
  LABEL="$REV_ARG ($(git rev-parse --short "$REV_ARG^{commit}"))"
else
  LABEL="working tree (HEAD $(git rev-parse --short HEAD)$([[ -n $(git status --porcelain -uno) ]] && echo ", with uncommitted changes"), fingerprint $(source_fingerprint))"
fi

# The revision's serving command: scripts/demo's gunicorn line without its bind and app.
serve_args() {
  local line
  line=$(grep -E '^[^#]*bin/gunicorn ' "$APP/scripts/demo" 2>/dev/null | head -1)
  [[ -n $line ]] || return 1
  line=${line#*bin/gunicorn }
  line=$(sed -E 's/--bind[= ]+("[^"]*"|[^ ]+)//; s/[^ ]+:app\b//' <<<"$line")
  echo "$line"
}
if [[ -n ${SERVE_ARGS:-} ]]; then
  read -ra GUNICORN_ARGS <<<"$SERVE_ARGS"
  SERVE_FROM="SERVE_ARGS"
elif args=$(serve_args); then
  read -ra GUNICORN_ARGS <<<"$args"
  SERVE_FROM="$APP/scripts/demo"
else
  SERVE_FROM="bench_env's default (no gunicorn line in scripts/demo)"
fi
GUNICORN_ARGS+=(--log-level warning)

echo "Pufa mixed load  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "code: $LABEL"
echo "database: $DATABASE_URL; rate limits on (RATELIMIT_ENABLED=$RATELIMIT_ENABLED)"

echo "+ python bench/mixed_prepare.py (residents $RESIDENTS, cadres $CADRES, people $PEOPLE, organisers $ORGANISERS)"
t0=$SECONDS
if ! (cd "$APP" && timeout --kill-after=10 600 "$PY" "$ROOT/bench/mixed_prepare.py" "$DATABASE_URL" --out "$WORK/mixed.json" \
        --app-root "$APP" --residents "$RESIDENTS" --cadres "$CADRES" --people "$PEOPLE" --organisers "$ORGANISERS") \
      >"$WORK/prepare.log" 2>&1; then
  echo "prepare failed:" >&2; tail -30 "$WORK/prepare.log" >&2; exit 1
fi
grep -E "^mixed:" "$WORK/prepare.log" | sed 's/^/    /'
echo "    prepared in $((SECONDS - t0))s"

# The revision's deploy step before serving, where its scripts/demo has one.
if grep -qE '^[^#]*flask exams cut-font' "$APP/scripts/demo" 2>/dev/null; then
  echo "+ flask exams cut-font (as its scripts/demo does before serving)"
  (cd "$APP" && FLASK_APP=wsgi.py timeout 120 "$ROOT/.venv/bin/flask" exams cut-font) >"$WORK/cut-font.log" 2>&1 \
    || { echo "cut-font failed:" >&2; cat "$WORK/cut-font.log" >&2; exit 1; }
fi
echo "serving as $SERVE_FROM says: gunicorn ${GUNICORN_ARGS[*]}"
if has_sqlite_writer "$APP"; then
  echo "and, as its README says, flask sqlite-writer beside it"
  LOG=$WORK start_sqlite_writer "$APP" "$WORK/sqlite-writer.log" || exit 1
fi
if ! start_gunicorn "$PORT" "$APP" wsgi:app "$WORK/gunicorn.log"; then
  echo "gunicorn did not come up; see $WORK/gunicorn.log" >&2; tail -20 "$WORK/gunicorn.log" >&2; exit 1
fi
gpid=$GUNICORN_PID

echo "+ python bench/mixed_load.py $WORK/mixed.json --url http://127.0.0.1:$PORT --duration $DURATION --photos $PHOTOS" \
     "--leaderboard-rate $LEADERBOARD_RATE --pool $POOL $LOAD_ARGS"
# shellcheck disable=SC2086
timeout --foreground --signal=INT --kill-after=10 $((DURATION + 150)) \
  "$PY" bench/mixed_load.py "$WORK/mixed.json" --url "http://127.0.0.1:$PORT" --duration "$DURATION" --photos "$PHOTOS" \
    --leaderboard-rate "$LEADERBOARD_RATE" --pool "$POOL" --app-root "$APP" --json "$WORK/result.json" $LOAD_ARGS 2>&1 \
  | tee "$WORK/load.log"
rc=${PIPESTATUS[0]}
echo "server PSS after the load (master + workers): $(gunicorn_pss "$gpid") MiB"
stop_all
report_gunicorn_log "$WORK/gunicorn.log"
[[ -f $WORK/sqlite-writer.log ]] && grep -qE "ERROR|Traceback" "$WORK/sqlite-writer.log" \
  && echo "the SQLite writer's log ($WORK/sqlite-writer.log) has errors: $(grep -m3 -E "Error|Traceback" "$WORK/sqlite-writer.log" | tr '\n' ' ')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $(( rc == 0 ? 0 : 1 ))
