#!/usr/bin/env bash
# README command 2: install everything (system packages included) and run the whole test suite:
# ruff (lint + format check), mypy, vulture (dead code), then pytest with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/venv.sh server,test
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (core and window)"
.venv/bin/mypy
echo "== vulture (dead code; framework entry points are listed in vulture_whitelist.py)"
.venv/bin/vulture
echo "== pytest"
# The sync tests also run on PostgreSQL when one answers on 127.0.0.1 (user postgres, database
# test, trust auth); each run uses a schema of its own and drops it.
if [ -z "${FIELDAPP_TEST_DATABASE_URL:-}" ]; then
  if { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1; } \
    || .venv/bin/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=3).close()" 2>/dev/null; then
    export FIELDAPP_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    echo "PostgreSQL answers: sync tests run on it too"
  fi
fi
# pytest exits 5 when it collects nothing; a run that tests nothing must fail, and it does here.
.venv/bin/python -m pytest "$@"
