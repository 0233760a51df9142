# Sourced by tests/sdk/run.sh and tests/openapi/run.sh: a fresh store with an admin and
# a runtime key, `vaultstore serve` on a free port, stopped on exit.
# Sets: bin, work, url, admin, runtime, server_pid.

fail() { echo "$0: $*" >&2; exit 1; }

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
admin=$("$bin" api-key create --role admin --name test-admin 2>/dev/null)
runtime=$("$bin" api-key create --role runtime --name test-runtime 2>/dev/null)

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

# Graceful shutdown on SIGTERM: exits 0 once requests in flight are done.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "the server did not shut down cleanly on SIGTERM"
  server_pid=""
}
