#!/usr/bin/env bash
# One entry point for newcomers and CI: creates .venv on first use, then runs what you ask.
#   ./dev.sh demo   - run OpenORS on the embedded defaults
#   ./dev.sh test   - lint, type-check and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# The ECMAScript datamodel's QuickJS binding is compiled at install time (setup.py): it needs a C
# compiler and Python's headers. Install them when missing and we can (root with apt-get, as in CI).
ensure_c_toolchain() {
  local inc
  inc="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  command -v gcc >/dev/null && [ -f "$inc/Python.h" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "dev.sh: installing gcc and python3-dev (to build the QuickJS binding)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev >/dev/null
  else
    echo "dev.sh: gcc or Python.h is missing: install a C compiler and your Python's headers" >&2
    exit 1
  fi
}
# Reinstall when pyproject.toml, setup.py or the QuickJS binding's C files changed since the last
# install (an editable install builds the binding in place: a stale one lacks newer methods).
stamp="$VENV/.installed-$(cat pyproject.toml setup.py src/openors/scxml/datamodel/*.c | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  ensure_c_toolchain
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e ".[dev,bench]"
  rm -f "$VENV"/.installed-*; touch "$stamp"
fi
# The Redis store's tests start a real redis-server; install it when missing and we can (root with
# apt-get, as in CI). Otherwise those tests fail under CI=true and are skipped elsewhere.
ensure_redis_server() {
  command -v redis-server >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "dev.sh: installing redis-server (for the Redis store tests)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } ||
      echo "dev.sh: could not install redis-server" >&2
  else
    echo "dev.sh: redis-server is missing and cannot be installed here (needs root and apt-get);" \
         "the Redis store tests will be skipped (they fail under CI=true)" >&2
  fi
}
# The console's browser tests drive Debian's chromium (Playwright's own browser download is not
# used): install it the same way when it is missing.
ensure_chromium() {
  command -v chromium >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "dev.sh: installing chromium (for the console's browser tests)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "dev.sh: could not install chromium" >&2
  else
    echo "dev.sh: chromium is missing and cannot be installed here (needs root and apt-get);" \
         "the browser tests will be skipped (they fail under CI=true)" >&2
  fi
}
cmd="${1:-demo}"; shift || true
case "$cmd" in
  test)
    "$VENV/bin/ruff" check src tests bench
    "$VENV/bin/mypy"  # the files and settings are in pyproject.toml
    ensure_redis_server
    ensure_chromium
    exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
  demo)
    exec "$VENV/bin/openors" demo "$@" ;;
  *)
    exec "$VENV/bin/openors" "$cmd" "$@" ;;
esac
