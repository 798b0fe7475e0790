//! A run killed at any point leaves the previous complete outputs in place (or, once the
//! swap is done, the new complete ones), and the next run succeeds and cleans up.

use std::path::Path;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use rollcheck::synth::{self, SynthOptions, Variant};

use crate::{fixture_as_of, repo_path, temp_dir};

fn run_command(data: &Path, out: &Path, as_of: &str) -> std::process::Command {
    let mut command = std::process::Command::cargo_bin("rollcheck").unwrap();
    command
        .arg("-q")
        .arg("run")
        .arg(repo_path("pipelines/county-nightly.toml"))
        .arg("--data")
        .arg(data)
        .args(["--as-of", as_of, "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn run_to_completion(data: &Path, out: &Path, as_of: &str) {
    assert!(run_command(data, out, as_of).status().unwrap().success());
}

/// (sha256 of flags.csv, the manifest's as-of date): which complete run is on disk.
fn snapshot(out: &Path) -> (String, String) {
    let flags = rollcheck::config::hex_sha256(&std::fs::read(out.join("flags.csv")).unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    (flags, manifest["as_of"].as_str().unwrap().to_string())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A synthetic county in `<dir>/data`.
fn county(dir: &Path, households: usize, variant: Variant) -> std::path::PathBuf {
    let data = dir.join("data");
    let options = SynthOptions {
        households,
        seed: 2,
        variant,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    };
    synth::write_county(&options, &data).unwrap();
    data
}

/// Nothing but the outputs and the lock may remain beside them.
fn assert_no_leftovers(parent: &Path) {
    let names: Vec<String> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .filter(|n| n != ".out.lock" && !n.starts_with(".saved"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn killed_runs_never_leave_partial_outputs() {
    let dir = temp_dir();
    let data = county(dir.path(), 8000, Variant::Messy);
    let out = dir.path().join("out");
    // The previous run the kills must not hurt, and the new run as it is when it completes
    // on top of it (statuses depend on the history).
    run_to_completion(&data, &out, "2025-06-30");
    let old = snapshot(&out);
    let saved = dir.path().join("saved-old-run");
    copy_dir(&out, &saved);
    let reference = dir.path().join("reference");
    copy_dir(&saved, &reference);
    run_to_completion(&data, &reference, "2025-07-31");
    let (new_flags, _) = snapshot(&reference);

    let mut outcomes = Vec::new();
    for delay_ms in [50, 300, 800, 1500, 2200, 2600, 3200] {
        let mut child = run_command(&data, &out, "2025-07-31").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // The next run's lock takes over and recovers; until then, look at what is on disk.
        let on_disk = if out.exists() {
            Some(snapshot(&out))
        } else {
            None
        };
        if let Some(state) = &on_disk {
            assert!(
                *state == old || state.0 == new_flags,
                "after a kill at {delay_ms} ms: a partial run"
            );
        }
        outcomes.push((delay_ms, on_disk.as_ref().map(|s| s.1.clone())));
        // The next run recovers whatever the kill left and completes.
        let lock = rollcheck::rundir::acquire_lock(&out).unwrap();
        let recovered = snapshot(&out);
        assert!(
            recovered == old || recovered.0 == new_flags,
            "after recovery from a kill at {delay_ms} ms"
        );
        drop(lock);
        assert_no_leftovers(dir.path());
        // Put the old run back for the next kill.
        std::fs::remove_dir_all(&out).unwrap();
        copy_dir(&saved, &out);
    }
    eprintln!("kill outcomes (delay ms, as-of on disk): {outcomes:?}");
}

#[test]
fn a_crash_between_moving_the_old_run_aside_and_renaming_the_new_one_is_recovered() {
    let dir = temp_dir();
    let data = county(dir.path(), 300, Variant::Clean);
    let out = dir.path().join("out");
    run_to_completion(&data, &out, "2025-06-30");
    let old = snapshot(&out);
    for point in ["staging", "swap"] {
        let status = run_command(&data, &out, "2025-07-31")
            .env("ROLLCHECK_CRASH_AT", point)
            .status()
            .unwrap();
        assert!(!status.success(), "the crash hook `{point}` fired");
        // Whatever the crash left, the next run starts by putting the last complete run back.
        let lock = rollcheck::rundir::acquire_lock(&out).unwrap();
        assert_eq!(snapshot(&out), old, "after a crash at `{point}`");
        drop(lock);
        assert_no_leftovers(dir.path());
    }
    run_to_completion(&data, &out, "2025-07-31");
    assert_eq!(snapshot(&out).1, "2025-07-31");
    assert_no_leftovers(dir.path());
}

/// A small tmpfs mounted for one test, unmounted when dropped; `None` where this process may
/// not mount (not root, or a sandbox without mount), and the test says it skipped.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| SmallDisk {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
    }
}

/// Fills the disk holding `dir` with one file, up to the last byte.
fn fill(dir: &Path) -> std::path::PathBuf {
    use std::io::Write as _;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    for _ in 0..64 {
        let _ = file.write_all(&[0u8; 1024]);
    }
    path
}

#[test]
fn a_full_disk_is_a_clear_error_that_keeps_the_previous_run() {
    let dir = temp_dir();
    let data = county(dir.path(), 300, Variant::Clean);
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), "4m") else {
        return crate::skip::because(crate::skip::Tool::Tmpfs, "cannot mount a tmpfs here");
    };
    let out = disk.path.join("out");
    run_to_completion(&data, &out, "2025-06-30");
    let before = snapshot(&out);
    let filler = fill(&disk.path);

    let output = run_command(&data, &out, "2025-07-31")
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(73), "{stderr}");
    assert!(
        stderr.contains("the disk is full") && stderr.contains("previous outputs are unchanged"),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before, "the previous run is still in place");
    assert_no_leftovers(&disk.path);

    std::fs::remove_file(filler).unwrap();
    run_to_completion(&data, &out, "2025-07-31");
    assert_eq!(snapshot(&out).1, "2025-07-31");
}

#[test]
fn a_run_over_the_memory_ceiling_stops_with_a_clear_error_and_keeps_the_previous_run() {
    let dir = temp_dir();
    let data = county(dir.path(), 2000, Variant::Clean);
    let out = dir.path().join("out");
    run_to_completion(&data, &out, "2025-06-30");
    let before = snapshot(&out);
    // 40 MB: more than the process needs to start, far less than 2,000 households need.
    let output = run_command(&data, &out, "2025-07-31")
        .arg("--max-memory")
        .arg("40M")
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("more than 40 MB allowed by --max-memory")
            && stderr.contains("previous outputs are unchanged"),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before);
    // The next run cleans up after the stopped one and completes within a sane ceiling.
    let completed = run_command(&data, &out, "2025-07-31")
        .args(["--max-memory", "4G"])
        .status()
        .unwrap();
    assert!(completed.success());
    assert_eq!(snapshot(&out).1, "2025-07-31");
    assert_no_leftovers(dir.path());
    let refused = run_command(&data, &out, "2025-07-31")
        .args(["--max-memory", "lots"])
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("`lots` is not a size"));
}
