//! rollcheck: cross-matches social-assistance rolls against registries and flags households
//! for re-review. Stages run `config → ingest → normalize → link → rules → output`; `job`
//! strings them together and `cli` is the command line. See ARCHITECTURE.md.

pub mod cli;
pub mod config;
pub mod eval;
pub mod ingest;
pub mod inspect;
pub mod job;
pub mod link;
pub mod memory;
pub mod model;
pub mod normalize;
pub mod output;
pub mod review;
pub mod rules;
pub mod rundir;
pub mod synth;
