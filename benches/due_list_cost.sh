#!/usr/bin/env bash
# What the re-check due list (issue 30) costs a nightly county run: the same synthetic county
# run with the shipped intervals ("on": on a first run nearly every household is due) and
# with 600-month intervals ("off": none due), alternating, five rounds; prints wall seconds,
# the write stage and the sum of stages from manifest.json. Release build.
# Usage: benches/due_list_cost.sh [households]   (default 20000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
households="${1:-20000}"
(cd "$root" && cargo build --release --quiet --locked)
binary="$CARGO_TARGET_DIR/release/rollcheck"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$root"/pipelines/.due-cost-*.toml' EXIT
"$binary" -q synth --households "$households" --seed 3 --variant messy --out "$work/data"
roll_rows=$(( $(wc -l < "$work/data/roll.csv") - 1 ))
sed "s/^population = .*/population = $(( roll_rows * 20 ))/" "$root/pipelines/county-nightly.toml" \
  > "$root/pipelines/.due-cost-on.toml"
sed 's/^months = { A = 12, B = 6, C = 3 }/months = { A = 600, B = 600, C = 600 }/' \
  "$root/pipelines/.due-cost-on.toml" > "$root/pipelines/.due-cost-off.toml"
grep -q "A = 600" "$root/pipelines/.due-cost-off.toml" || { echo "county-nightly.toml's [recheck] months changed: update this script" >&2; exit 1; }
for round in 1 2 3 4 5; do
  for mode in on off; do
    rm -rf "$work/out-$mode" "$work/out-$mode.history"
    /usr/bin/time -f "%e" -o "$work/time" "$binary" -q run "$root/pipelines/.due-cost-$mode.toml" \
      --data "$work/data" --as-of 2025-06-30 --out "$work/out-$mode" > /dev/null
    python3 - "$mode" "$round" "$(cat "$work/time")" "$work/out-$mode/manifest.json" <<'PY'
import json, sys
mode, round_, wall, manifest = sys.argv[1:5]
stages = dict(json.load(open(manifest))["stage_seconds"])
print(f"round {round_} {mode:3}: wall {float(wall):.2f} s, write {stages['write']:.3f} s, stages {sum(stages.values()):.3f} s")
PY
  done
done
