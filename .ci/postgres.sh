#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests that also run against a real server
# (test/lock-table.test.ts, test/replay.test.ts), on a loopback port, from Debian's `postgresql`
# package (installed if missing). Sourced by .ci/run. On success it exports
# PLUMBLINE_TEST_DATABASE_URL and registers a cleanup on exit; on any failure it prints one line
# saying the real-server run is skipped and returns 1: the suite then runs on PGlite alone.

plumbline_pg_skip() {
  echo "plumbline CI: real PostgreSQL unavailable ($1): the lock-table and replay tests run on PGlite only; the real-server run was SKIPPED."
  return 1
}

plumbline_pg_start() {
  local bin dir port p
  if [ "$(id -u)" != 0 ]; then plumbline_pg_skip "not root, cannot install or run the server as the postgres user"; return 1; fi
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "plumbline CI: installing Debian's postgresql package for the real-server tests"
    if ! (export DEBIAN_FRONTEND=noninteractive; timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq --no-install-recommends postgresql >/tmp/plumbline-ci-apt.log 2>&1); then
      tail -n 5 /tmp/plumbline-ci-apt.log 2>/dev/null || true
      plumbline_pg_skip "apt-get install postgresql failed"; return 1
    fi
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then plumbline_pg_skip "no initdb after installing postgresql"; return 1; fi
  fi
  id postgres >/dev/null 2>&1 || { plumbline_pg_skip "no postgres user"; return 1; }

  # A free loopback port.
  port=""
  for p in 55432 55433 55434 55435 55436 55437 55438 55439 55440 55441 55442 55443; do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [ -n "$port" ] || { plumbline_pg_skip "no free port"; return 1; }

  dir=$(mktemp -d /tmp/plumbline-ci-pg.XXXXXX)
  chown postgres:postgres "$dir"
  if ! su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync -E UTF8 --locale=C" >"$dir/initdb.log" 2>&1; then
    tail -n 5 "$dir/initdb.log"; rm -rf "$dir"; plumbline_pg_skip "initdb failed"; return 1
  fi
  # Loopback only; no durability needed for a server that lives as long as the test run.
  if ! su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null 2>&1; then
    tail -n 5 "$dir/server.log" 2>/dev/null || true; rm -rf "$dir"; plumbline_pg_skip "the server did not start"; return 1
  fi
  PLUMBLINE_CI_PG_BIN=$bin
  PLUMBLINE_CI_PG_DIR=$dir
  trap plumbline_pg_stop EXIT
  export PLUMBLINE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "plumbline CI: real PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port; lock-table and replay tests run on it and on PGlite"
  return 0
}

plumbline_pg_stop() {
  if [ -n "${PLUMBLINE_CI_PG_DIR:-}" ]; then
    su postgres -s /bin/sh -c "'$PLUMBLINE_CI_PG_BIN/pg_ctl' -D '$PLUMBLINE_CI_PG_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$PLUMBLINE_CI_PG_DIR"
    PLUMBLINE_CI_PG_DIR=""
  fi
}
