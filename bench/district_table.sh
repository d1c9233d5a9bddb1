#!/usr/bin/env bash
# Township vs district (issue 19, item 4): every API endpoint and panel page, p50/p99 on a
# township-size and the district database side by side (bench/district_table.py says how).
#
#   bench/district_table.sh                      # both databases must exist (bench/district_prepare.sh)
#   N=50 SECONDS_PER=30 bench/district_table.sh  # requests per endpoint and side, time bound each
#   ONLY=panel bench/district_table.sh
#   for i in 1 2 3; do BENCH_DIR=/tmp/t$i bench/district_table.sh; done
#   .venv/bin/python bench/district_table.py pool /tmp/t1 /tmp/t2 /tmp/t3 --out /tmp/t   # one table of the three
#
# One gunicorn (gthread, WORKERS x THREADS, default 2 x 4) per database on loopback, both
# up for the whole run, development settings (dev-login: no WeChat credentials, not
# PUFA_ENV=production), rate limits off, statements over SLOW_QUERY_MS (default 100)
# logged by the app; afterwards the slow statements are listed by route (the access
# log's request id joins them). Servers are stopped by pid, also on Ctrl-C or error.
set -uo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK=${BENCH_DIR:-/tmp/pufa-bench/district-table}
TOWNSHIP_URL=${TOWNSHIP_URL:-postgresql://postgres@127.0.0.1:5432/bench_township}
DISTRICT_URL=${DISTRICT_URL:-postgresql://postgres@127.0.0.1:5432/bench_district}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
PORT_T=${PORT_T:-18731}
PORT_D=${PORT_D:-18732}
dev_bench_env
trap_stop_all "interrupted: stopping the servers"

echo "Pufa township vs district  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint); git $(git rev-parse --short HEAD)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

timeout 600 "$PY" bench/district_table.py prepare township "$TOWNSHIP_URL" --out "$WORK/township.json" || exit 1
like=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["town"]["residents"])' "$WORK/township.json")
timeout 600 "$PY" bench/district_table.py prepare district "$DISTRICT_URL" --out "$WORK/district.json" --town-like "$like" || exit 1

serve() {  # serve PORT URL NAME
  echo "+ DATABASE_URL=$2 gunicorn -k gthread --workers $WORKERS --threads $THREADS --bind 127.0.0.1:$1 wsgi:app"
  DATABASE_URL=$2 "$GUNICORN" -k gthread --workers "$WORKERS" --threads "$THREADS" --bind "127.0.0.1:$1" \
    --graceful-timeout 5 --timeout 120 --log-level warning wsgi:app >"$WORK/$3.log" 2>&1 &
  PIDS+=("$!")
  wait_for_server "$1" "$!" || { echo "gunicorn for $3 did not come up" >&2; tail -20 "$WORK/$3.log" >&2; exit 1; }
}
serve "$PORT_T" "$TOWNSHIP_URL" township
serve "$PORT_D" "$DISTRICT_URL" district

t0=$SECONDS
timeout --foreground 5400 "$PY" bench/district_table.py run --township "http://127.0.0.1:$PORT_T" --district "http://127.0.0.1:$PORT_D" \
  --subjects-dir "$WORK" --out "$WORK" --n "${N:-30}" --seconds "${SECONDS_PER:-20}" ${ONLY:+--only "$ONLY"}
rc=$?
echo "run: exit $rc, $((SECONDS - t0)) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all

# Slow statements by route: the access log's request id names the route of each.
for side in township district; do
  echo
  echo "== statements over ${SLOW_QUERY_MS} ms on the $side server, by route (count, median ms, max ms) =="
  "$PY" - "$WORK/$side.log" <<'PY'
import json, statistics, sys
from collections import defaultdict
routes, slow = {}, []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if not line.startswith("{"):
        continue
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("event") == "slow_query":
        slow.append(d)
    elif d.get("request_id"):
        routes[d["request_id"]] = f'{d.get("method", "")} {d.get("route") or d.get("path") or d.get("rule", "")}'
by = defaultdict(list)
for d in slow:
    by[(routes.get(d.get("request_id"), "?"), d["statement"])].append(d["duration_ms"])
for (route, stmt), ms in sorted(by.items(), key=lambda kv: -statistics.median(kv[1])):
    print(f"{route}  n={len(ms)} median={statistics.median(ms):.0f} max={max(ms):.0f}\n    {stmt[:600]}")
PY
  report_gunicorn_log "$WORK/$side.log"
done
exit $rc
