#!/usr/bin/env bash
# Runs every fuzz target, by hand: CI does not call this script. CI's check is `cargo test`,
# which replays the committed corpus through the same assertions without the instrumented
# build (tests/it/fuzz_corpus.rs; keep it in step with fuzz_targets/). Two modes:
#   fuzz/run.sh [SECONDS]   explore: each target for SECONDS (default 60); new inputs that add
#                           coverage are merged back into fuzz/corpus/ (commit them).
#   fuzz/run.sh --ci RUNS   check: replay the committed corpus, then RUNS executions per target
#                           from a fixed seed. Same commit, same inputs, same verdict, so a
#                           failure reproduces with the same command. The corpus is not touched.
# Needs cargo-fuzz (installed here if missing) and a nightly compiler; where only stable
# exists, RUSTC_BOOTSTRAP=1 lets stable take the nightly flags cargo-fuzz passes.
#
# Builds without a sanitizer (`-s none`): rollcheck has no unsafe code, so AddressSanitizer
# would mostly slow the search; coverage guidance and our assertions do the work. A finding
# is written to fuzz/artifacts/<target>/ and fails the script; reproduce it with
#   cargo fuzz run --dev -s none <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

mode=explore
if [ "${1:-}" = "--ci" ]; then
    mode=ci
    runs="${2:?usage: fuzz/run.sh --ci RUNS}"
else
    seconds="${1:-60}"
fi
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
    if [ "$mode" = ci ]; then
        echo "== $target: corpus, then $runs runs from seed 1" >&2
        budget=(-seed=1 -runs="$runs")
    else
        echo "== $target: ${seconds}s" >&2
        budget=(-max_total_time="$seconds")
    fi
    # New inputs land in the first directory, $fresh; the committed corpus is only read.
    if ! cargo "${toolchain[@]}" fuzz run --dev -s none "$target" "$fresh" "$corpus" -- \
        "${budget[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>"$fresh.log"; then
        echo "!! $target found a failure:" >&2
        grep -A2 -E "panicked" "$fresh.log" >&2 || true
        grep -E "ERROR|SUMMARY|Test unit written" "$fresh.log" >&2 || tail -n 30 "$fresh.log" >&2
        failed=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$fresh.log" | sed "s/^/   /" >&2
        if [ "$mode" = explore ]; then
            # Keep only the inputs that add coverage to the committed corpus.
            cargo "${toolchain[@]}" fuzz run --dev -s none "$target" "$corpus" "$fresh" -- \
                -merge=1 >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$fresh" "$fresh.log"
done
exit "$failed"
