//! A test that cannot run here says so where the summary shows it. `because` appends one
//! line, `SKIPPED: <test> — <reason>`, to the file named by `ROLLCHECK_SKIP_LOG` (stdout is
//! captured for passing tests, a file is not), and `.ci/run` counts those lines as skipped
//! rather than passed. Where `.ci/run` verified a tool, it names it in
//! `ROLLCHECK_REQUIRE_TOOLS` (comma-separated), and a test missing that tool fails instead:
//! CI cannot go green on a check it never ran.

use std::io::Write as _;

/// What an optional check needs from outside the crate, by the name `.ci/run` uses for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `$ROLLCHECK_PYTHON` with pyarrow, `DuckDB` and openpyxl.
    Python,
    Chromium,
    LibreOffice,
    /// Permission to mount a small tmpfs.
    Tmpfs,
}

impl Tool {
    const ALL: [Tool; 4] = [Tool::Python, Tool::Chromium, Tool::LibreOffice, Tool::Tmpfs];

    fn name(self) -> &'static str {
        match self {
            Tool::Python => "python",
            Tool::Chromium => "chromium",
            Tool::LibreOffice => "libreoffice",
            Tool::Tmpfs => "tmpfs",
        }
    }
}

/// Records that the calling test could not run for want of `tool`, or panics where this run
/// requires `tool`. Call it as `return skip::because(..)`.
pub fn because(tool: Tool, reason: &str) {
    // libtest runs each test on a thread named after it (`module::test_name`).
    let current = std::thread::current();
    let test = current.name().unwrap_or("<unnamed test>");
    assert!(
        !required_tools().contains(&tool.name().to_string()),
        "{test}: ROLLCHECK_REQUIRE_TOOLS includes `{}` but the test cannot use it: {reason}",
        tool.name()
    );
    let line = format!("SKIPPED: {test} — {reason}");
    eprintln!("{line}");
    if let Some(log) = std::env::var_os("ROLLCHECK_SKIP_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("ROLLCHECK_SKIP_LOG {}: {e}", log.to_string_lossy()));
        // One write per line: appends from tests running in parallel do not interleave.
        file.write_all(format!("{line}\n").as_bytes())
            .unwrap_or_else(|e| panic!("ROLLCHECK_SKIP_LOG {}: {e}", log.to_string_lossy()));
    }
}

fn required_tools() -> Vec<String> {
    std::env::var("ROLLCHECK_REQUIRE_TOOLS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// A misspelt name in `.ci/run` would require nothing and let the test skip unseen.
#[test]
fn required_tools_are_ones_the_tests_know() {
    let known: Vec<&str> = Tool::ALL.iter().map(|tool| tool.name()).collect();
    for name in required_tools() {
        assert!(
            known.contains(&name.as_str()),
            "ROLLCHECK_REQUIRE_TOOLS names `{name}`; known: {known:?}"
        );
    }
}
