#!/usr/bin/env bash
# Sharded province run on one machine: synthesises a province (default 500,000 households),
# runs it whole once (its model.json becomes the fixed parameters every shard needs), then
# runs each of N shards one after another and merges them. Records per-shard wall seconds
# and peak RSS, the merge, and whether the merged flags equal the whole run's byte for byte,
# to benches/results/shards-<households>-<N>.json.
# Usage: benches/shards.sh [HOUSEHOLDS] [N] [PIECE_ROWS]
# PIECE_ROWS (default: rollcheck's own, 500,000) is how many registry rows a shard or the
# merge holds at a time (`--piece-rows`).
# On a cluster the shards run side by side, so the wall time there is about the slowest
# shard plus the merge; here they run in turn, so the total is their sum.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
households="${1:-500000}"
shards="${2:-4}"
piece_rows=()
[ -z "${3:-}" ] || piece_rows=(--piece-rows "$3")
build_release
bench_setup
timed() { # timed NAME COMMAND...: wall seconds to stdout, GNU time report to $work/NAME.time
  local name="$1"
  shift
  wall_seconds /usr/bin/time -v -o "$work/$name.time" "$@"
}

"$binary" synth --households "$households" --seed 3 --variant messy --out "$work/data" > /dev/null
as_of=2025-06-30
whole_s=$(timed whole "$binary" -q run "$root/pipelines/province-campaign.toml" --data "$work/data" \
  --as-of "$as_of" --out "$work/whole")
# The shards' pipeline: the shipped one with the whole run's parameters fixed.
fixed_pipeline "$root/pipelines/province-campaign.toml" "$work/whole/model.json" \
  "$work/province-fixed.toml"

shard_json=()
for k in $(seq 0 $((shards - 1))); do
  s=$(timed "shard$k" "$binary" -q run "$work/province-fixed.toml" --data "$work/data" \
    --as-of "$as_of" --shard "$k/$shards" "${piece_rows[@]}" --out "$work/shards/$k")
  echo "shard $k/$shards: ${s} s, $(peak_mb "$work/shard$k.time") MB"
  shard_json+=("{\"shard\": $k, \"seconds\": $s, \"peak_rss_mb\": $(peak_mb "$work/shard$k.time")}")
done
merge_s=$(timed merge "$binary" -q merge "$work/province-fixed.toml" "$work"/shards/* --data "$work/data" \
  "${piece_rows[@]}" --out "$work/merged")
# The whole run trained its own parameters; rerun it with the same fixed file to compare.
fixed_s=$(timed fixed "$binary" -q run "$work/province-fixed.toml" --data "$work/data" \
  --as-of "$as_of" --out "$work/whole-fixed")
equal=true
for table in flags.csv matches.parquet households.parquet; do
  cmp -s "$work/whole-fixed/$table" "$work/merged/$table" || { equal=false; echo "differs: $table" >&2; }
done
slowest=$(printf '%s\n' "${shard_json[@]}" | sed 's/.*"seconds": \([0-9.]*\).*/\1/' | sort -n | tail -1)
echo "whole run ${whole_s} s ($(peak_mb "$work/whole.time") MB); with fixed parameters ${fixed_s} s"
echo "merge ${merge_s} s ($(peak_mb "$work/merge.time") MB); slowest shard ${slowest} s; merged = whole: $equal"
cat > "$root/benches/results/shards-$households-$shards${3:+-$3}.json" <<JSON
{"case": "province shards", "households": $households, "shards": $shards, "piece_rows": "${3:-default}",
 "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB",
 "whole_run": {"seconds": $whole_s, "peak_rss_mb": $(peak_mb "$work/whole.time")},
 "whole_run_fixed_parameters": {"seconds": $fixed_s, "peak_rss_mb": $(peak_mb "$work/fixed.time")},
 "shards": [$(IFS=,; echo "${shard_json[*]}")],
 "merge": {"seconds": $merge_s, "peak_rss_mb": $(peak_mb "$work/merge.time")},
 "cluster_wall_seconds_estimate": $(echo "$slowest + $merge_s" | bc -l),
 "merged_equals_whole": $equal}
JSON
[ "$equal" = true ]
