//! Analysts' outputs from a bloc run directory (design §4): a self-contained offline HTML
//! report with SVG charts drawn here in Rust (no script library, no network request), and a
//! comparison of two runs' headline indicators (terminal, CSV, HTML).
//!
//! Why SVG in Rust: the report must open on an air-gapped laptop and be byte-for-byte
//! reproducible from the same run directory; plain SVG text with fixed number formatting
//! gives both, and a reader's browser draws it without running any code.
#![deny(missing_docs)]

pub mod compare;
pub mod error;
pub mod headline;
pub mod report;
pub mod run;
pub mod svg;

pub use compare::Comparison;
pub use error::ReportError;
pub use report::{render, ReportOptions};
pub use run::Run;
