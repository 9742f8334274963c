#!/usr/bin/env bash
# The benchmark suite at N dossiers (docs/benchmarks.md): `make bench` (small N) / `make bench-1m`.
#   bash bench/run_all.sh [N]          # default 20000
# PostgreSQL runs when ONESTOP_BENCH_PG_URL (a server URL; private databases are created and
# dropped) answers; default postgresql+psycopg://postgres@127.0.0.1:5432/postgres. Each step prints
# its own table; figures and method are in docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
PY="${PYTHON:-.venv/bin/python}"
PG="${ONESTOP_BENCH_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
export ONESTOP_BENCH_PG_URL="$PG"
TMP="$(mktemp -d -t onestop-bench-XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
FAILED=()

have_pg() {
  "$PY" - "$PG" <<'PYEOF' >/dev/null 2>&1
import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1]).connect() as c:
    c.execute(text("SELECT 1"))
PYEOF
}
step() {  # step NAME COMMAND... — run, keep going on failure, report at the end
  local name="$1"; shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if ! "$@"; then FAILED+=("$name"); fi
  echo "(${name}: $((SECONDS - t0)) s)"
}
small=$(( N < 200000 ? N : 200000 ))
rx=$(( N < 2000 ? N : 2000 ))
pg_engine=sqlite
if have_pg; then pg_engine=both; else echo "(PostgreSQL not reachable at $PG: SQLite only)"; fi

echo "onestop benchmarks at N=$N on $(nproc) CPU(s), $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
step "Calendar and due dates" "$PY" bench/calendar.py "$small"
step "Data generator (SQLite)" "$PY" bench/generate.py --url "sqlite:///$TMP/bench.db" -n "$N"
if [ "$pg_engine" = both ]; then
  PGDB="onestop_bench_all_$$"
  "$PY" - "$PG" "$PGDB" <<'PYEOF'
import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1], isolation_level="AUTOCOMMIT").connect() as c:
    c.execute(text(f'CREATE DATABASE "{sys.argv[2]}"'))
PYEOF
  PGDB_URL="$("$PY" -c "import sys; from sqlalchemy.engine import make_url; print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))" "$PG" "$PGDB")"
  step "Data generator (PostgreSQL)" "$PY" bench/generate.py --url "$PGDB_URL" -n "$N"
fi
step "Lookup vs bare endpoint (SQLite)" "$PY" bench/lookup.py --url "sqlite:///$TMP/bench.db"
if [ "$pg_engine" = both ]; then
  step "Lookup vs bare endpoint (PostgreSQL)" "$PY" bench/lookup.py --url "$PGDB_URL"
  "$PY" - "$PG" "$PGDB" <<'PYEOF'
import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1], isolation_level="AUTOCOMMIT").connect() as c:
    c.execute(text(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)'))
PYEOF
fi
if [ "$pg_engine" = both ]; then
  step "Reception throughput" "$PY" bench/reception.py "$rx" --pg "$PG"
else
  step "Reception throughput" "$PY" bench/reception.py "$rx" --pg ""
fi
for b in overdue_scan form06 metrics dashboard; do
  [ -f "bench/$b.py" ] || continue
  case "$b" in
    overdue_scan) step "Overdue scan" "$PY" bench/overdue_scan.py --n "$N" --sizes "$(( N / 10 ))" --engine "$pg_engine" ;;
    form06)       step "Form 06" "$PY" bench/form06.py --n "$N" --engine "$pg_engine" --sqlite-path "$TMP/form06.db" ;;
    metrics)      step "Metrics snapshot" "$PY" bench/metrics.py --n "$N" --engine "$pg_engine" ;;
    dashboard)    step "Worklist and dashboard latency" "$PY" bench/dashboard.py --n "$N" ;;
  esac
done
step "National portal sync (SQLite)" "$PY" bench/dvcqg_sync.py --changes "$(( N < 10000 ? N : 10000 ))"
if [ "$pg_engine" = both ]; then
  step "National portal sync (PostgreSQL)" "$PY" bench/dvcqg_sync.py --changes "$(( N < 10000 ? N : 10000 ))" --pg "$PG"
fi
echo
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "FAILED: ${FAILED[*]}"
  exit 1
fi
echo "all benchmarks ran"
