//! `rollcheck export --pseudonymize KEYFILE`: analyst copies of a run's tables in which every
//! household, member and record id is replaced by a keyed pseudonym (HMAC-SHA256), and
//! everything that names a person (evidence, quarantine) is left out. The same key gives the
//! same pseudonyms in every run, so cohorts can be followed across runs without identities.
//! The key comes from a file, never from a pipeline or the command line.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use polars::prelude::{Column, DataFrame, DataType};
use sha2::Sha256;

use crate::rundir::names::{col, EXPLORER, FLAGS_PARQUET, HOUSEHOLDS, MATCHES};
use crate::rundir::{self, publish, read, write_file, OutputError};

/// Shortest key we accept: 128 bits.
const MIN_KEY_BYTES: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: cannot read the key file: {message}")]
    Key { path: PathBuf, message: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Which columns of which table carry ids, and which carry names or raw cells.
const TABLES: [(&str, &[&str], &[&str]); 3] = [
    (
        FLAGS_PARQUET,
        &[col::HOUSEHOLD_ID, col::MEMBER_IDS, col::RECORD_IDS],
        // Reviewers are staff, named only inside the office.
        &[col::EVIDENCE, col::REVIEWER],
    ),
    (HOUSEHOLDS, &[col::HOUSEHOLD_ID], &[]),
    (
        MATCHES,
        &[col::HOUSEHOLD_ID, col::MEMBER_ID, col::RECORD_ID],
        &[],
    ),
];

/// A keyed pseudonym function.
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl Pseudonymizer {
    /// Reads the key: the file's bytes with surrounding whitespace trimmed.
    pub fn from_key_file(path: &Path) -> Result<Pseudonymizer, ExportError> {
        let key_error = |message: String| ExportError::Key {
            path: path.to_path_buf(),
            message,
        };
        let bytes = rundir::read_bytes(path).map_err(|e| key_error(e.to_string()))?;
        let key = bytes.trim_ascii();
        if key.len() < MIN_KEY_BYTES {
            return Err(key_error(format!(
                "the key has {} bytes; use at least {MIN_KEY_BYTES}",
                key.len()
            )));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| key_error(e.to_string()))?;
        Ok(Pseudonymizer { mac })
    }

    /// `p_` and the first 128 bits of HMAC-SHA256(key, value), in hex.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("p_{}", crate::config::hex(&digest[..16]))
    }

    /// Pseudonyms for a `;`-separated list, kept in the same order.
    fn pseudonym_list(&self, values: &str) -> String {
        values
            .split(';')
            .filter(|v| !v.is_empty())
            .map(|v| self.pseudonym(v))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Writes pseudonymised copies of a finished run's tables into `out`, atomically.
pub fn export_pseudonymized(
    run_dir: &Path,
    key_file: &Path,
    out: &Path,
) -> Result<usize, ExportError> {
    let pseudonymizer = Pseudonymizer::from_key_file(key_file)?;
    publish(out, "export", |staging| {
        let mut rows = 0;
        for (file, id_columns, dropped) in TABLES {
            let source = run_dir.join(file);
            let frame = read(&source)?;
            let mut frame = pseudonymize_frame(&frame, id_columns, dropped, &pseudonymizer)
                .map_err(|e| OutputError::write(&source, e))?;
            rows += frame.height();
            crate::rundir::write_frame(&staging.join(file), &mut frame)?;
        }
        let explorer = export_explorer(run_dir, staging, &pseudonymizer)?;
        let note = serde_json::json!({
            "source_run": run_dir.display().to_string(),
            "pseudonymized_columns": TABLES.iter().map(|(f, ids, _)| (f.to_string(), ids.to_vec())).collect::<Vec<_>>(),
            "dropped_columns": TABLES.iter().map(|(f, _, dropped)| (f.to_string(), dropped.to_vec())).collect::<Vec<_>>(),
            "method": "HMAC-SHA256 with a key held outside the pipeline; first 128 bits, hex, prefixed p_",
            "explorer": explorer.then_some(
                "explorer.html: household, member, record and warning ids pseudonymised; names, masked IDs, evidence and reviewers left out"
            ),
        });
        let note = serde_json::to_vec_pretty(&note).map_err(|e| OutputError::write(staging, e))?;
        write_file(&staging.join("export.json"), &note)?;
        Ok(rows)
    })
}

/// The run's explorer page, pseudonymised like the tables; `false` when the run has none
/// (runs from before the explorer).
fn export_explorer(
    run_dir: &Path,
    staging: &Path,
    pseudonymizer: &Pseudonymizer,
) -> Result<bool, OutputError> {
    let source = run_dir.join(EXPLORER);
    if !rundir::is_file(&source) {
        return Ok(false);
    }
    let html = rundir::read_bytes(&source)
        .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
        .map_err(|e| OutputError::read(&source, e))?;
    let page = crate::output::pseudonymized(&html, |id| pseudonymizer.pseudonym(id))
        .map_err(|e| OutputError::read(&source, e))?;
    write_file(&staging.join(EXPLORER), page.as_bytes())?;
    Ok(true)
}

fn pseudonymize_frame(
    frame: &DataFrame,
    id_columns: &[&str],
    dropped: &[&str],
    pseudonymizer: &Pseudonymizer,
) -> Result<DataFrame, String> {
    let mut columns = Vec::new();
    for column in frame.columns() {
        let name = column.name().as_str();
        if dropped.contains(&name) {
            continue;
        }
        if !id_columns.contains(&name) {
            columns.push(column.clone());
            continue;
        }
        let text = column.cast(&DataType::String).map_err(|e| e.to_string())?;
        let text = text.str().map_err(|e| e.to_string())?;
        let replaced: Vec<Option<String>> = text
            .iter()
            .map(|v| v.map(|s| pseudonymizer.pseudonym_list(s)))
            .collect();
        columns.push(Column::new(name.into(), replaced));
    }
    DataFrame::new_infer_height(columns).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests set up files
mod tests {
    use super::*;

    fn with_key(key: &str) -> Pseudonymizer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, key).unwrap();
        Pseudonymizer::from_key_file(&path).unwrap()
    }

    #[test]
    fn same_key_same_pseudonym_other_key_other() {
        let (a, b) = (
            with_key("0123456789abcdef0123"),
            with_key("another key of enough bytes"),
        );
        assert_eq!(
            a.pseudonym("H000123"),
            with_key("0123456789abcdef0123\n").pseudonym("H000123")
        );
        assert_ne!(a.pseudonym("H000123"), b.pseudonym("H000123"));
        assert_ne!(a.pseudonym("H000123"), a.pseudonym("H000124"));
        assert_eq!(a.pseudonym("H1").len(), 2 + 32);
        assert_eq!(a.pseudonym_list("M1;M2").split(';').count(), 2);
    }

    #[test]
    fn short_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "short").unwrap();
        assert!(Pseudonymizer::from_key_file(&path).is_err());
    }
}
