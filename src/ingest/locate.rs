//! Which files a source is read from. A source's `path` may name a file, a directory (every
//! `.csv`, `.csv.gz`, `.parquet` and `.xlsx` in it) or a pattern with `*` and `?` in its file
//! name (`roll/4115*.xlsx`); without a path it is `<base>/<source>.<ext>`, else the
//! directory `<base>/<source>/`. Files come sorted by name, so a run reads them in the same
//! order everywhere. A directory or pattern that matches nothing is an error naming it.

use std::path::{Path, PathBuf};

use super::IngestError;
use crate::config::{Pipeline, SourceSpec};
use crate::model::Source;

/// The endings of the files a source may be read from, in the order `<source>.<ext>` is tried.
pub(super) const EXTENSIONS: [&str; 4] = ["csv", "csv.gz", "parquet", "xlsx"];

/// Where a source's paths resolve: `data_dir` when given, else the pipeline's directory.
pub(super) fn base_dir(pipeline: &Pipeline, data_dir: Option<&Path>) -> PathBuf {
    data_dir.map_or_else(|| pipeline.base_dir(), Path::to_path_buf)
}

/// The files of one source, sorted by name.
pub(super) fn files(
    source: Source,
    spec: &SourceSpec,
    base: &Path,
) -> Result<Vec<PathBuf>, IngestError> {
    if let Some(path) = &spec.path {
        let path = if path.is_absolute() {
            path.clone()
        } else {
            base.join(path)
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref().is_some_and(is_pattern) {
            return matching(source, &path);
        }
        if path.is_dir() {
            return in_directory(source, &path);
        }
        return Ok(vec![path]);
    }
    let tried: Vec<PathBuf> = EXTENSIONS
        .iter()
        .map(|ext| base.join(format!("{}.{ext}", source.code())))
        .collect();
    if let Some(file) = tried.iter().find(|p| p.is_file()) {
        return Ok(vec![file.clone()]);
    }
    let directory = base.join(source.code());
    if directory.is_dir() {
        return in_directory(source, &directory);
    }
    if spec.optional {
        tracing::info!(source = source.code(), "optional source absent: no rows");
        return Ok(Vec::new());
    }
    let mut tried = tried;
    tried.push(directory);
    Err(IngestError::NotFound {
        source_name: source.code(),
        tried,
    })
}

fn is_pattern(name: &str) -> bool {
    name.contains(['*', '?'])
}

/// Whether a file's name ends as a source file does.
fn readable(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    !name.starts_with('.')
        && !name.starts_with("~$")
        && EXTENSIONS
            .iter()
            .any(|ext| name.ends_with(&format!(".{ext}")))
}

fn listed(source: Source, directory: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let entries = std::fs::read_dir(directory).map_err(|e| IngestError::Unreadable {
        path: directory.to_path_buf(),
        message: format!(
            "cannot list the directory of source `{}`: {e}",
            source.code()
        ),
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn in_directory(source: Source, directory: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let files: Vec<PathBuf> = listed(source, directory)?
        .into_iter()
        .filter(|p| readable(p))
        .collect();
    if files.is_empty() {
        return Err(IngestError::NothingMatches {
            source_name: source.code(),
            pattern: directory.to_path_buf(),
        });
    }
    Ok(files)
}

fn matching(source: Source, pattern: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let directory = pattern.parent().unwrap_or(Path::new("."));
    let wanted = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let files: Vec<PathBuf> = if directory.is_dir() {
        listed(source, directory)?
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| wildcard_match(&wanted, &n.to_string_lossy()))
            })
            .collect()
    } else {
        Vec::new()
    };
    if files.is_empty() {
        return Err(IngestError::NothingMatches {
            source_name: source.code(),
            pattern: pattern.to_path_buf(),
        });
    }
    Ok(files)
}

/// `*` matches any run of characters, `?` any one character; the rest matches itself.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_file_names() {
        assert!(wildcard_match("4115*.xlsx", "411526.xlsx"));
        assert!(wildcard_match("4115*.xlsx", "4115.xlsx"));
        assert!(!wildcard_match("4115*.xlsx", "411526.csv"));
        assert!(wildcard_match("part-??.csv", "part-01.csv"));
        assert!(!wildcard_match("part-??.csv", "part-1.csv"));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn a_directory_a_pattern_and_the_source_directory_are_read_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let roll = dir.path().join("roll");
        std::fs::create_dir(&roll).unwrap();
        for name in [
            "411526.csv",
            "411521.xlsx",
            "411502.parquet",
            "notes.txt",
            ".hidden.csv",
        ] {
            std::fs::write(roll.join(name), b"x").unwrap();
        }
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        let none = SourceSpec::default();
        assert_eq!(
            names(files(Source::Roll, &none, dir.path()).unwrap()),
            ["411502.parquet", "411521.xlsx", "411526.csv"]
        );
        let pattern = SourceSpec {
            path: Some(PathBuf::from("roll/4115*.xlsx")),
            ..SourceSpec::default()
        };
        assert_eq!(
            names(files(Source::Roll, &pattern, dir.path()).unwrap()),
            ["411521.xlsx"]
        );
        let nothing = SourceSpec {
            path: Some(PathBuf::from("roll/9*.csv")),
            ..SourceSpec::default()
        };
        let err = files(Source::Roll, &nothing, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("roll/9*.csv"), "{err}");
        let empty = dir.path().join("death");
        std::fs::create_dir(&empty).unwrap();
        let err = files(Source::Death, &none, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("death"), "{err}");
    }
}
