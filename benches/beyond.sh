#!/usr/bin/env bash
# Cost of v3 (issues 28, 29, 30): the nightly county and the province run by the binary before
# v3 (BASE) and by this one (NEW) on the same synthetic data: the registries before v3 only,
# with relations and contributions added, and with the early-warning registries too. Records wall seconds, peak RSS and seconds per stage to
# benches/results/beyond-<case>.json.
# Usage: BASE=/path/to/old/rollcheck NEW=/path/to/new/rollcheck benches/beyond.sh [county|province|all]
# BASE defaults to a release build of the commit before v3 (4f6593d) you built yourself; NEW to
# this checkout's release build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
which="${1:-all}"
new="${NEW:-$CARGO_TARGET_DIR/release/rollcheck}"
base="${BASE:?set BASE to a release build of 4f6593d (git worktree add /tmp/base 4f6593d && cargo build --release)}"
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 1; }
work="${WORK:-$(mktemp -d)}"
mkdir -p "$root/benches/results"
# The pipelines before v3, beside the shipped ones (their standards tables resolve there).
trap 'rm -f "$root"/pipelines/.beyond-base-*.toml' EXIT
for p in county-nightly province-campaign; do
  git -C "$root" show "4f6593d:pipelines/$p.toml" > "$root/pipelines/.beyond-base-$p.toml"
done

measure() { # name binary pipeline data
  local name="$1" binary="$2" pipeline="$3" data="$4"
  /usr/bin/time -v "$binary" -q run "$pipeline" --data "$data" --as-of 2025-06-30 \
    --out "$work/out-$name" > /dev/null 2> "$work/$name.time"
  python3 - "$work/$name.time" "$work/out-$name/manifest.json" <<'PY'
import json, re, sys
timing, manifest = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", timing).group(1)
seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
print(json.dumps({"wall_seconds": round(seconds, 2), "peak_rss_mb": round(rss / 1024),
  "stage_seconds": {s: round(t, 2) for s, t in manifest["stage_seconds"]},
  "input_rows": sum(i["rows_read"] for i in manifest["inputs"])}))
PY
}

run_case() { # name households pipeline
  local name="$1" households="$2" pipeline="$3"
  local data="$work/$name/data" classic="$work/$name/classic" supported="$work/$name/supported"
  if [ ! -f "$data/roll.csv" ]; then
    "$new" synth --households "$households" --seed 3 --variant messy --out "$data" > /dev/null
  fi
  # The same county without the v3 registries: what the nightly run read before.
  rm -rf "$classic" "$supported" && mkdir -p "$classic" "$supported"
  for f in "$data"/*; do
    case "$(basename "$f")" in
      relations.*|contributions.*) ln -s "$f" "$supported/" ;;
      disability.*|medical.*|unemployment.*) ;;
      *) ln -s "$f" "$classic/"; ln -s "$f" "$supported/" ;;
    esac
  done
  echo "== $name: $households households"
  local before classic_now supporters full
  before=$(measure "$name-base" "$base" "$root/pipelines/.beyond-base-$pipeline.toml" "$classic")
  classic_now=$(measure "$name-new-classic" "$new" "$root/pipelines/$pipeline.toml" "$classic")
  supporters=$(measure "$name-new-supporters" "$new" "$root/pipelines/$pipeline.toml" "$supported")
  full=$(measure "$name-new-full" "$new" "$root/pipelines/$pipeline.toml" "$data")
  python3 - "$name" "$households" "$root/benches/results/beyond-$name.json" "$before" "$classic_now" "$supporters" "$full" <<'PY'
import json, sys
name, households, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
before, classic, supporters, full = (json.loads(a) for a in sys.argv[4:8])
ratio = lambda run, key: round(run[key] / before[key], 3)
result = {"case": name, "households": households,
  "before_v3_classic_inputs": before, "v3_classic_inputs": classic,
  "v3_with_relations_and_contributions": supporters, "v3_with_every_v3_registry": full,
  "time_ratio_classic": ratio(classic, "wall_seconds"),
  "time_ratio_supporters": ratio(supporters, "wall_seconds"),
  "memory_ratio_supporters": ratio(supporters, "peak_rss_mb"),
  "time_ratio_every_registry": ratio(full, "wall_seconds"),
  "memory_ratio_every_registry": ratio(full, "peak_rss_mb")}
json.dump(result, open(target, "w"), indent=2)
print(json.dumps(result, indent=2))
PY
}

case "$which" in
  county) run_case county 20000 county-nightly ;;
  province) run_case province 500000 province-campaign ;;
  all) run_case county 20000 county-nightly; run_case province 500000 province-campaign ;;
  *) echo "usage: $0 [county|province|all]" >&2; exit 2 ;;
esac
