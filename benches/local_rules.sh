#!/usr/bin/env bash
# Local registries and SQL rules at province size (issue 17): synthesises a roll of 500,000
# households, writes province-size local registries beside it (benches/local_registries.py:
# a 5,000,000-row death register, social insurance, 户籍, supported personnel, vehicle
# purchases), then measures
#   1. the same 5,000,000 rows read as the built-in `death` registry and as a local registry
#      (wall seconds, peak RSS, seconds per stage): a local registry should cost no more;
#   2. each worked example's SQL rule (pipelines/examples) on its own: the rules stage with
#      the rule on, less the rules stage with every example rule off (target ≤ 5 s each),
#      and the same for the write stage (its flags' outputs) and the wall time.
# Writes benches/results/local_rules.json. Usage: benches/local_rules.sh [HOUSEHOLDS [ROWS]]
# Not a timed test. Needs GNU time; python3 ≥ 3.11 (tomllib), standard library only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export CARGO_INCREMENTAL=0
households="${1:-500000}"
rows="${2:-5000000}"
bench_setup
build_release

echo "== synth: $households households, registries of $rows rows"
"$binary" -q synth --households "$households" --seed 1 --variant clean --out "$work/data" > /dev/null
python3 "$root/benches/local_registries.py" "$work/data" --rows "$rows"
rules=$(python3 "$root/benches/local_rules_pipelines.py" "$root/pipelines/examples" "$work")

# Runs pipeline $1 (a name in $work), prints one JSON object: wall, peak RSS, stages.
measure() {
  local name="$1" report="$work/$1.time"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$report" "$binary" -q run "$work/$name.toml" --data "$work/data" \
    --as-of 2025-06-30 --out "$work/out-$name" > /dev/null
  end=$(date +%s.%N)
  python3 - "$name" "$(echo "$end - $start" | bc)" "$(peak_mb "$report")" "$work/out-$name/manifest.json" <<'PY'
import json, sys
name, wall, peak, manifest = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = json.load(open(manifest))
print(json.dumps({"pipeline": name, "wall_seconds": round(wall, 2), "peak_rss_mb": peak,
                  "stage_seconds": {s: round(t, 3) for s, t in m["stage_seconds"]},
                  "flags_per_reason": {k: v for k, v in m["flags_per_reason"].items() if v},
                  "matches_per_source": m["matches_per_source"]}))
PY
}

{
  # Twice each, interleaved: the best of two damps the few seconds stages vary by between
  # runs of the same input on a shared 2-core machine.
  for round in 1 2; do
    for name in builtin local rules-none; do
      echo "== $name ($round)" >&2
      measure "$name"
    done
    for rule in $rules; do
      echo "== rule $rule ($round)" >&2
      measure "rules-$rule"
    done
  done
} > "$work/runs.jsonl"

python3 - "$work/runs.jsonl" "$households" "$rows" "$root/benches/results/local_rules.json" <<'PY'
import json, os, platform, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
households, rows, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def best(name):
    return min((r for r in runs if r["pipeline"] == name), key=lambda r: r["wall_seconds"])
registry = {kind: best(kind) for kind in ("builtin", "local")}
def least(name, measure):
    return min(measure(r) for r in runs if r["pipeline"] == name)
rules_stage = lambda r: r["stage_seconds"]["rules"]
write_stage = lambda r: r["stage_seconds"]["write"]
wall = lambda r: r["wall_seconds"]
base = least("rules-none", rules_stage)
rules = {}
for name in sorted({r["pipeline"] for r in runs}):
    if name.startswith("rules-") and name != "rules-none":
        rule = name[len("rules-"):]
        rules[rule] = {"rules_stage_seconds": least(name, rules_stage),
                       "added_seconds": round(least(name, rules_stage) - base, 3),
                       "added_write_seconds": round(least(name, write_stage) - least("rules-none", write_stage), 3),
                       "added_wall_seconds": round(least(name, wall) - least("rules-none", wall), 2),
                       "flags": best(name)["flags_per_reason"].get(rule, 0)}
result = {"households": households, "registry_rows": rows, "cpus": os.cpu_count(),
          "machine": platform.machine(), "registry_builtin_vs_local": registry,
          "rules_stage_seconds_without_example_rules": base, "example_rules": rules,
          "runs": runs}
json.dump(result, open(out, "w"), indent=2, ensure_ascii=False)
for kind, r in registry.items():
    print(f"{kind:8} registry: {r['wall_seconds']:7.2f} s  {r['peak_rss_mb']:6d} MB  {r['stage_seconds']}")
for rule, r in rules.items():
    print(f"rule {rule:28} rules stage +{r['added_seconds']:6.3f} s, write +{r['added_write_seconds']:6.3f} s, wall +{r['added_wall_seconds']:6.2f} s ({r['flags']} flags)")
PY
