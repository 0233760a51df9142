#!/usr/bin/env bash
# The official anthropic Python SDK against `vaultstore serve`: makes a virtualenv
# (target/sdk-venv), installs the pinned SDK from PyPI, starts a server on a fresh store
# and a free port, runs test_vaults_sdk.py, stops the server with SIGTERM. Fails loudly
# if any step cannot be done.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/sdk

command -v python3 >/dev/null || { echo "sdk test: python3 is needed" >&2; exit 1; }
venv=target/sdk-venv
if ! "$venv/bin/python" -c 'import anthropic, sys; sys.exit(anthropic.__version__ != "2.16.0")' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "sdk test: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
    || { echo "sdk test: pip could not install the pinned SDK from PyPI" >&2; exit 1; }
fi

. "$here/serve.sh"

VAULTSTORE_URL="$url" VAULTSTORE_ADMIN_KEY="$admin" VAULTSTORE_RUNTIME_KEY="$runtime" \
  "$venv/bin/python" "$here/test_vaults_sdk.py"
stop_server
