#!/usr/bin/env bash
# One command: set everything up and start the app with the demo province on http://127.0.0.1:5000
# (system packages, virtual environment, migrations, demo data when the database is empty).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/venv.sh requirements.txt
export FLASK_APP=wsgi.py LMS_DEMO=${LMS_DEMO:-1}
.venv/bin/flask db upgrade
.venv/bin/flask lms demo --if-empty
HOST=${HOST:-127.0.0.1} PORT=${PORT:-5000}
echo
echo "Open http://$HOST:$PORT in a browser (Ctrl+C stops the server)."
exec .venv/bin/gunicorn --config gunicorn.conf.py --bind "$HOST:$PORT" --workers "${WORKERS:-2}" --threads "${THREADS:-4}" \
  --access-logfile - wsgi:app
