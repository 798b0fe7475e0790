#!/usr/bin/env bash
# FEBRL4 (5,000 × 5,000 records, 5,000 true links): rollcheck link vs Splink (DuckDB), same
# comparisons and blocking. Prints both F1 scores and times; writes benches/results/febrl4.json.
# Usage: benches/febrl4/run.sh     (needs network access to PyPI once, for the venv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
venv="$HOME/.cache/rollcheck-bench-venv"
python="$venv/bin/python"
if ! "$python" -c 'import recordlinkage, splink, pyarrow' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check recordlinkage splink pyarrow
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" "$here/export_data.py" "$work/data"
cp "$here/febrl4.toml" "$work/"
(cd "$root" && cargo build --release --quiet)
binary="$CARGO_TARGET_DIR/release/rollcheck"

best() { sort -n | head -1; }
ours_runs=(); splink_runs=()
for i in 1 2 3; do
  start=$(date +%s.%N)
  "$binary" -q link "$work/febrl4.toml" --out "$work/ours" > /dev/null
  ours_runs+=("$(echo "$(date +%s.%N) - $start" | bc | xargs printf "%.3f")")
  splink_runs+=("$("$python" "$here/splink_febrl4.py" "$work/data" "$work/splink.csv" 2>/dev/null | awk '/splink seconds/ {print $3}')")
done
ours_s=$(printf '%s\n' "${ours_runs[@]}" | best)
splink_s=$(printf '%s\n' "${splink_runs[@]}" | best)
ours=$("$python" "$here/score.py" "$work/ours/pairs.parquet" "$work/data/truth.csv" 0.5)
splink=$("$python" "$here/score.py" "$work/splink.csv" "$work/data/truth.csv" 0.5)
f1() { awk '{for (i = 1; i < NF; i++) if ($i == "f1") print $(i+1)}'; }
printf '%-10s %10s %8s  %s\n' tool seconds f1 "detail (threshold 0.5)"
printf '%-10s %10.2f %8s  %s\n' rollcheck "$ours_s" "$(echo "$ours" | f1)" "$ours"
printf '%-10s %10.2f %8s  %s\n' splink "$splink_s" "$(echo "$splink" | f1)" "$splink"
mkdir -p "$root/benches/results"
cat > "$root/benches/results/febrl4.json" <<JSON
{"dataset": "febrl4", "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB",
 "rollcheck": {"seconds_best_of_3": $ours_s, "score": "$ours"},
 "splink": {"seconds_best_of_3": $splink_s, "score": "$splink", "version": "$("$python" -c 'import splink; print(splink.__version__)')"}}
JSON
