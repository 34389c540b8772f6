//! Errors that name the file, the line and the field.

use std::fmt;
use std::path::PathBuf;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file (as given, or resolved from the scenario).
    pub file: PathBuf,
    /// 1-based line in that file, where known.
    pub line: Option<usize>,
    /// The column or key, where known.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        Ok(())
    }
}

/// A scenario that cannot be run, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The input is wrong at a known place: `file:line: field `x`: what is wrong; what would be right`.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong and what would be right.
        message: String,
    },
    /// A file could not be read at all.
    #[error("{}: cannot read: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
}

impl ScenarioError {
    /// An error at a place.
    pub fn invalid(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ScenarioError::Invalid {
            at: Location {
                file: file.into(),
                line,
                field: field.map(str::to_string),
            },
            message: message.into(),
        }
    }
}
