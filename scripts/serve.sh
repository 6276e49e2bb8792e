#!/usr/bin/env bash
# The recommended server command, the one place of granian's arguments: scripts/start.sh, the fault
# tests (tests/faults/server.py) and the benchmarks (benchmarks/exam_load.py) all start the app with it.
#   HOST=127.0.0.1 PORT=8000 WORKERS=2 THREADS=4 bash scripts/serve.sh [more granian options]
# serves wsgi:app of the current folder (run it from the checkout) with this checkout's granian.
# exec: the server takes this script's process (same pid, process group and signals).
set -euo pipefail
exec "$(dirname "$0")/../.venv/bin/granian" --interface wsgi --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
  --workers "${WORKERS:-2}" --blocking-threads "${THREADS:-4}" --respawn-failed-workers --no-ws "$@" wsgi:app
