#!/usr/bin/env bash
# A district's database for the township-vs-district benchmark (issue 19): drops and
# creates the PostgreSQL database bench_district, migrates it, runs `flask seed-district`
# at the scale given, then VACUUM ANALYZE; prints each step's time, the rows/s and the
# database's size.
#
#   bench/district_prepare.sh             # full size: 20 towns, 500,000 residents, ~10M ledger rows
#   bench/district_prepare.sh 0.1         # a tenth (about 1/10 of the time)
#   bench/district_prepare.sh 0.01 --year 2025 --seed 7   # further options go to seed-district
#   DISTRICT_URL=postgresql://postgres@127.0.0.1:5432/bench_district_small bench/district_prepare.sh 0.01
#
# The database's name must contain "bench" (bench/benchdb.py refuses any other).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCALE=${1:-1}
shift || true
URL=${DISTRICT_URL:-postgresql://postgres@127.0.0.1:5432/bench_district}
export DATABASE_URL=$URL FLASK_APP=wsgi.py
export SECRET_KEY=${SECRET_KEY:-pufa-bench-secret-key-not-for-production-0123456789}
export RATELIMIT_ENABLED=0
FLASK=$ROOT/.venv/bin/flask

step() { date +%s.%N; }
t0=$(step)
.venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); import benchdb; benchdb.recreate_database(sys.argv[1])" "$URL"
"$FLASK" db upgrade >/dev/null 2>&1
t1=$(step)
echo "database ${URL##*/} created and migrated ($(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s)"
"$FLASK" seed-district --scale "$SCALE" "$@"
t2=$(step)
psql "$URL" -q -c "VACUUM ANALYZE"
t3=$(step)
echo "seed-district $(printf '%.0f' "$(echo "$t2 - $t1" | bc)") s (the process, start-up included), VACUUM ANALYZE $(printf '%.0f' "$(echo "$t3 - $t2" | bc)") s"
psql "$URL" -At -c "SELECT 'database size ' || pg_size_pretty(pg_database_size(current_database()))"
"$FLASK" points audit | tail -1
