#!/usr/bin/env bash
# The official anthropic Python SDK against `vaultstore serve`: makes a virtualenv
# (target/sdk-venv), installs the pinned SDK from PyPI, starts a server on a fresh store
# and a free port, runs test_vaults_sdk.py, stops the server. Fails loudly if any step
# cannot be done.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/sdk

fail() { echo "sdk test: $*" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is needed (with the venv module)"
venv=target/sdk-venv
if ! "$venv/bin/python" -c 'import anthropic, sys; sys.exit(anthropic.__version__ != "2.16.0")' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
    || fail "pip could not install $(grep -v '^#' "$here/requirements.txt") from PyPI"
fi

cargo build --quiet --features server --bin vaultstore
bin=target/debug/vaultstore

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export VAULTSTORE_PATH="$work/store" VAULTSTORE_KEY_FILE="$work/store.key"
"$bin" init >/dev/null 2>&1 || fail "vaultstore init failed"
admin=$("$bin" api-key create --role admin --name sdk-admin 2>/dev/null)
runtime=$("$bin" api-key create --role runtime --name sdk-runtime 2>/dev/null)

# Port 0: the server picks a free port and says which on stderr.
"$bin" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "the server exited"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log" >&2; fail "the server did not start"; }

VAULTSTORE_URL="$url" VAULTSTORE_ADMIN_KEY="$admin" VAULTSTORE_RUNTIME_KEY="$runtime" \
  "$venv/bin/python" "$here/test_vaults_sdk.py"

# Graceful shutdown on SIGTERM: exits 0 once requests in flight are done.
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not shut down cleanly on SIGTERM"
server_pid=""
