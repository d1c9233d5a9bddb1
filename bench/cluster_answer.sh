#!/usr/bin/env bash
# Through nginx with two app servers vs one app server reached directly (issue 19's
# measure): the answer endpoint's requests/s, each request a fresh valid first answer.
#
#   bench/cluster_answer.sh                 # 3 interleaved rounds of SEGMENT (8) s a side
#   ROUNDS=5 SEGMENT=10 bench/cluster_answer.sh
#
#   1. `scripts/cluster up` (its own PostgreSQL, Redis, two gunicorn app servers of 2 x 4
#      gthread, nginx; PUFA_ENV=production, rate limits on in Redis) with a state file
#      of this run's, and `scripts/cluster down` at the end, also on Ctrl-C or error;
#   2. bench/cluster_prepare.py: answer pairs in the cluster's database (practice quizzes
#      through the app's code, tokens with the cluster's secret);
#   3. wrk (WRK_THREADS x CONNECTIONS, bench/answer.lua) warm-up on each side, then ROUNDS
#      rounds of one SEGMENT on app server 1 directly and one through nginx (which side goes
#      first alternates), each segment with its own fresh pairs;
#   4. the database must show as many answered items as wrk sent pairs.
# Both sides reach the same app server processes, PostgreSQL and Redis: the difference is
# nginx and the second app server. Table: each segment's req/s and p99, the medians, and
# nginx's median over direct's.
set -uo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK=${BENCH_DIR:-/tmp/pufa-bench/cluster-answer}
ROUNDS=${ROUNDS:-3}
SEGMENT=${SEGMENT:-8}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
ROUND_PAIRS=${ROUND_PAIRS:-6000}
WARM_PAIRS=${WARM_PAIRS:-1500}
STATE=$WORK/cluster.json
rm -rf "$WORK"; mkdir -p "$WORK"
ensure_wrk || exit 1
down() { [[ -f $STATE ]] && timeout 120 scripts/cluster down --state "$STATE"; }
trap down EXIT
trap 'echo interrupted >&2; exit 130' INT TERM

echo "Pufa answer throughput: nginx + 2 app servers vs 1 app server directly  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
machine_info
echo "app source fingerprint: $(source_fingerprint); git $(git rev-parse --short HEAD)"
timeout 600 scripts/cluster up --state "$STATE" >"$WORK/up.log" 2>&1 || { echo "cluster up failed" >&2; tail -30 "$WORK/up.log" >&2; exit 1; }
read -r NGINX APP1 < <("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["ports"]["nginx"], s["ports"]["app1"])' "$STATE")
echo "cluster up: nginx 127.0.0.1:$NGINX, app server 1 127.0.0.1:$APP1"
total=$((2 * WARM_PAIRS + 2 * ROUNDS * ROUND_PAIRS))
timeout 900 "$PY" bench/cluster_prepare.py "$STATE" "$total" --out "$WORK/pairs.tsv" || exit 1
# Disjoint slices: warm-up direct, warm-up nginx, then one per segment.
slice() { tail -n +"$(($1 + 1))" "$WORK/pairs.tsv" | head -n "$2" >"$WORK/$3.tsv"; }
slice 0 "$WARM_PAIRS" warm-direct
slice "$WARM_PAIRS" "$WARM_PAIRS" warm-nginx
n=0
for r in $(seq "$ROUNDS"); do
  for side in direct nginx; do
    slice $((2 * WARM_PAIRS + n * ROUND_PAIRS)) "$ROUND_PAIRS" "$side-$r"; n=$((n + 1))
  done
done

DB_URL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["env"]["DATABASE_URL"])' "$STATE")
before=$(answered_items "$DB_URL")  # the demo town's own history
WRK_ARGS=(-t "$WRK_THREADS" -c "$CONNECTIONS" --timeout 10s --latency)
segment() {  # segment NAME SIDE SECONDS
  local url port
  [[ $2 == nginx ]] && port=$NGINX || port=$APP1
  url="http://127.0.0.1:$port"
  timeout --signal=INT --kill-after=5 $(($3 + 30)) "$WRK" "${WRK_ARGS[@]}" -d "${3}s" -s bench/answer.lua "$url" \
    -- "$WORK/$1.tsv" "$WRK_THREADS" >"$WORK/$1.txt" 2>&1
  printf '%-10s %-6s %10s req/s  p99 %8s  %s  load %s\n' "$1" "$2" "$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt")" \
    "$(awk '$1 == "99%" {print $2}' "$WORK/$1.txt")" "$(grep -oE "non200=[0-9]+ exhausted=[A-Za-z]+" "$WORK/$1.txt")" \
    "$(cut -d' ' -f1 /proc/loadavg)"
}
echo "wrk ${WRK_ARGS[*]}, segments of $SEGMENT s, $ROUND_PAIRS fresh pairs each"
segment warm-direct direct 2
segment warm-nginx nginx 2
for r in $(seq "$ROUNDS"); do
  if ((r % 2)); then order=(direct nginx); else order=(nginx direct); fi
  for side in "${order[@]}"; do segment "$side-$r" "$side" "$SEGMENT"; done
done

sent=$(wrk_pairs_sent "$WORK"/*.txt)
answered=$(($(answered_items "$DB_URL") - before))
echo "pairs sent $sent, quiz items answered by the run in the cluster's database $answered: $([[ $sent == "$answered" ]] && echo PASS || echo FAIL)"
"$PY" - "$WORK" "$ROUNDS" <<'PY'
import re, statistics, sys
from pathlib import Path
d, rounds = Path(sys.argv[1]), int(sys.argv[2])
def rps(name):
    m = re.search(r"Requests/sec:\s+([\d.]+)", (d / f"{name}.txt").read_text())
    return float(m.group(1)) if m else 0.0
for side in ("direct", "nginx"):
    v = [rps(f"{side}-{r}") for r in range(1, rounds + 1)]
    print(f"{side:7s} rounds {' '.join(f'{x:.0f}' for x in v)}  median {statistics.median(v):.0f} req/s")
    globals()[side] = statistics.median(v)
print(f"nginx / direct: {nginx / direct:.3f} ({(nginx / direct - 1) * 100:+.1f} %); target: within 15 %: {'met' if nginx >= 0.85 * direct else 'MISSED'}")
PY
