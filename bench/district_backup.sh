#!/usr/bin/env bash
# Backup and restore of the full district (issue 19's measure): `flask backup create DIR`
# of bench_district, then `flask backup restore DIR` into a new empty database
# (bench_district_restore) and upload dir; each timed, the backup's size and the restored
# database's size printed; the restored database and the backup directory are removed at
# the end (the backup is GBs), also on Ctrl-C or error.
#
#   bench/district_backup.sh
#   DISTRICT_URL=postgresql://postgres@127.0.0.1:5432/bench_district_small bench/district_backup.sh
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
URL=${DISTRICT_URL:-postgresql://postgres@127.0.0.1:5432/bench_district}
RESTORE_URL=${RESTORE_URL:-${URL}_restore}
WORK=${BENCH_DIR:-/tmp/pufa-bench/backup}
FLASK=$ROOT/.venv/bin/flask
export FLASK_APP=wsgi.py RATELIMIT_ENABLED=0
export SECRET_KEY=${SECRET_KEY:-pufa-bench-secret-key-not-for-production-0123456789}
restore_name=${RESTORE_URL##*/}
[[ $restore_name == *bench* ]] || { echo "refusing: the restore database's name must contain 'bench'" >&2; exit 2; }

cleanup() {
  rm -rf "$WORK"
  psql "${RESTORE_URL%/*}/postgres" -q -c "DROP DATABASE IF EXISTS \"$restore_name\" WITH (FORCE)" 2>/dev/null
}
trap cleanup EXIT
trap 'echo interrupted >&2; exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK/uploads-src" "$WORK/uploads-restored"
echo "Pufa district backup/restore  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: nproc=$(nproc), memory=$(free -m | awk '/^Mem:/{print $2}') MiB; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source database ${URL##*/}: $(psql "$URL" -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"

t0=$(date +%s.%N)
DATABASE_URL=$URL UPLOAD_DIR=$WORK/uploads-src timeout 3600 "$FLASK" backup create "$WORK/backup"
rc=$?
t1=$(date +%s.%N)
echo "backup create: exit $rc, $(echo "$t1 - $t0" | bc | xargs printf '%.0f') s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "backup size: $(du -sb "$WORK/backup" | cut -f1 | numfmt --to=iec) ($(du -sb "$WORK/backup" | cut -f1) bytes)"
ls -l "$WORK/backup"
[[ $rc -eq 0 ]] || exit 1

psql "${RESTORE_URL%/*}/postgres" -q -c "DROP DATABASE IF EXISTS \"$restore_name\" WITH (FORCE)" -c "CREATE DATABASE \"$restore_name\""
t2=$(date +%s.%N)
DATABASE_URL=$RESTORE_URL UPLOAD_DIR=$WORK/uploads-restored timeout 5400 "$FLASK" backup restore "$WORK/backup"
rc=$?
t3=$(date +%s.%N)
echo "backup restore: exit $rc, $(echo "$t3 - $t2" | bc | xargs printf '%.0f') s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "restored database $restore_name: $(psql "$RESTORE_URL" -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
exit $rc
