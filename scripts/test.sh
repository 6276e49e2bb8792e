#!/usr/bin/env bash
# One command: install what the tests need (system packages incl. Chromium and PostgreSQL, the
# pinned dev requirements) and run the whole suite: lint, then every test on SQLite, then every
# test on a throwaway PostgreSQL server. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh --test
bash scripts/venv.sh requirements-dev.txt
unset DATABASE_URL
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== dead code"
.venv/bin/python scripts/dead_code.py
echo "== tests on SQLite"
.venv/bin/pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
echo "== tests on PostgreSQL"
eval "$(bash scripts/pg_tmp.sh start)"
trap 'bash scripts/pg_tmp.sh stop "$PGTMP"' EXIT
DATABASE_URL="$DATABASE_URL" .venv/bin/pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
