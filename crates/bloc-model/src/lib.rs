//! The world over time: [`World::new`] indexes a validated scenario once, then each period
//! [`World::market`] states that period's market (capacities in service, demand grown to the
//! period, routes with their tariffs), the market is solved, and [`World::record`] turns the
//! outcome into result rows and remembers what the next period needs (prices, the routes that
//! carried goods). [`run`] drives the loop.
#![deny(missing_docs)]

pub mod accounts;
pub mod fleet;
pub mod headline;
mod indicators;
pub mod job;
mod origins;
pub mod projects;
pub mod scopes;
pub mod strategy;
mod world;

pub use job::{run_job, JobError, JobOutput, Which};
pub use world::{run, PeriodReport, Run, RunError, RunOptions, SolverChoice, World};
