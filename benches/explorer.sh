#!/usr/bin/env bash
# Cohort explorer at province size: synthesises a province with about 100,000 flags, runs the
# shipped pipeline, and measures explorer.html's size (and where its bytes go: the embedded
# data by key), its first render in headless Chromium and the time of a filter change
# (Playwright from the CI venv, the system Chromium).
# Writes benches/results/explorer.json. Usage: benches/explorer.sh [HOUSEHOLDS]
# (default 1,250,000: the messy variant plants 8 flags per 100 households). ROLLCHECK_BINARY
# measures a binary already built (ROLLCHECK_BUILD names its profile for the results).
# Not a timed test: targets (issue 16) are < 25 MB, < 3 s first render, < 200 ms per filter.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcheck-target}"
export CARGO_INCREMENTAL=0
households="${1:-1250000}"
binary="${ROLLCHECK_BINARY:-$CARGO_TARGET_DIR/release/rollcheck}"
python="${ROLLCHECK_PYTHON:-$HOME/.cache/rollcheck-venv/bin/python}"
chromium="${ROLLCHECK_CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}"
"$python" -c 'import playwright.sync_api' 2>/dev/null \
  || { echo "Playwright is needed: $python -m pip install playwright" >&2; exit 1; }
[ -x "$chromium" ] || { echo "Chromium is needed: apt-get install chromium" >&2; exit 1; }
if [ -z "${ROLLCHECK_BINARY:-}" ]; then
  (cd "$root" && cargo build --release --locked --quiet)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benches/results"

echo "== synth: $households households"
"$binary" -q synth --households "$households" --seed 3 --variant messy --out "$work/data" > /dev/null
echo "== run"
start=$(date +%s.%N)
"$binary" -q run "$root/pipelines/province-campaign.toml" --data "$work/data" \
  --as-of 2025-06-30 --out "$work/out" > /dev/null
run_seconds=$(echo "$(date +%s.%N) - $start" | bc)

echo "== explorer.html in headless Chromium"
"$python" - "$work/out" "$chromium" "$households" "$run_seconds" "$binary" \
  "$root/benches/results/explorer.json" <<'PY'
import json, os, platform, statistics, subprocess, sys, time
from playwright.sync_api import sync_playwright

out, chromium, households, run_seconds, binary, target = sys.argv[1:7]
manifest = json.load(open(f"{out}/manifest.json"))
page_path = f"{out}/explorer.html"
size = os.path.getsize(page_path)
# Where the bytes go: each key of the data block, two levels down, as the page holds it.
html = open(page_path, encoding="utf-8").read()
opening = '<script type="application/json" id="explorer-data">'
start = html.index(opening) + len(opening)
block = html[start:html.index("</script>", start)]
def json_bytes(value):
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
bytes_by_key = {}
for key, value in json.loads(block).items():
    for sub, part in (value.items() if isinstance(value, dict) else [(None, value)]):
        bytes_by_key[key if sub is None else f"{key}.{sub}"] = json_bytes(part)
bytes_by_key = dict(sorted(bytes_by_key.items(), key=lambda kv: -kv[1]))
renders, changes, requests = [], [], []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=[
        "--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND"])
    for attempt in range(3):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        started = time.perf_counter()
        page.goto(f"file://{page_path}")
        page.wait_for_selector("body[data-ready=true]", timeout=60000)
        # The first render is done once the browser has painted the ready page.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        renders.append(time.perf_counter() - started)
        count = page.text_content("#count")
        if attempt == 0:
            # Filter changes by clicking: each toggles one option; the page records how long
            # its update took (select, counts, charts, table) in data-update-ms, and the wall
            # time includes Playwright's round trip and the repaint.
            for selector in ['input[data-dim="reason"][value="deceased_member"]',
                             'input[data-dim="severity"][value="medium"]',
                             'input[data-dim="reason"][value="deceased_member"]',
                             'input[data-dim="severity"][value="medium"]',
                             'input[data-dim="status"][value="new"]',
                             'input[data-dim="status"][value="new"]',
                             '#flags-head th[data-sort="score"]',
                             '#flags-head th[data-sort="household"]']:
                before = page.text_content("#count")
                started = time.perf_counter()
                page.click(selector)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                wall = time.perf_counter() - started
                changes.append({"action": selector, "update_ms": int(page.get_attribute("body", "data-update-ms")),
                                "wall_ms": round(wall * 1000), "count_before": int(before),
                                "count_after": int(page.text_content("#count"))})
        context.close()
    version = browser.version
    browser.close()

remote = [u for u in requests if not u.startswith(("file:", "data:", "blob:"))]
build = os.environ.get("ROLLCHECK_BUILD") or ("debug" if "/debug/" in binary else "release")
result = {
    "households": int(households), "flags": manifest["flags"], "build": build,
    "run_seconds": round(float(run_seconds), 1),
    "explorer_bytes": size, "explorer_mb": round(size / 1e6, 2),
    "data_bytes": len(block.encode()), "data_bytes_by_key": bytes_by_key,
    "first_render_seconds": [round(r, 3) for r in renders],
    "first_render_seconds_best": round(min(renders), 3),
    "filter_changes": changes,
    "filter_change_update_ms_max": max(c["update_ms"] for c in changes),
    "filter_change_wall_ms_median": statistics.median(c["wall_ms"] for c in changes),
    "filter_change_wall_ms_max": max(c["wall_ms"] for c in changes),
    "count_shown": int(count), "remote_requests": remote,
    "chromium": version, "machine": f"{os.cpu_count()} cores, {platform.machine()}",
}
json.dump(result, open(target, "w"), indent=2)
print(json.dumps({k: v for k, v in result.items() if k not in ("filter_changes", "data_bytes_by_key")},
                 indent=2))
print("largest parts of the data block:",
      ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in list(bytes_by_key.items())[:8]))
PY
