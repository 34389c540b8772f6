//! What can go wrong reading a run directory or writing a report.

use std::path::PathBuf;

/// An error reading a run (or sweep) directory, or writing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file holds a row that does not fit its columns.
    #[error("{path}, line {line}{}: {message}", field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column at fault, when known.
        field: Option<String>,
        /// What is wrong and what would be right.
        message: String,
    },
    /// `run.json` is not valid JSON.
    #[error("{path}: not valid JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// The directory holds neither a run's `indicators.csv` nor a sweep's `bands.csv`.
    #[error("{dir}: not a run directory (no indicators.csv) nor a sweep directory (no bands.csv); give the directory `bloc run --out` wrote")]
    NotARun {
        /// The directory.
        dir: PathBuf,
    },
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }
}
