# Throw-away PostgreSQL for the test suite: pg_start_throwaway / pg_stop_throwaway.
# shellcheck shell=bash
# Exports RETROWALK_TEST_POSTGRES_URL=postgresql+psycopg://USER@127.0.0.1:PORT/retrowalk_test.
# Listens on 127.0.0.1 only, data directory in mktemp, removed again by pg_stop_throwaway.

_pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a command as the database owner (postgres refuses to run as root).
_pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u "$_PG_OWNER" -- "$@"; else su "$_PG_OWNER" -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

pg_start_throwaway() {
  local bindir port
  bindir="$(_pg_bindir)" || { echo "postgres.sh: initdb/pg_ctl not found" >&2; return 1; }
  if [ "$(id -u)" = "0" ]; then
    _PG_OWNER=postgres
    if ! id "$_PG_OWNER" >/dev/null 2>&1; then
      _PG_OWNER=retrowalk-pg
      id "$_PG_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$_PG_OWNER" \
        || { echo "postgres.sh: cannot create a user to run postgres" >&2; return 1; }
    fi
  else
    _PG_OWNER="$(id -un)"
  fi
  _PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/retrowalk-pg.XXXXXX")"
  chmod 700 "$_PG_DIR"
  [ "$(id -u)" = "0" ] && chown "$_PG_OWNER" "$_PG_DIR"
  port="$(_pg_free_port)"
  _PG_BIN="$bindir"
  if ! _pg_as_owner "$bindir/initdb" -D "$_PG_DIR/data" -U "$_PG_OWNER" --auth=trust -E UTF8 --no-sync >"$_PG_DIR/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2; cat "$_PG_DIR/initdb.log" >&2; rm -rf "$_PG_DIR"; return 1
  fi
  # Unix socket in the throw-away dir (not /var/run/postgresql, which may be missing or foreign).
  if ! _pg_as_owner "$bindir/pg_ctl" -D "$_PG_DIR/data" -l "$_PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $_PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null; then
    echo "postgres.sh: server did not start:" >&2; cat "$_PG_DIR/server.log" >&2; rm -rf "$_PG_DIR"; return 1
  fi
  if ! _pg_as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$_PG_OWNER" retrowalk_test; then
    pg_stop_throwaway; return 1
  fi
  export RETROWALK_TEST_POSTGRES_URL="postgresql+psycopg://${_PG_OWNER}@127.0.0.1:${port}/retrowalk_test"
  echo "postgres.sh: throw-away PostgreSQL at $RETROWALK_TEST_POSTGRES_URL" >&2
  return 0
}

pg_stop_throwaway() {
  if [ -n "${_PG_DIR:-}" ] && [ -d "$_PG_DIR/data" ]; then
    _pg_as_owner "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${_PG_DIR:-}" ] && rm -rf "$_PG_DIR"
  unset _PG_DIR RETROWALK_TEST_POSTGRES_URL
  return 0
}
