#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned requirements file given as $1. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=${1:-requirements.txt}
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.installed-$(basename "$REQ")"
if [ ! -f "$stamp" ] || [ "$REQ" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r "$REQ"
  touch "$stamp"
fi
# translation catalogs (the .mo files are built, not committed)
.venv/bin/pybabel compile -d lms/translations >/dev/null
