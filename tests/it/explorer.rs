//! explorer.html in real headless Chromium (Playwright from `$ROLLCHECK_PYTHON`, driving the
//! system Chromium): filters set through the URL fragment and by clicking select what
//! `rollcheck query` selects, the CSV export is that selection with flags.csv's rows, the
//! drill-down shows masked IDs and comparison levels and nothing more, and the page fetches
//! nothing. With `ROLLCHECK_EXPLORER_SCREENSHOT=docs/explorer.png` it also saves the
//! README's screenshot (1366×768).

use std::collections::BTreeSet;
use std::path::Path;

use rollcheck::synth::Variant;
use serde_json::{json, Value};

use crate::{query_rows, read_to_string, run_synthetic_county};

/// Drives the page through one plan and prints what it saw as JSON.
const DRIVER: &str = r##"
import json, sys
from playwright.sync_api import sync_playwright

plan = json.load(sys.stdin)
seen = {"requests": [], "errors": []}
LOCAL = ("file:", "data:", "blob:")

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path=plan["chromium"],
        args=["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
              "--disable-component-update"])
    context = browser.new_context(viewport={"width": 1366, "height": 768},
                                  accept_downloads=True, locale="zh-CN")
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(LOCAL) else route.abort())
    page = context.new_page()
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)

    def open_page(fragment):
        page.goto("about:blank")
        page.goto(plan["url"] + fragment)
        page.wait_for_selector("body[data-ready=true]")

    def rows():
        """(household, reason code) of every row on every page of the table."""
        found = []
        if not page.is_disabled("#first-page"):
            page.click("#first-page")
        while True:
            found += page.eval_on_selector_all(
                "#flags-body tr",
                "trs => trs.map(tr => [tr.dataset.household, tr.children[3].title])")
            if page.is_disabled("#next-page"):
                return found
            page.click("#next-page")

    def view():
        return {"count": int(page.text_content("#count")), "rows": rows(),
                "hash": page.evaluate("location.hash")}

    open_page("#" + plan["fragment"])
    seen["fragment"] = view()
    open_page("#" + plan["fragment_12"])
    seen["fragment_12"] = view()

    page.click("#reset")
    for dim, value in plan["clicks"]:
        page.check('input[data-dim="%s"][value="%s"]' % (dim, value))
    seen["clicked"] = view()
    with page.expect_download() as download:
        page.click("#export")
    download.value.save_as(plan["csv"])

    # The bookmarked view opens to the same selection.
    open_page(seen["clicked"]["hash"])
    seen["shared"] = view()

    open_page("#" + plan["drill_fragment"])
    row = '#flags-body tr[data-household="%s"]' % plan["drill_household"]
    while page.locator(row).count() == 0 and not page.is_disabled("#next-page"):
        page.click("#next-page")
    seen["drilled"] = page.locator(row).first.get_attribute("data-household")
    page.locator(row).first.click()
    page.wait_for_selector("#detail:not([hidden])")
    seen["detail"] = page.inner_text("#detail")
    seen["levels"] = page.eval_on_selector_all("#detail td.level", "tds => tds.map(t => t.textContent)")
    seen["detail_hash"] = page.evaluate("location.hash")

    open_page("")
    page.screenshot(path=plan["screenshot"])
    browser.close()

print(json.dumps(seen))
"##;

fn chromium() -> Option<String> {
    crate::installed_program(
        "ROLLCHECK_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    )
}

fn keys_of(rows: &[Vec<String>]) -> BTreeSet<(String, String)> {
    rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect()
}

fn seen_keys(view: &Value) -> Vec<(String, String)> {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect()
}

/// Checks one view of the page against the query's `(household_id, reason)` rows.
fn assert_view(what: &str, view: &Value, expected: &[Vec<String>]) {
    assert!(
        !expected.is_empty(),
        "{what}: choose filters that select something"
    );
    assert_eq!(view["count"], json!(expected.len()), "{what}: #count");
    let shown = seen_keys(view);
    assert_eq!(shown.len(), expected.len(), "{what}: table rows");
    assert_eq!(
        shown.into_iter().collect::<BTreeSet<_>>(),
        keys_of(expected),
        "{what}: the table's flags"
    );
}

fn csv_records(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The roll's ID numbers by member, as written (UTF-8 or GB18030).
fn roll_ids(data: &Path) -> Vec<(String, String, String)> {
    let bytes = std::fs::read(data.join("roll.csv")).unwrap();
    let text = match String::from_utf8(bytes.clone()) {
        Ok(text) => text,
        Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
    };
    // The hard variant plants rows with a wrong field count: quarantined, not ours to check.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 5)
        .map(|r| (r[0].to_string(), r[2].to_string(), r[4].to_string()))
        .collect()
}

#[test]
fn explorer_filters_exports_and_drills_down_like_query() {
    let run = run_synthetic_county(600, 8, Variant::Hard);
    let (out, dir) = (&run.out, run.dir.path());
    let state = std::path::PathBuf::from(&run.summary.manifest.state_dir);
    let html = read_to_string(&out.join("explorer.html"));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains(r#"id="count""#));
    for forbidden in ["<link", " src=", "url(", "https://", "@import"] {
        assert!(
            !html.contains(forbidden),
            "explorer must not contain `{forbidden}`"
        );
    }

    let Some(chromium) = chromium() else {
        let reason = "Chromium is not installed; the explorer was not driven in a browser";
        return crate::skip::because(crate::skip::Tool::Chromium, reason);
    };
    let Ok(python) = std::env::var("ROLLCHECK_PYTHON") else {
        let reason = "ROLLCHECK_PYTHON is not set (.ci/run sets it); the explorer was not driven";
        return crate::skip::because(crate::skip::Tool::Python, reason);
    };
    let has_playwright = std::process::Command::new(&python)
        .args(["-c", "import playwright.sync_api"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_playwright {
        let reason = "the Python at ROLLCHECK_PYTHON has no playwright module";
        return crate::skip::because(crate::skip::Tool::Python, reason);
    }

    // Filters that select something: the two commonest reasons in the commonest township.
    let by_reason = query_rows(
        out,
        &state,
        "SELECT reason, COUNT(*) AS n FROM flags GROUP BY reason ORDER BY n DESC, reason",
    );
    let (reason_a, reason_b) = (&by_reason[0][0], &by_reason[1][0]);
    let township = &query_rows(
        out,
        &state,
        &format!(
            "SELECT SUBSTR(region_code, 1, 9) AS township, COUNT(*) AS n FROM flags \
             WHERE reason IN ('{reason_a}', '{reason_b}') GROUP BY SUBSTR(region_code, 1, 9) \
             ORDER BY n DESC, township"
        ),
    )[0][0];
    let fragment_sql = format!(
        "SELECT household_id, reason FROM flags WHERE reason IN ('{reason_a}', '{reason_b}') \
         AND SUBSTR(region_code, 1, 9) = '{township}'"
    );
    let clicked_sql = "SELECT household_id, reason FROM flags WHERE severity = 'high' \
                       AND programme IN ('dibao_rural', 'tekun')";
    // A household with a probabilistic match behind one of its flags.
    let drill = query_rows(
        out,
        &state,
        "SELECT f.household_id, f.reason FROM flags f JOIN matches m \
         ON m.household_id = f.household_id WHERE m.record_id = f.record_ids \
         AND m.method = 'probabilistic' ORDER BY f.household_id",
    );
    let (drill_household, drill_reason) = (&drill[0][0], &drill[0][1]);

    let csv_path = dir.join("selection.csv");
    let screenshot = dir.join("explorer.png");
    let plan = json!({
        "chromium": chromium,
        "url": format!("file://{}", out.join("explorer.html").display()),
        "fragment": format!("reason={reason_a},{reason_b}&township={township}"),
        "fragment_12": format!("reason={reason_a},{reason_b}&township={township}000"),
        "clicks": [["severity", "high"], ["programme", "dibao_rural"], ["programme", "tekun"]],
        "csv": csv_path,
        "drill_fragment": format!("reason={drill_reason}&sort=household"),
        "drill_household": drill_household,
        "screenshot": screenshot,
    });
    let mut child = std::process::Command::new(&python)
        .args(["-c", DRIVER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &plan).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Playwright driver failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();

    // Nothing left the machine and nothing went wrong on the page.
    let requests: Vec<&str> = seen["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(!requests.is_empty(), "the driver records requests");
    // blob: is the CSV the page made in memory for the download.
    let remote: Vec<&&str> = requests
        .iter()
        .filter(|url| {
            !["file:", "data:", "blob:"]
                .iter()
                .any(|s| url.starts_with(s))
        })
        .collect();
    assert!(remote.is_empty(), "the page fetched {remote:?}");
    assert_eq!(seen["errors"], json!([]), "page errors");

    // Filters from the fragment (9- and 12-digit townships) and by clicking.
    let expected = query_rows(out, &state, &fragment_sql);
    assert_view("fragment", &seen["fragment"], &expected);
    assert_view(
        "fragment with a 12-digit township",
        &seen["fragment_12"],
        &expected,
    );
    let expected_clicked = query_rows(out, &state, clicked_sql);
    assert_view("clicked", &seen["clicked"], &expected_clicked);
    let hash = seen["clicked"]["hash"].as_str().unwrap();
    assert!(
        hash.contains("severity=high") && hash.contains("programme=dibao_rural,tekun"),
        "the clicked filters live in the fragment: {hash}"
    );
    assert_view("the shared link", &seen["shared"], &expected_clicked);

    // The export: UTF-8 with BOM, flags.csv's columns, and flags.csv's rows of the selection.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the export starts with a BOM"
    );
    let (header, exported) = csv_records(&bytes[3..]);
    let flags_csv = std::fs::read(out.join("flags.csv")).unwrap();
    let (flags_header, all_rows) = csv_records(&flags_csv[3..]);
    assert_eq!(header, flags_header, "the export has flags.csv's columns");
    let wanted = keys_of(&expected_clicked);
    let reason_at = header.iter().position(|c| c == "reason").unwrap();
    let mut expected_rows: Vec<Vec<String>> = all_rows
        .into_iter()
        .filter(|r| wanted.contains(&(r[0].clone(), r[reason_at].clone())))
        .collect();
    let mut exported_sorted = exported.clone();
    expected_rows.sort();
    exported_sorted.sort();
    assert_eq!(
        exported.len(),
        expected_clicked.len(),
        "one exported row per selected flag"
    );
    assert_eq!(
        exported_sorted, expected_rows,
        "exported rows are flags.csv's"
    );

    // The drill-down: masked IDs of the household's members, never a full ID or birth date,
    // and the comparison levels of the matches behind its flags.
    let household = seen["drilled"].as_str().unwrap();
    let detail = seen["detail"].as_str().unwrap();
    assert!(detail.contains(household), "{detail}");
    assert!(
        seen["detail_hash"]
            .as_str()
            .unwrap()
            .contains(&format!("household={household}")),
        "the open household is in the fragment"
    );
    let members: Vec<(String, String, String)> = roll_ids(&run.data)
        .into_iter()
        .filter(|(h, _, _)| h == household)
        .collect();
    assert!(!members.is_empty(), "{household} is on the roll");
    // As in the workbooks: the head of household and the members the flags name.
    let named: BTreeSet<String> = query_rows(
        out,
        &state,
        &format!("SELECT member_ids FROM flags WHERE household_id = '{household}'"),
    )
    .iter()
    .flat_map(|r| r[0].split(';').map(str::to_string).collect::<Vec<_>>())
    .collect();
    let mut masked_shown = 0;
    for (_, member_id, raw_id) in &members {
        let shown = detail.contains(member_id.as_str());
        assert!(
            shown || !named.contains(member_id),
            "{member_id} missing: {detail}"
        );
        let cleaned = rollcheck::normalize::normalize_id(Some(raw_id)).cleaned;
        if cleaned.len() != 18 {
            continue;
        }
        let masked = rollcheck::normalize::mask_id(&cleaned);
        assert!(
            !shown || detail.contains(&masked),
            "masked ID {masked} missing: {detail}"
        );
        masked_shown += usize::from(shown);
        assert!(
            !detail.contains(&cleaned),
            "full ID {cleaned} shown: {detail}"
        );
        let birth = &cleaned[6..14];
        let birth_dashed = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
        assert!(
            !detail.contains(birth) && !detail.contains(&birth_dashed),
            "birth date {birth} shown: {detail}"
        );
    }
    assert!(masked_shown > 0, "no masked ID shown: {detail}");
    let levels = query_rows(
        out,
        &state,
        &format!(
            "SELECT m.id_level, m.name_level, m.birth_date_level FROM matches m JOIN flags f \
             ON m.household_id = f.household_id WHERE m.record_id = f.record_ids \
             AND f.household_id = '{household}'"
        ),
    );
    assert!(!levels.is_empty(), "{household} has a match behind a flag");
    let shown: Vec<&str> = seen["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    for level in levels.iter().flatten() {
        assert!(
            shown.contains(&level.as_str()),
            "level {level} not shown: {shown:?}"
        );
    }

    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a screenshot was taken");
    if let Some(target) = std::env::var_os("ROLLCHECK_EXPLORER_SCREENSHOT") {
        std::fs::write(crate::repo_root().join(target), png).unwrap();
    }
}

#[test]
fn pseudonymized_export_writes_an_explorer_without_names_or_ids() {
    let run = run_synthetic_county(300, 9, Variant::Clean);
    let key = run.dir.path().join("key");
    std::fs::write(&key, "an export key of enough bytes").unwrap();
    let export = run.dir.path().join("export");
    rollcheck::inspect::export_pseudonymized(&run.out, &key, &export).unwrap();
    let page = read_to_string(&export.join("explorer.html"));
    assert!(page.contains("假名化副本") && page.contains(r#"id="count""#));
    let flag = &run.summary.flags[0].flag;
    assert!(
        !page.contains(&flag.household_id),
        "household id left in the page"
    );
    for (household_id, member_id, raw_id) in roll_ids(&run.data) {
        if household_id != flag.household_id {
            continue;
        }
        let cleaned = rollcheck::normalize::normalize_id(Some(&raw_id)).cleaned;
        assert!(
            !page.contains(&member_id),
            "member id {member_id} left in the page"
        );
        assert!(
            !page.contains(&rollcheck::normalize::mask_id(&cleaned)),
            "masked ID left in the page"
        );
    }
    assert!(!page.contains(&flag.evidence), "evidence left in the page");
    let pseudonym = rollcheck::inspect::Pseudonymizer::from_key_file(&key)
        .unwrap()
        .pseudonym(&flag.household_id);
    assert!(
        page.contains(&pseudonym),
        "the household's pseudonym is in the page"
    );
}
