#!/usr/bin/env bash
# One entry point for newcomers and CI: creates .venv on first use, then runs what you ask.
#   ./dev.sh demo   - run OpenORS on the embedded defaults
#   ./dev.sh test   - lint and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# Reinstall when pyproject.toml changed since the last install.
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e ".[dev,bench]"
  rm -f "$VENV"/.installed-*; touch "$stamp"
fi
cmd="${1:-demo}"; shift || true
case "$cmd" in
  test)
    "$VENV/bin/ruff" check src tests bench
    exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
  demo)
    exec "$VENV/bin/openors" demo "$@" ;;
  *)
    exec "$VENV/bin/openors" "$cmd" "$@" ;;
esac
