//! Integration tests: one binary, one module per concern.
#![allow(clippy::unwrap_used)]

mod bad_inputs;
mod cli;
mod crash;
mod fixtures;
mod generic_link;
mod privacy;
mod report;
mod review;
mod synthetic;
mod xlsx;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The as-of date every fixture is written against.
pub fn fixture_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_path(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// A fresh temporary directory for one test.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn read_to_string(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
