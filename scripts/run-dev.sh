#!/usr/bin/env bash
# Start the scheduler (its own process, DESIGN.md §1) and the web app; stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/flask --app onestop jobs run &
SCHED=$!
trap 'kill $SCHED 2>/dev/null || true' EXIT INT TERM
echo
echo "onestop: http://127.0.0.1:5000  (scheduler pid $SCHED)"
$BIN/flask --app onestop onestop demo-logins || true
exec_status=0
$BIN/gunicorn --workers 2 --bind 127.0.0.1:5000 --access-logfile - "onestop:create_app()" || exec_status=$?
exit $exec_status
