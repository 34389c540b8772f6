//! Read and validate a scenario (design §6) into an immutable [`Scenario`].
//!
//! A scenario is a TOML file that names CSV tables and declares policies; it may `extends`
//! another. Loading happens in two steps, so that every error can name its file, line and
//! field: first the raw TOML and CSV rows are read (`…Raw` types, with their positions), then
//! named `check_*` functions validate them into the domain types of [`model`]. Nothing is
//! solved here; a [`Scenario`] that loads is one the engine can run.
#![deny(missing_docs)]

mod error;
pub mod policy;
pub mod model;

pub use error::{Location, ScenarioError};
pub use model::*;
