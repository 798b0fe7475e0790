#!/usr/bin/env bash
# What the re-check due list (issue 30) costs a nightly county run: the same synthetic county
# run with the shipped intervals ("on": on a first run nearly every household is due) and
# with 600-month intervals ("off": none due), alternating, ROUNDS rounds (default 9); prints
# wall seconds, the write stage and the sum of stages from manifest.json, then the medians and
# what "on" adds. Release build.
# Usage: [ROUNDS=9] benches/due_list_cost.sh [households]   (default 20000)
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
for round in $(seq "${ROUNDS:-9}"); do
  for mode in on off; do
    rm -rf "$work/out-$mode" "$work/out-$mode.history"
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$binary" -q run "$root/pipelines/.due-cost-$mode.toml" \
      --data "$work/data" --as-of 2025-06-30 --out "$work/out-$mode" > /dev/null
    python3 - "$mode" "$round" "$(cat "$work/time")" "$work/out-$mode/manifest.json" <<'PY'
import json, sys
mode, round_, times, manifest = sys.argv[1:5]
wall, user, system = (float(t) for t in times.split())
stages = dict(json.load(open(manifest))["stage_seconds"])
print(f"round {round_} {mode:3}: wall {wall:.2f} s, cpu {user + system:.2f} s, write {stages['write']:.3f} s, stages {sum(stages.values()):.3f} s")
with open(manifest.rsplit("/", 2)[0] + "/rounds.tsv", "a") as rounds:
    rounds.write(f"{mode}\t{wall}\t{stages['write']}\t{sum(stages.values())}\t{user + system}\n")
PY
  done
done
python3 - "$work/rounds.tsv" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1])]
def median(mode, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == mode)
# CPU seconds (user + system) vary least with the machine's other load.
for column, name in [(1, "wall"), (2, "write"), (3, "stages"), (4, "cpu")]:
    on, off = median("on", column), median("off", column)
    print(f"median {name:6}: on {on:.3f} s, off {off:.3f} s, on adds {on - off:+.3f} s ({(on - off) / off:+.1%})")
PY
