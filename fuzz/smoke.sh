#!/usr/bin/env bash
# A short fuzz run for CI: every target for FUZZ_SECONDS (default 25) each; exits
# non-zero if a target crashes, panics, times out on an input or fails to build.
#
# cargo-fuzz needs nightly-only flags (-Z sanitizer options, sancov passes);
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, so no nightly is needed.
# No sanitizer (-s none): the crate forbids unsafe code, and building every dependency
# under AddressSanitizer costs minutes on a small machine. Debug assertions stay on.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-25}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo fuzz build -s none
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    log="$(mktemp)"
    if ! cargo fuzz run -s none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -len_control=0 -timeout=30 -rss_limit_mb=2048 \
        >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz smoke: target $target FAILED (crash input under fuzz/artifacts/$target)" >&2
        exit 1
    fi
    echo "fuzz smoke: $target ok: $(grep -E '^Done [0-9]+ runs' "$log" || echo 'no summary')"
    rm -f "$log"
done
