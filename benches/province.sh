#!/usr/bin/env bash
# A province whose registries dwarf its roll (issue 15): synthesises a messy province
# (default 500,000 households) with registries F times the default (`synth
# --registry-scale F`: each registry a directory of parts), for each F runs it whole with the
# shipped province-campaign pipeline, then (unless F is above SHARDED_UP_TO, default 10) as
# N shards (default 4) one after another and a merge, with the whole run's model fixed; the
# shards load the roll that `index-roll` read once (`--roll-index`).
# Records per run: wall seconds, peak RSS, seconds per stage (manifest.json or shard.json),
# input rows and rows/s, and whether the merge equals the whole run with the same
# parameters byte for byte. Writes benches/results/province.json.
# Usage: benches/province.sh [HOUSEHOLDS] [F...]   (default: 500000 1 2 4 10 27; F = 27 is
# about 13 million registry rows at 500,000 households)
# Not a timed test. Needs GNU time; python3, standard library only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
export CARGO_INCREMENTAL=0
households="${1:-500000}"
shift || true
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1 2 4 10 27)
shards="${SHARDS:-4}"
sharded_up_to="${SHARDED_UP_TO:-10}"
as_of=2025-06-30
build_release
bench_setup

# timed NAME MANIFEST COMMAND...: runs COMMAND under GNU time and prints one JSON line
# (run_record in lib.sh) with the stages of MANIFEST.
timed() {
  local name="$1" manifest="$2"
  shift 2
  local seconds
  seconds=$(wall_seconds /usr/bin/time -v -o "$work/$name.time" "$@")
  run_record "$name" "$seconds" "$work/$name.time" "$manifest"
}

results="$work/runs.jsonl"
: > "$results"
for scale in "${scales[@]}"; do
  data="$work/data-$scale"
  echo "== F = $scale: synth" >&2
  synth_s=$(wall_seconds "$binary" -q synth --households "$households" --seed 3 --variant messy \
    --registry-scale "$scale" --out "$data")
  echo "== F = $scale: whole run" >&2
  whole=$(timed "whole-$scale" "$work/whole-$scale/manifest.json" "$binary" -q run \
    "$root/pipelines/province-campaign.toml" --data "$data" --as-of "$as_of" --out "$work/whole-$scale")
  echo "$whole" >&2
  sharded=null
  if [ "$scale" -le "$sharded_up_to" ]; then
    fixed="$work/province-fixed-$scale.toml"
    fixed_pipeline "$root/pipelines/province-campaign.toml" "$work/whole-$scale/model.json" "$fixed"
    echo "== F = $scale: roll index" >&2
    roll_index=$(timed "roll-index-$scale" "" "$binary" -q index-roll "$fixed" --data "$data" \
      --out "$work/roll-index-$scale")
    shard_runs=()
    for k in $(seq 0 $((shards - 1))); do
      echo "== F = $scale: shard $k/$shards" >&2
      shard_runs+=("$(timed "shard-$scale-$k" "$work/shards-$scale/$k/shard.json" "$binary" -q run \
        "$fixed" --data "$data" --as-of "$as_of" --shard "$k/$shards" \
        --roll-index "$work/roll-index-$scale" --out "$work/shards-$scale/$k")")
    done
    echo "== F = $scale: merge" >&2
    merge=$(timed "merge-$scale" "$work/merged-$scale/manifest.json" "$binary" -q merge "$fixed" \
      "$work/shards-$scale"/* --data "$data" --out "$work/merged-$scale")
    echo "== F = $scale: whole run, fixed parameters" >&2
    whole_fixed=$(timed "whole-fixed-$scale" "$work/whole-fixed-$scale/manifest.json" "$binary" -q run \
      "$fixed" --data "$data" --as-of "$as_of" --out "$work/whole-fixed-$scale")
    equal=true
    for table in flags.csv matches.parquet households.parquet; do
      cmp -s "$work/whole-fixed-$scale/$table" "$work/merged-$scale/$table" \
        || { equal=false; echo "differs at F = $scale: $table" >&2; }
    done
    sharded="{\"roll_index\": $roll_index, \"shards\": [$(IFS=,; echo "${shard_runs[*]}")], \"merge\": $merge,
      \"whole_fixed_parameters\": $whole_fixed, \"merged_equals_whole\": $equal}"
  fi
  echo "{\"registry_scale\": $scale, \"synth_seconds\": $synth_s, \"whole\": $whole, \"sharded\": $sharded}" \
    | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))' >> "$results"
  rm -rf "$data" "$work"/shards-"$scale" "$work"/merged-"$scale" "$work"/whole-*"$scale" \
    "$work"/roll-index-"$scale"
done

python3 - "$results" "$households" "$root/benches/results/province.json" <<'PY'
import json, os, platform, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
out = {"households": int(sys.argv[2]), "cpus": os.cpu_count(), "machine": platform.machine(),
       "pipeline": "pipelines/province-campaign.toml", "runs": runs}
json.dump(out, open(sys.argv[3], "w"), indent=2)
print(f"{'F':>3} {'registry rows':>14} {'whole s':>8} {'MB':>6} {'rows/s':>9}  stages")
for r in runs:
    w = r["whole"]
    print(f"{r['registry_scale']:>3} {w['registry_rows']:>14,} {w['wall_seconds']:>8.1f} "
          f"{w['peak_rss_mb']:>6} {w['rows_per_second']:>9,}  {w['stage_seconds']}")
    s = r["sharded"]
    if s:
        shards = ", ".join(f"{x['wall_seconds']:.1f} s {x['peak_rss_mb']} MB" for x in s["shards"])
        print(f"    roll index {s['roll_index']['wall_seconds']:.1f} s "
              f"{s['roll_index']['peak_rss_mb']} MB; shards: {shards}; "
              f"merge {s['merge']['wall_seconds']:.1f} s "
              f"{s['merge']['peak_rss_mb']} MB; merged = whole: {s['merged_equals_whole']}")
PY
