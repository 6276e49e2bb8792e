#!/usr/bin/env bash
# One command: set everything up and start the app with the demo province on http://127.0.0.1:5000
# (system packages, virtual environment, migrations, demo data when the database is empty).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/venv.sh requirements.txt
export FLASK_APP=wsgi.py LMS_DEMO=${LMS_DEMO:-1}
HOST=${HOST:-127.0.0.1} PORT=${PORT:-5000}
# links in the demo's e-mails (written while the demo is built, outside any request) lead to this server
if [ "$HOST" = "0.0.0.0" ]; then LINK_HOST=$(hostname -I 2>/dev/null | awk '{print $1}'); else LINK_HOST=$HOST; fi
export LMS_BASE_URL=${LMS_BASE_URL:-http://${LINK_HOST:-127.0.0.1}:$PORT}
.venv/bin/flask db upgrade
.venv/bin/flask lms demo --if-empty
# The app and, for the demo's e-mail, a catcher run in the background of this script; Ctrl+C (or a
# TERM to this script) stops both.
pids=()
stop() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; wait; }
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# E-mail in the demo: unless SMTP_HOST names a real server, a local catcher (flask lms mail catcher)
# writes every message to instance/mail/ (one .eml file each) instead of delivering it, and the app's
# background sender sends the outbox to it every 30 seconds.
if [ -z "${SMTP_HOST:-}" ]; then
  MAIL_CATCHER_PORT=${MAIL_CATCHER_PORT:-8025}
  export MAIL_CATCHER_DIR=${MAIL_CATCHER_DIR:-${LMS_INSTANCE_DIR:-$PWD/instance}/mail}
  .venv/bin/flask lms mail catcher --port "$MAIL_CATCHER_PORT" --dir "$MAIL_CATCHER_DIR" &
  pids+=($!)
  export SMTP_HOST=127.0.0.1 SMTP_PORT=$MAIL_CATCHER_PORT MAIL_BACKGROUND_SENDER=${MAIL_BACKGROUND_SENDER:-1}
fi
echo
echo "Open http://$HOST:$PORT in a browser (Ctrl+C stops the server)."
if [ -n "${MAIL_CATCHER_DIR:-}" ]; then
  echo "E-mails are not sent out: each one is written to $MAIL_CATCHER_DIR as an .eml file."
fi
# the recommended server command (WORKERS, THREADS: its worker processes and threads per worker)
HOST="$HOST" PORT="$PORT" bash scripts/serve.sh --access-log &
pids+=($!)
wait "${pids[-1]}"
