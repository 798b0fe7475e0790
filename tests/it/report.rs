//! report.html: self-contained (nothing fetched), with the sections an analyst reads, and
//! rendering in headless Chromium without console errors where Chromium is installed.

use rollcheck::synth::Variant;

use crate::{read_to_string, run_synthetic_county};

fn chromium() -> Option<String> {
    crate::installed_program(
        "ROLLCHECK_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    )
}

#[test]
fn report_is_self_contained_and_renders() {
    let run = run_synthetic_county(600, 8, Variant::Hard);
    let (dir, out) = (&run.dir, &run.out);
    let html = read_to_string(&out.join("report.html"));

    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    let manifest = &run.summary.manifest;
    assert!(
        html.contains(&format!("as-of <b>{}</b>", manifest.as_of))
            && html.contains(&format!("<code>{}</code>", manifest.run_id)),
        "the header names the as-of date and the run"
    );
    for section in [
        "Flags by reason",
        "Flags by severity",
        "Flags by programme",
        "Flags over the last runs",
        "Townships by share",
        "Probabilistic match scores",
        "New high-severity flags",
        "Data quality",
    ] {
        assert!(html.contains(section), "missing section {section}");
    }
    // Nothing that would make a browser fetch anything.
    for forbidden in ["<script", "<link", " src=", "url(", "https://", "@import"] {
        assert!(
            !html.contains(forbidden),
            "report must not contain `{forbidden}`"
        );
    }
    let urls: Vec<&str> = html
        .match_indices("http://")
        .map(|(i, _)| &html[i..i + 26])
        .collect();
    assert!(
        urls.iter()
            .all(|u| u.starts_with("http://www.w3.org/2000/svg")),
        "{urls:?}"
    );

    let Some(chromium) = chromium() else {
        let reason = "Chromium is not installed; the render check did not run";
        return crate::skip::because(crate::skip::Tool::Chromium, reason);
    };
    let profile = dir.path().join("chromium-profile");
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(
        dom.contains("低保核查比对报告") && dom.contains("<svg"),
        "rendered DOM lacks the report"
    );
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:?}");
}

/// `[pipeline] province`: households whose region code lies outside it are a data-quality
/// finding in the report, and the run completes.
#[test]
fn region_codes_outside_the_province_are_a_data_quality_finding() {
    let run = crate::run_synthetic_county(200, 21, rollcheck::synth::Variant::Clean);
    let text = crate::read_to_string(&crate::repo_path("pipelines/county-nightly.toml"));
    for (province, outside) in [("41", 0), ("42", run.summary.households)] {
        let path = run.dir.path().join(format!("p{province}.toml"));
        std::fs::write(
            &path,
            text.replace(
                "[pipeline]\n",
                &format!("[pipeline]\nprovince = \"{province}\"\n"),
            ),
        )
        .unwrap();
        let pipeline = rollcheck::config::Pipeline::load(&path).unwrap();
        let out = run.dir.path().join(format!("out{province}"));
        rollcheck::job::run(&pipeline, Some(&run.data), crate::fixture_as_of(), &out).unwrap();
        let report = crate::read_to_string(&out.join("report.html"));
        assert!(
            report.contains(&format!("outside province {province}: <b>{outside}</b>")),
            "province {province}"
        );
    }
    let bad = run.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        text.replace("[pipeline]\n", "[pipeline]\nprovince = \"4\"\n"),
    )
    .unwrap();
    let err = rollcheck::config::Pipeline::load(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pipeline.province"), "{err}");
}

/// A run over two counties compares them: flags per 1,000 households by county, and each
/// county's flags over the recorded runs.
#[test]
fn a_multi_county_run_compares_its_counties() {
    let run = crate::run_synthetic_county(300, 22, rollcheck::synth::Variant::Clean);
    let roll = crate::read_to_string(&run.data.join("roll.csv"));
    // Every household whose id ends in an even digit moves to the neighbouring county.
    let moved: Vec<String> = roll
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let even = line
                .split(',')
                .next()
                .and_then(|h| h.chars().last())
                .and_then(|c| c.to_digit(10))
                .is_some_and(|d| d % 2 == 0);
            if i > 0 && even {
                line.replace(",411526", ",411521")
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(run.data.join("roll.csv"), moved.join("\n") + "\n").unwrap();
    let pipeline = crate::county_nightly();
    for as_of in [
        crate::fixture_as_of(),
        crate::fixture_as_of() + chrono::Days::new(1),
    ] {
        rollcheck::job::run(&pipeline, Some(&run.data), as_of, &run.out).unwrap();
    }
    let report = crate::read_to_string(&run.out.join("report.html"));
    assert!(
        report.contains("县区对比 County comparison"),
        "the comparison is shown"
    );
    assert!(report.contains("<td>411521</td>") && report.contains("<td>411526</td>"));
    assert!(report.contains("Flags per county over the recorded runs"));
    let review = run.out.join("review");
    assert!(
        review.join("411521").is_dir() && review.join("411526").is_dir(),
        "nested by county"
    );
}
