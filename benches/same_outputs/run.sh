#!/usr/bin/env bash
# Runs BIN over synthetic counties (clean, messy, hard, wild) and every fixture, into ROOT, so
# that two binaries' outputs can be compared with compare.py: the check a refactor that
# promises "outputs unchanged" reports.
#   benches/same_outputs/run.sh BIN ROOT [DATA]
# DATA holds the synthetic counties (made by BIN's `synth` when missing: make them once with
# the older binary and pass the same DATA to both runs).
set -u
BIN=$(realpath "$1"); ROOT=$2; DATA=${3:-$ROOT.data}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$ROOT"; mkdir -p "$ROOT/fx"
for v in clean messy hard wild; do
  [ -d "$DATA/$v" ] || "$BIN" synth --households 3000 --seed 7 --variant $v --out "$DATA/$v" >/dev/null
  mkdir -p "$ROOT/$v"
  "$BIN" run "$REPO/pipelines/county-nightly.toml" --data "$DATA/$v" --as-of 2025-06-30 \
    --out "$ROOT/$v/out" >"$ROOT/$v/stdout" 2>"$ROOT/$v/stderr"
  echo "exit $?" >>"$ROOT/$v/stdout"
done
for f in "$REPO"/fixtures/*/*/pipeline.toml; do
  d=$(dirname "$f"); name=$(basename "$(dirname "$d")")__$(basename "$d")
  "$BIN" run "$f" --data "$d" --as-of 2025-06-30 --out "$ROOT/fx/$name/out" >"$ROOT/fx/$name.stdout" 2>&1
  echo "exit $?" >>"$ROOT/fx/$name.stdout"
done
