//! A memory ceiling for a run. rollcheck holds its inputs in memory (about 2 KB per input
//! row at province scale, see BENCHMARKS.md); an input too large for the machine must end in
//! a clear error, not in swapping or the kernel's OOM killer. A watcher thread samples the
//! resident set size and, above the ceiling, stops the process with exit 65 and a message.
//! Nothing is lost by stopping: outputs are published only when complete, the lock dies with
//! the process, and the next run clears the abandoned staging directory.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // the resident size is read from /proc and the cgroup

use std::time::Duration;

/// How often the resident set size is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Parses `8G`, `512M`, `1.5GiB`, `2000000000` (bytes; K/M/G/T are powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 8G, 512M or 2000000000"))?;
    let scale: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use K, M, G or T)"
            ))
        }
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let bytes = (number * scale as f64) as u64;
    if bytes == 0 {
        return Err(format!("`{text}`: the memory limit must be above zero"));
    }
    Ok(bytes)
}

/// The default ceiling: 90% of what the machine (or the container's cgroup) can give now.
pub fn default_limit() -> Option<u64> {
    let available = meminfo_available();
    let cgroup = cgroup_limit();
    let limit = match (available, cgroup) {
        (Some(a), Some(c)) => a.min(c),
        (a, c) => a.or(c)?,
    };
    Some(limit / 10 * 9)
}

fn meminfo_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// cgroup v2 `memory.max` less what the group already uses ("max" means no limit).
fn cgroup_limit() -> Option<u64> {
    let max: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let current: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    Some(max.saturating_sub(current) + resident_bytes().unwrap_or(0))
}

/// This process's resident set size.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Starts the watcher: above `limit` bytes resident, prints why and exits with `code`.
/// Where the resident size cannot be read (not Linux), nothing is watched.
pub fn watch(limit: u64, explicit: bool, code: u8) {
    if resident_bytes().is_none() {
        tracing::warn!("cannot read this process's memory use; no memory ceiling");
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("memory-ceiling".into())
        .spawn(move || loop {
            std::thread::sleep(SAMPLE_EVERY);
            let used = resident_bytes().unwrap_or(0);
            if used > limit {
                let origin = if explicit {
                    "--max-memory"
                } else {
                    "the memory available when the run started (90%)"
                };
                eprintln!(
                    "error: stopped: rollcheck used {} of memory, more than {} allowed by {origin}. \
                     Nothing was written; the previous outputs are unchanged. The inputs are \
                     too large for this machine's memory: run on a larger machine, raise \
                     --max-memory if memory is free, or split the roll with `run --shard K/N`",
                    human(used),
                    human(limit),
                );
                std::process::exit(i32::from(code));
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "cannot start the memory watcher; no memory ceiling");
    }
}

/// Bytes as MB or GB for people.
fn human(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / f64::from(1 << 20);
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size(" 64 kb "), Ok(64 << 10));
        assert_eq!(parse_size("2000000000"), Ok(2_000_000_000));
        for bad in ["", "G", "8X", "-1G", "0"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resident_size_and_default_limit_are_plausible_here() {
        let used = resident_bytes().expect("Linux has /proc/self/statm");
        assert!(used > 1 << 20, "{used}");
        let limit = default_limit().expect("Linux has /proc/meminfo");
        assert!(limit > used, "{limit} vs {used}");
    }
}
