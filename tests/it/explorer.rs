//! explorer.html in real headless Chromium (Playwright from `$ROLLCHECK_PYTHON`, driving the
//! system Chromium): filters set through the URL fragment and by clicking select what
//! `rollcheck query` selects, the CSV export is that selection with flags.csv's rows, the
//! drill-down shows masked IDs and comparison levels and nothing more, and the page fetches
//! nothing. With `ROLLCHECK_EXPLORER_SCREENSHOT=docs/explorer.png` it also saves the
//! README's screenshot (1366×768). The view 预警线索 opens from the fragment to the warnings
//! `query` selects, exports them with IDs masked, and no page shows a full ID.

use std::collections::BTreeSet;
use std::path::Path;

use rollcheck::synth::Variant;
use serde_json::{json, Value};

use crate::{fixture_as_of, query_rows, read_to_string, repo_path, run_synthetic_county};

/// Opens a browser that can reach nothing but local files and records what the page
/// requests and which errors it meets; a test's steps follow (`FLAG_STEPS`, `WARNING_STEPS`),
/// then `END`.
const PRELUDE: &str = r#"
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
"#;

const END: &str = r"
    browser.close()

print(json.dumps(seen))
";

/// The flags view: fragments, clicks, the export, a shared link, the drill-down.
const FLAG_STEPS: &str = r##"

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
"##;

/// The warnings view: fragments, the export, the page's text, and the county and township
/// following the analyst to the flags.
const WARNING_STEPS: &str = r##"
    def warnings():
        return {"count": int(page.text_content("#count")), "total": int(page.text_content("#total")),
                "hash": page.evaluate("location.hash"), "view": page.get_attribute("body", "data-view"),
                "rows": page.eval_on_selector_all("#warnings-body tr", "trs => trs.map(tr => tr.dataset.warning)")}

    for name, fragment in plan["fragments"].items():
        open_page("#" + fragment)
        seen[name] = warnings()
    open_page("#" + plan["export"])
    with page.expect_download() as download:
        page.click("#export")
    download.value.save_as(plan["csv"])
    seen["text"] = page.inner_text("body")
    open_page("#" + plan["to_flags"])
    page.click("#view-flags")
    seen["flags"] = {"count": int(page.text_content("#count")), "hash": page.evaluate("location.hash"),
                     "view": page.get_attribute("body", "data-view")}
"##;

/// Chromium and a Python with Playwright, or `None` once the test has said why it skips.
fn browser() -> Option<(String, String)> {
    let Some(chromium) = crate::installed_program(
        "ROLLCHECK_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    ) else {
        let reason = "Chromium is not installed; the explorer was not driven in a browser";
        crate::skip::because(crate::skip::Tool::Chromium, reason);
        return None;
    };
    let Ok(python) = std::env::var("ROLLCHECK_PYTHON") else {
        let reason = "ROLLCHECK_PYTHON is not set (.ci/run sets it); the explorer was not driven";
        crate::skip::because(crate::skip::Tool::Python, reason);
        return None;
    };
    let has_playwright = std::process::Command::new(&python)
        .args(["-c", "import playwright.sync_api"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_playwright {
        let reason = "the Python at ROLLCHECK_PYTHON has no playwright module";
        crate::skip::because(crate::skip::Tool::Python, reason);
        return None;
    }
    Some((chromium, python))
}

/// Runs `steps` in the browser with `plan` (which names the page's `url`) and returns what
/// they saw, after checking that nothing left the machine and nothing went wrong on the page.
fn drive(python: &str, steps: &str, plan: &Value) -> Value {
    let mut child = std::process::Command::new(python)
        .args(["-c", &format!("{PRELUDE}{steps}{END}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), plan).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Playwright driver failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
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
    seen
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

    let Some((chromium, python)) = browser() else {
        return;
    };

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
    let seen = drive(&python, FLAG_STEPS, &plan);

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
            !detail.contains(&*cleaned),
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

/// A run with three warnings (two `should_cover` off the roll, one `should_raise`) and no
/// flags.
const WARNINGS_CASE: &str = "fixtures/warnings/candidates_off_the_roll_and_their_decoys";

/// Fails if any full ID, or the birth date it holds, appears in `text`.
fn assert_no_full_id(what: &str, text: &str, ids: &[String]) {
    for id in ids {
        assert_eq!(id.len(), 18, "{id}");
        let birth = &id[6..14];
        let birth_dashed = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
        for shown in [id.as_str(), birth, &birth_dashed] {
            assert!(!text.contains(shown), "{what} shows `{shown}` (of {id})");
        }
    }
}

#[test]
fn explorer_shows_warnings_masked_in_their_own_view() {
    let dir = crate::temp_dir();
    let (case, out) = (repo_path(WARNINGS_CASE), dir.path().join("out"));
    let pipeline = rollcheck::config::Pipeline::load(&case.join("pipeline.toml")).unwrap();
    rollcheck::job::run(&pipeline, Some(&case), fixture_as_of(), &out).unwrap();
    let state = rollcheck::rundir::state_dir_of_run(&out);
    let warnings = |filter: &str| -> Vec<Vec<String>> {
        let sql = format!(
            "SELECT warning_id, person_key, name, region_code, warning FROM warnings {filter} \
             ORDER BY warning_id"
        );
        query_rows(&out, &state, &sql)
    };
    let all = warnings("");
    assert_eq!(all.len(), 3, "the case's warnings");
    let person_keys: Vec<String> = all.iter().map(|w| w[1].clone()).collect();

    // The page: masked IDs and warning ids, never a full ID or a birth date.
    let html = read_to_string(&out.join("explorer.html"));
    assert_no_full_id("explorer.html", &html, &person_keys);
    for warning in &all {
        let masked = rollcheck::normalize::mask_id(&warning[1]);
        assert!(
            html.contains(&masked) && html.contains(&warning[0]),
            "{masked} {}",
            warning[0]
        );
    }

    // The pseudonymised copy keeps the warnings, counted, without their names or ids.
    let key = dir.path().join("key");
    std::fs::write(&key, "an export key of enough bytes").unwrap();
    rollcheck::inspect::export_pseudonymized(&out, &key, &dir.path().join("export")).unwrap();
    let page = read_to_string(&dir.path().join("export/explorer.html"));
    assert_no_full_id("the pseudonymised explorer.html", &page, &person_keys);
    let pseudonymizer = rollcheck::inspect::Pseudonymizer::from_key_file(&key).unwrap();
    for warning in &all {
        let masked = rollcheck::normalize::mask_id(&warning[1]);
        for gone in [&warning[0], &warning[2], &masked] {
            assert!(
                !page.contains(gone.as_str()),
                "`{gone}` left in the pseudonymised page"
            );
        }
        assert!(page.contains(&pseudonymizer.pseudonym(&warning[0])));
    }

    let Some((chromium, python)) = browser() else {
        return;
    };
    let cover = warnings("WHERE warning = 'should_cover'");
    let township = &cover[0][3][..9];
    let in_township = warnings(&format!(
        "WHERE warning = 'should_cover' AND SUBSTR(region_code, 1, 9) = '{township}'"
    ));
    let disabled = warnings("WHERE signals LIKE '%severe_disability%'");
    let csv_path = dir.path().join("warnings-selection.csv");
    let plan = json!({
        "chromium": chromium,
        "url": format!("file://{}", out.join("explorer.html").display()),
        "fragments": {
            "all": "view=warnings",
            "cover": "view=warnings&warning=should_cover",
            "township": format!("view=warnings&township={township}&warning=should_cover"),
            "disabled": "view=warnings&signal=severe_disability",
        },
        "export": "view=warnings&signal=severe_disability",
        "csv": csv_path,
        "to_flags": format!("view=warnings&township={township}"),
    });
    let seen = drive(&python, WARNING_STEPS, &plan);
    for (name, expected) in [
        ("all", &all),
        ("cover", &cover),
        ("township", &in_township),
        ("disabled", &disabled),
    ] {
        let view = &seen[name];
        assert_eq!(
            view["view"], "warnings",
            "{name}: the warnings view is open"
        );
        assert_eq!(view["count"], json!(expected.len()), "{name}: #count");
        assert_eq!(view["total"], json!(all.len()), "{name}: #total");
        let ids: BTreeSet<&str> = expected.iter().map(|w| w[0].as_str()).collect();
        let shown: BTreeSet<&str> = view["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(shown, ids, "{name}: the table's warnings");
    }
    assert!(
        !in_township.is_empty() && in_township.len() < all.len(),
        "the township filter selects some warnings, not all"
    );
    let hash = seen["township"]["hash"].as_str().unwrap();
    assert!(
        hash.contains("view=warnings") && hash.contains(&format!("township={township}")),
        "the view and its filters live in the fragment: {hash}"
    );
    assert_no_full_id(
        "the page's text",
        seen["text"].as_str().unwrap(),
        &person_keys,
    );

    // The export of the severe disabilities: warnings.csv's rows with the masked ID
    // where that file has the person key.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the export starts with a BOM"
    );
    let (header, exported) = csv_records(&bytes[3..]);
    let warnings_csv = std::fs::read(out.join("warnings.csv")).unwrap();
    let (csv_header, csv_rows) = csv_records(&warnings_csv[3..]);
    let key_at = csv_header.iter().position(|c| c == "person_key").unwrap();
    let mut masked_header = csv_header.clone();
    masked_header[key_at] = "masked_id".into();
    assert_eq!(
        header, masked_header,
        "warnings.csv's columns, the ID masked"
    );
    let wanted: BTreeSet<&str> = disabled.iter().map(|w| w[0].as_str()).collect();
    let mut expected_rows: Vec<Vec<String>> = csv_rows
        .into_iter()
        .filter(|r| wanted.contains(r.last().unwrap().as_str()))
        .map(|mut r| {
            r[key_at] = rollcheck::normalize::mask_id(&r[key_at]);
            r
        })
        .collect();
    let mut exported_sorted = exported.clone();
    expected_rows.sort();
    exported_sorted.sort();
    assert_eq!(
        exported_sorted, expected_rows,
        "exported rows are warnings.csv's"
    );
    assert_no_full_id("the export", &String::from_utf8_lossy(&bytes), &person_keys);

    // To the flags: the township follows, #count counts flags (the case has none).
    let flags = &seen["flags"];
    assert_eq!(flags["view"], "flags");
    assert_eq!(
        flags["count"],
        json!(0),
        "#count counts the active view's rows"
    );
    assert_eq!(
        flags["hash"],
        json!(format!("#township={township}")),
        "the township follows the analyst to the flags"
    );
}
