#!/usr/bin/env bash
# Scale benchmark: synthesises a county (20,000 households) and a province (500,000), runs the
# shipped pipeline on each, and records per-stage seconds, peak RSS, candidate pairs and rows
# per second to benches/results/scale-<case>.json. Usage: benches/scale.sh [county|province|all]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
which="${1:-all}"
(cd "$root" && cargo build --release --quiet)
binary="$CARGO_TARGET_DIR/release/rollcheck"
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benches/results"

run_case() {
  local name="$1" households="$2" pipeline="$3"
  echo "== $name: $households households"
  "$binary" synth --households "$households" --seed 3 --variant messy --out "$work/$name/data" > /dev/null
  /usr/bin/time -v "$binary" -q run "$root/pipelines/$pipeline.toml" --data "$work/$name/data" \
    --as-of 2025-06-30 --out "$work/$name/out" > /dev/null 2> "$work/$name.time"
  "$binary" eval --truth "$work/$name/data/truth.csv" --flags "$work/$name/out" > "$work/$name.eval"
  python3 - "$name" "$households" "$work" "$root/benches/results/scale-$name.json" <<'PY'
import json, re, sys, platform, os
name, households, work, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
manifest = json.load(open(f"{work}/{name}/out/manifest.json"))
timing = open(f"{work}/{name}.time").read()
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", timing).group(1)
seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
rows = sum(i["rows_read"] for i in manifest["inputs"])
overall = [l.split() for l in open(f"{work}/{name}.eval") if l.startswith("overall")][0]
result = {
    "case": name, "households": households, "roll_rows": manifest["members"], "input_rows": rows,
    "wall_seconds": round(seconds, 2), "peak_rss_mb": round(rss_kb / 1024), "rows_per_second": round(rows / seconds),
    "stage_seconds": {s: round(t, 3) for s, t in manifest["stage_seconds"]},
    "candidate_pairs": manifest["candidate_pairs"], "candidate_pairs_per_rule": manifest["candidate_pairs_per_rule"],
    "precision": float(overall[4]), "recall": float(overall[5]),
    "machine": f"{os.cpu_count()} cores, {platform.machine()}",
}
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
