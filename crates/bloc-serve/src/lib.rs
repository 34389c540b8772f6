//! `bloc serve`: the bloc secretariat's service.
//!
//! The engine simulates a bloc; this service runs one. Members report transaction prices
//! ([`reports`]); the secretariat publishes reference prices by a versioned methodology
//! ([`reference`]) and, from them, the floors and the adjustable levy schedule ([`schedule`]);
//! customs ask what an import owes ([`duty`]); the Project Vault stockpile keeps double-entry
//! books ([`ledger`]); a dashboard shows it all ([`dashboard`]).
//!
//! Everything the service knows about the bloc — members, frameworks, tariffs, transport,
//! floors, stockpiles — comes from a scenario read by `bloc_scenario::load`, and the levy is
//! the engine's own rule, `bloc_policy::floor::levy`: one implementation, not a copy.
//!
//! Storage is one SQLite file (WAL, `synchronous = FULL`: an acknowledged write survives a
//! crash of the process). Published rows are append-only, enforced by triggers.
#![deny(missing_docs)]

pub mod auth;
pub mod cli;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod duty;
pub mod error;
pub mod json;
pub mod ledger;
pub mod openapi;
pub mod reference;
pub mod reports;
pub mod schedule;
pub mod server;
pub mod util;

pub use server::{app, serve, serve_on, AppState, Limits, ServeConfig};
