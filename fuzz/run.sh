#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: `fuzz/run.sh [SECONDS_PER_TARGET]` (default 60;
# CI runs 20). Needs cargo-fuzz (installed here if missing) and a nightly compiler; where
# only stable exists, RUSTC_BOOTSTRAP=1 lets stable take the nightly flags cargo-fuzz passes.
#
# Builds without a sanitizer (`-s none`): rollcheck has no unsafe code, so AddressSanitizer
# would mostly slow the search; coverage guidance and our assertions do the work. A finding
# is written to fuzz/artifacts/<target>/ and fails the script; reproduce it with
#   cargo fuzz run --dev -s none <target> fuzz/artifacts/<target>/<file>
# The corpus (fuzz/corpus/<target>/) is kept small: new inputs are merged back only when
# they add coverage (`-merge=1` at the end of each run).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
targets=(normalize_id normalize_name parse_date decode_csv)
export CARGO_TARGET_DIR="${ROLLCHECK_FUZZ_TARGET_DIR:-$HOME/.cache/rollcheck-fuzz-target}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --quiet
fi
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

cargo "${toolchain[@]}" fuzz build --dev -s none
failed=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    fresh="$(mktemp -d)"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    echo "== $target: ${seconds}s" >&2
    if ! cargo "${toolchain[@]}" fuzz run --dev -s none "$target" "$fresh" "$corpus" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>"$fresh.log"; then
        echo "!! $target found a failure:" >&2
        grep -E "panicked|ERROR|SUMMARY|Test unit written" "$fresh.log" >&2 || tail -n 30 "$fresh.log" >&2
        failed=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$fresh.log" | sed "s/^/   /" >&2
        # Keep only the inputs that add coverage to the committed corpus.
        cargo "${toolchain[@]}" fuzz run --dev -s none "$target" "$corpus" "$fresh" -- -merge=1 \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$fresh" "$fresh.log"
done
exit "$failed"
