#!/usr/bin/env bash
# Accuracy benchmark (issue 19): synthesises counties and provinces of each variant, runs the
# shipped pipeline, and records flag precision and recall against truth.csv and the share of
# true cases flagged or listed as a lead (a `possible` pair in matches.parquet), the
# households whose income.parquet row equals synth's truth_income.csv to 0.01 yuan (once
# runs write it), early-warning precision and recall per warning against truth_warnings.csv
# (once runs write warnings.parquet), the true flags whose overpaid_yuan and since equal
# truth_overpaid.csv and the households of recheck_due.parquet equal to truth_recheck.csv
# (`overpaid_equal`, `recheck_equal`: [equal, compared]), with seconds and peak RSS, to
# benches/results/accuracy-<variant>-<size>.json.
# Usage: benches/accuracy.sh [county|province|all] [variant ...]   (default: all hard wild)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
which="${1:-all}"
shift || true
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(hard wild)
# ROLLCHECK=path runs a binary already built instead of building one; RESULTS=dir writes
# the JSON there instead of benches/results.
binary="${ROLLCHECK:-$CARGO_TARGET_DIR/release/rollcheck}"
[ -n "${ROLLCHECK:-}" ] || (cd "$root" && cargo build --release --quiet --locked)
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work" "$root"/pipelines/.accuracy-*.toml' EXIT
results="${RESULTS:-$root/benches/results}"
mkdir -p "$results"

# Varied runs (issue 31: decisions must not hinge on one generator's quirks). SEED picks
# another synthetic county. The synthetic data's mix: BLANK_IDS (share of registry rows about
# people off the roll with no ID), MASKED_IDS (wild: share of each registry's rows masked),
# NAME_SKEW (how steeply names' shares fall: 0 alike, 0.5 default, 1 steep) and SYNTH_PEOPLE
# (wild: people the registries cover per roll person, 20 by default, from whom blank-ID
# namesakes are drawn), NAMESAKE_FLOOR (wild: roll people expecting fewer namesakes than this
# get none, 0.01 by default; 0 draws the thin tail too). PEOPLE_PER_ROLL_PERSON sets `population` to a multiple of the roll,
# by default SYNTH_PEOPLE (what the registries cover, as the README asks an operator to
# state); set it apart to model an operator who over- or under-states the population.
# Results of varied runs carry what was varied in their name.
seed="${SEED:-5}"
synth_people="${SYNTH_PEOPLE:-20}"
people="${PEOPLE_PER_ROLL_PERSON:-$synth_people}"
suffix=""
[ "$seed" = 5 ] && [ "$people" = 20 ] || suffix="-seed$seed-pop$people"
mix=()
[ -z "${BLANK_IDS:-}" ] || { mix+=(--blank-ids "$BLANK_IDS"); suffix+="-blank$BLANK_IDS"; }
[ -z "${MASKED_IDS:-}" ] || { mix+=(--masked-ids "$MASKED_IDS"); suffix+="-masked$MASKED_IDS"; }
[ -z "${NAME_SKEW:-}" ] || { mix+=(--name-skew "$NAME_SKEW"); suffix+="-skew$NAME_SKEW"; }
[ "$synth_people" = 20 ] || { mix+=(--population-per-roll-person "$synth_people"); suffix+="-synthpop$synth_people"; }
[ -z "${NAMESAKE_FLOOR:-}" ] || { mix+=(--namesake-floor "$NAMESAKE_FLOOR"); suffix+="-floor$NAMESAKE_FLOOR"; }

run_case() {
  local size="$1" households="$2" pipeline="$3" variant="$4"
  local name="$variant-$size$suffix"
  echo "== $name: $households households, $pipeline"
  "$binary" synth --households "$households" --seed "$seed" --variant "$variant" "${mix[@]}" --out "$work/$name/data" > /dev/null
  # The population: PEOPLE_PER_ROLL_PERSON per roll person, by default what the synthetic
  # registries cover (synth::POPULATION_PER_ROLL_PERSON, or SYNTH_PEOPLE), as the README
  # asks an operator to.
  local roll_rows population
  roll_rows=$(( $(wc -l < "$work/$name/data/roll.csv") - 1 ))
  population=$(( roll_rows * people ))
  sed "s/^population = .*/population = $population/" "$root/pipelines/$pipeline.toml" > "$root/pipelines/.accuracy-$name.toml"
  /usr/bin/time -v "$binary" -q run "$root/pipelines/.accuracy-$name.toml" --data "$work/$name/data" \
    --as-of 2025-06-30 --out "$work/$name/out" > /dev/null 2> "$work/$name.time"
  echo "$population" > "$work/$name.population"
  "$binary" eval --truth "$work/$name/data/truth.csv" --flags "$work/$name/out" > "$work/$name.eval"
  SYNTH_MIX="${mix[*]}" python3 - "$name" "$variant" "$size" "$households" "$work" "$results/accuracy-$name.json" <<'PY'
import json, re, sys, platform, os
name, variant, size, households, work, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
manifest = json.load(open(f"{work}/{name}/out/manifest.json"))
timing = open(f"{work}/{name}.time").read()
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", timing).group(1)
seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
text = open(f"{work}/{name}.eval").read()
# The flags' table comes first; the early-warning table (headed `warning`) follows it.
flags_text, _, warnings_text = text.partition("\nwarning ")
rows = {l.split()[0]: l.split() for l in flags_text.splitlines() if l and not l.startswith(("reason", "true", "income:", "overpaid:", "recheck due:", " "))}
warning_rows = {l.split()[0]: l.split() for l in warnings_text.splitlines()[1:] if l.startswith(("should_", "overall"))}
agree = re.search(r"signals agree on (\d+) of (\d+); households agree on (\d+) of (\d+)", warnings_text)
overall = rows["overall"]
coverage = re.search(r"flagged or listed as a lead: (\d+) of (\d+) \(([\d.]+)\)", text)
income = re.search(r"income: (\d+) of (\d+) households equal", text)
sheet = re.search(r"flagged or on a leads sheet: (\d+) of (\d+) \(([\d.]+)\); households with a lead shown: (\d+) of (\d+)", text)
# The reliability table of scored pairs: "  0.995–0.999   554   0.9984   1.0000   0.0016".
scored_table = text.partition("reliability (scored pairs)")[2]
reliability = re.findall(r"^\s+([\d.]+–[\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", scored_table, re.M)
gap = re.search(r"largest gap in scored bands of 100\+ pairs: ([\d.]+)", text)
overpaid = re.search(r"overpaid: (\d+) of (\d+) true flags equal", text)
recheck = re.search(r"recheck due: (\d+) of (\d+) households equal", text)
result = {
    "variant": variant, "size": size, "households": households, "roll_rows": manifest["members"],
    "population": int(open(f"{work}/{name}.population").read()),
    "synth_mix": os.environ.get("SYNTH_MIX", ""),
    "input_rows": sum(i["rows_read"] for i in manifest["inputs"]),
    "wall_seconds": round(seconds, 2), "peak_rss_mb": round(rss_kb / 1024),
    "true_positives": int(overall[1]), "false_positives": int(overall[2]), "false_negatives": int(overall[3]),
    "precision": float(overall[4]), "recall": float(overall[5]),
    "flagged_or_lead": int(coverage.group(1)), "true_cases": int(coverage.group(2)),
    "flagged_or_lead_share": float(coverage.group(3)),
    "income_equal_households": int(income.group(1)) if income else None,
    "income_households": int(income.group(2)) if income else None,
    "overpaid_equal": [int(overpaid.group(1)), int(overpaid.group(2))] if overpaid else None,
    "recheck_equal": [int(recheck.group(1)), int(recheck.group(2))] if recheck else None,
    "per_reason": {r: {"tp": int(v[1]), "fp": int(v[2]), "fn": int(v[3])} for r, v in rows.items() if r != "overall"},
    "warnings": {w: {"tp": int(v[1]), "fp": int(v[2]), "fn": int(v[3]), "precision": float(v[4]), "recall": float(v[5])}
                 for w, v in warning_rows.items()} or None,
    "warning_signals_agree": [int(agree.group(1)), int(agree.group(2))] if agree else None,
    "warning_households_agree": [int(agree.group(3)), int(agree.group(4))] if agree else None,
    "flagged_or_on_sheet": [int(sheet.group(1)), int(sheet.group(2))] if sheet else None,
    "flagged_or_on_sheet_share": float(sheet.group(3)) if sheet else None,
    "lead_households_shown": [int(sheet.group(4)), int(sheet.group(5))] if sheet else None,
    "reliability_scored": [
        {"band": b[0], "pairs": int(b[1]), "predicted": float(b[2]), "measured": float(b[3]), "gap": float(b[4])}
        for b in reliability
    ] or None,
    "reliability_largest_gap": float(gap.group(1)) if gap else None,
    "stage_seconds": manifest["stage_seconds"],
    "candidate_pairs_per_rule": manifest["candidate_pairs_per_rule"],
    "machine": f"{os.cpu_count()} cores, {platform.machine()}",
}
json.dump(result, open(target, "w"), indent=2)
print(json.dumps({k: result[k] for k in ("variant", "size", "wall_seconds", "peak_rss_mb", "precision", "recall", "flagged_or_lead_share", "flagged_or_on_sheet_share", "lead_households_shown", "reliability_largest_gap", "false_positives", "false_negatives")}))
PY
}

for variant in "${variants[@]}"; do
  case "$which" in
    county) run_case county 20000 county-nightly "$variant" ;;
    province) run_case province 500000 province-campaign "$variant" ;;
    all) run_case county 20000 county-nightly "$variant"; run_case province 500000 province-campaign "$variant" ;;
    *) echo "usage: $0 [county|province|all] [variant ...]" >&2; exit 2 ;;
  esac
done
