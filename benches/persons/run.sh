#!/usr/bin/env bash
# Person linkage, rollcheck link vs Splink (DuckDB), on the same generated roll and registry
# (benches/persons/generate.py) and blocking, at each size given (records per side; default
# 100000 and 1000000). rollcheck runs twice: with Splink's comparisons level for level
# (persons.toml) and with its own name and ID comparisons (persons-domain.toml). Prints
# the time ratios and F1 scores and writes benches/results/persons-<size>.json.
# Usage: benches/persons/run.sh [SIZE ...]   (needs network access to PyPI once, for the venv)
# Runs: best of 3 at every size (single runs on a shared machine vary by 30%).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
bench_venv
build_release
bench_setup

run_size() {
  local size="$1" runs=3
  rm -rf "$work/data" && python3 "$here/generate.py" "$size" "$work/data"
  cp "$here/persons.toml" "$here/persons-domain.toml" "$work/"
  local same_runs=() own_runs=() splink_runs=()
  for _ in $(seq "$runs"); do
    same_runs+=("$(wall_seconds /usr/bin/time -v -o "$work/same.time" "$binary" -q link "$work/persons.toml" --out "$work/same")")
    own_runs+=("$(wall_seconds /usr/bin/time -v -o "$work/own.time" "$binary" -q link "$work/persons-domain.toml" --out "$work/own")")
    /usr/bin/time -v -o "$work/splink.time" "$python" "$here/splink_persons.py" "$work/data" "$work/splink.csv" \
      > "$work/splink.out" 2> /dev/null
    splink_runs+=("$(awk '/splink seconds/ {print $3}' "$work/splink.out")")
  done
  local same_s own_s splink_s same own splink
  same_s=$(printf '%s\n' "${same_runs[@]}" | best)
  own_s=$(printf '%s\n' "${own_runs[@]}" | best)
  splink_s=$(printf '%s\n' "${splink_runs[@]}" | best)
  same=$("$python" "$root/benches/score.py" "$work/same/pairs.parquet" "$work/data/truth.csv" 0.5)
  own=$("$python" "$root/benches/score.py" "$work/own/pairs.parquet" "$work/data/truth.csv" 0.5)
  splink=$("$python" "$root/benches/score.py" "$work/splink.csv" "$work/data/truth.csv" 0.5)
  echo "== $size x $size records (best of $runs)"
  printf '%-22s %10s %10s %8s  %s\n' tool seconds "peak MB" f1 "detail (threshold 0.5)"
  printf '%-22s %10.2f %10s %8s  %s\n' "rollcheck (same)" "$same_s" "$(peak_mb "$work/same.time")" "$(echo "$same" | f1_of)" "$same"
  printf '%-22s %10.2f %10s %8s  %s\n' "rollcheck (own)" "$own_s" "$(peak_mb "$work/own.time")" "$(echo "$own" | f1_of)" "$own"
  printf '%-22s %10.2f %10s %8s  %s\n' splink "$splink_s" "$(peak_mb "$work/splink.time")" "$(echo "$splink" | f1_of)" "$splink"
  printf 'splink / rollcheck time: %.1fx (same comparisons), %.1fx (own)\n' \
    "$(echo "$splink_s / $same_s" | bc -l)" "$(echo "$splink_s / $own_s" | bc -l)"
  cat > "$root/benches/results/persons-$size.json" <<JSON
{"dataset": "persons", "records_per_side": $size, "runs": $runs,
 "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB",
 "rollcheck_same_comparisons": {"seconds": $same_s, "peak_rss_mb": $(peak_mb "$work/same.time"), "score": "$same"},
 "rollcheck_own_comparisons": {"seconds": $own_s, "peak_rss_mb": $(peak_mb "$work/own.time"), "score": "$own"},
 "splink": {"seconds": $splink_s, "peak_rss_mb": $(peak_mb "$work/splink.time"), "score": "$splink",
            "version": "$("$python" -c 'import splink; print(splink.__version__)')"},
 "time_ratio_same": $(echo "scale=2; $splink_s / $same_s" | bc -l),
 "time_ratio_own": $(echo "scale=2; $splink_s / $own_s" | bc -l)}
JSON
}

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000)
for size in "${sizes[@]}"; do
  run_size "$size"
done
