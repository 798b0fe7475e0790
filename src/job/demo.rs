//! `rollcheck demo`: a synthetic county is written, `pipelines/county-nightly.toml` runs on
//! it, and its flags are scored against the planted truth.

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;

use super::{run, timed, JobError, Timed};
use crate::config::Pipeline;
use crate::synth::{self, SynthOptions, Variant, Written};

/// The shipped pipeline, for a binary installed without the source tree.
const COUNTY_NIGHTLY: &str = include_str!("../../pipelines/county-nightly.toml");

/// Synthesises a county into `root/data`, runs the nightly pipeline on it into `root/out`
/// and scores the flags. Each step's report goes to `show` as soon as the step is done.
pub fn demo(
    households: usize,
    seed: u64,
    variant: Variant,
    root: &Path,
    show: &mut dyn FnMut(&dyn fmt::Display),
) -> Result<(), JobError> {
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).expect("a fixed, real date");
    let (data_dir, out_dir) = (root.join("data"), root.join("out"));
    let options = SynthOptions {
        households,
        seed,
        variant,
        as_of,
        mix: crate::synth::Mix::default(),
    };
    show(&timed(|| synth::write_county(&options, &data_dir))?);
    let pipeline = county_nightly()?;
    show(&timed(|| run(&pipeline, Some(&data_dir), as_of, &out_dir))?);
    let scores = crate::eval::evaluate_files(
        &data_dir.join("truth.csv"),
        &out_dir.join(crate::rundir::names::FLAGS_CSV),
    )?;
    show(&format_args!(
        "\naccuracy against the planted truth:\n{scores}"
    ));
    Ok(())
}

/// `pipelines/county-nightly.toml` from the source tree, else the text shipped inside.
fn county_nightly() -> Result<Pipeline, JobError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/county-nightly.toml");
    match Pipeline::load(&path) {
        Ok(pipeline) => Ok(pipeline),
        Err(_) => Ok(Pipeline::parse(
            COUNTY_NIGHTLY,
            Path::new("county-nightly.toml"),
        )?),
    }
}

/// The county written, and how long it took.
impl fmt::Display for Timed<Written> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "synthesised {} households ({} roll rows) in {:.2} s",
            self.outcome.households, self.outcome.members, self.seconds
        )
    }
}
