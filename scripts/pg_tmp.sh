#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `pg_tmp.sh start` prints exports, `pg_tmp.sh stop DIR`.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
DB=${PGDB:-lms_test}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
  start)
    dir=$(mktemp -d -t pgt.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    cd "$dir"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    for try in 1 2 3 4 5; do
      port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
      if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start -o "-p $port -k $dir \
        -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200" >/dev/null; then break; fi
      [ "$try" = 5 ] && { tail -5 "$dir/server.log" >&2; exit 1; }
    done
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB"
    echo "export PGTMP=$dir PGPORT=$port DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$port/$DB"
    ;;
  stop)
    dir=${2:?usage: pg_tmp.sh stop DIR}
    cd /
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
