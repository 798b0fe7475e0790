#!/usr/bin/env bash
# FEBRL4 (5,000 × 5,000 records, 5,000 true links): rollcheck link vs Splink (DuckDB), same
# comparisons and blocking. Prints both F1 scores and times; writes benches/results/febrl4.json.
# Usage: benches/febrl4/run.sh     (needs network access to PyPI once, for the venv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
bench_venv
build_release
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" "$here/export_data.py" "$work/data"
cp "$here/febrl4.toml" "$work/"

ours_runs=(); splink_runs=()
for i in 1 2 3; do
  ours_runs+=("$(wall_seconds "$binary" -q link "$work/febrl4.toml" --out "$work/ours")")
  splink_runs+=("$("$python" "$here/splink_febrl4.py" "$work/data" "$work/splink.csv" 2>/dev/null | awk '/splink seconds/ {print $3}')")
done
ours_s=$(printf '%s\n' "${ours_runs[@]}" | best)
splink_s=$(printf '%s\n' "${splink_runs[@]}" | best)
ours=$("$python" "$root/benches/score.py" "$work/ours/pairs.parquet" "$work/data/truth.csv" 0.5)
splink=$("$python" "$root/benches/score.py" "$work/splink.csv" "$work/data/truth.csv" 0.5)
printf '%-10s %10s %8s  %s\n' tool seconds f1 "detail (threshold 0.5)"
printf '%-10s %10.2f %8s  %s\n' rollcheck "$ours_s" "$(echo "$ours" | f1_of)" "$ours"
printf '%-10s %10.2f %8s  %s\n' splink "$splink_s" "$(echo "$splink" | f1_of)" "$splink"
mkdir -p "$root/benches/results"
cat > "$root/benches/results/febrl4.json" <<JSON
{"dataset": "febrl4", "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB",
 "rollcheck": {"seconds_best_of_3": $ours_s, "score": "$ours"},
 "splink": {"seconds_best_of_3": $splink_s, "score": "$splink", "version": "$("$python" -c 'import splink; print(splink.__version__)')"}}
JSON
