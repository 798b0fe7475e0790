//! The inspection commands over a finished run: `explain` (one household's flags and the
//! comparisons behind them), `query` (SQL over the run's tables and history) and `export`
//! (pseudonymised copies for analysts).

mod explain;
mod export;
mod history;
mod query;

pub use explain::explain;
pub use export::{export_pseudonymized, ExportError, Pseudonymizer};
pub use history::{diff, history_table};
pub use query::{query, write_query_result, QueryError};
