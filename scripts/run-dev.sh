#!/usr/bin/env bash
# Start the scheduler (its own process, docs/architecture.md §1) and the web app; stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORTAL=""
# Demo mode (ONESTOP_ENV unset or development): the local fake of the national portal (DVCQG) on
# :8089, and the tracker pointed at it, so the sync and the online intake are visible out of the box
# (docs/integration.md). An operator who set ONESTOP_DVCQG_URL keeps their own portal.
if [ "${ONESTOP_ENV:-development}" = "development" ] && [ -z "${ONESTOP_DVCQG_URL:-}" ]; then
  export ONESTOP_DVCQG_URL=http://127.0.0.1:8089/dvcqg ONESTOP_DVCQG_USERNAME=demo
  export ONESTOP_DVCQG_PASSWORD=demo-dvcqg ONESTOP_DVCQG_UNIT_CODE=000.00.00.H25
  $BIN/flask --app onestop onestop fake-portal --port 8089 --demo &
  PORTAL=$!
  trap 'kill $PORTAL 2>/dev/null || true' EXIT INT TERM
  sleep 1
  # Queue the last 30 days once (later changes are queued as they happen); the scheduler sends them.
  $BIN/flask --app onestop onestop dvcqg sync --since "$(date -d '-30 days' +%F)" --no-intake >/dev/null || true
fi
$BIN/flask --app onestop jobs run &
SCHED=$!
trap 'kill $SCHED $PORTAL 2>/dev/null || true' EXIT INT TERM
echo
echo "onestop: http://127.0.0.1:5000  (scheduler pid $SCHED)"
[ -n "$PORTAL" ] && echo "fake national portal (DVCQG): http://127.0.0.1:8089/_control/dump  (sync: /admin/dvcqg)"
$BIN/flask --app onestop onestop demo-logins || true
exec_status=0
$BIN/gunicorn --workers 2 --bind 127.0.0.1:5000 --access-logfile - "onestop:create_app()" || exec_status=$?
exit $exec_status
