//! Read and validate a scenario (design §6) into an immutable [`Scenario`].
//!
//! A scenario is a TOML file that names CSV tables and declares policies; it may `extends`
//! another. Loading happens in two steps, so that every error can name its file, line and
//! field: first the raw TOML and CSV rows are read (`…Raw` types, with their positions), then
//! named `check_*` functions validate them into the domain types of [`model`]. Nothing is
//! solved here; a [`Scenario`] that loads is one the engine can run.
//!
//! ```no_run
//! let scenario = bloc_scenario::load(std::path::Path::new("scenarios/world")).unwrap();
//! println!("{} periods from {}", scenario.time.periods, scenario.time.label(0));
//! ```
#![deny(missing_docs)]

pub mod dynamics;
mod error;
mod load;
pub mod model;
pub mod policy;
mod source;
pub mod strategy;
pub mod uncertain;

pub use error::{Location, ScenarioError};
pub use load::{
    change_file_name, load, load_from, load_sample, load_with_changes, load_with_uncertain,
    with_changes, SCENARIO_FILE,
};
pub use model::*;
pub use source::{Disk, Embedded, FileSource, Layered};
pub use strategy::{Against, Measure, Objective, Strategy, StrategyInstrument};
