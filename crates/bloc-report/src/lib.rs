//! Analysts' outputs from a bloc run directory (design §4): a self-contained offline HTML
//! report with SVG charts drawn here in Rust (no script library, no network request), and a
//! comparison of two runs' headline indicators (terminal, CSV, HTML).
//!
//! The report opens on the answer (the run's `summary.json`, see [`summary`]) and folds the
//! detail beneath it ([`report`]); its charts ([`svg`]) use compact numbers ([`format`]), a
//! colour-blind-safe palette that never repeats, and leave out what is zero throughout.
//!
//! Why SVG in Rust: the report must open on an air-gapped laptop and be byte-for-byte
//! reproducible from the same run directory; plain SVG text with fixed number formatting
//! gives both, and a reader's browser draws it without running any code.
#![deny(missing_docs)]

pub mod compare;
pub mod error;
pub mod format;
pub mod headline;
pub mod report;
pub mod run;
pub mod summary;
pub mod svg;

pub use compare::Comparison;
pub use error::ReportError;
pub use report::{render, ReportOptions};
pub use run::Run;
