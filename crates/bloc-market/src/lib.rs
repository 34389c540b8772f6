//! One period's market (design §1) as a separable convex QP, solved behind the [`QpSolver`]
//! trait, with the equilibrium self-check.
//!
//! [`MarketProblem`] states the market (nodes, supply blocks, demand curves, routes with
//! their wedges, quotas); [`solve_market`] finds its equilibrium with a working set of routes
//! and a fixed point over price-dependent wedges; [`self_check`] verifies the answer.
#![deny(missing_docs)]

pub mod basic;
mod build;
mod check;
mod clarabel_backend;
pub mod curves;
mod degeneracy;
#[cfg(feature = "highs")]
mod highs_backend;
mod kkt;
pub mod mps;
pub mod problem;
pub mod qp;
mod solve;

pub use check::{self_check, SelfCheck, BOUND_TOLERANCE};
pub use clarabel_backend::ClarabelSolver;
pub use curves::{DemandCurve, Segment};
#[cfg(feature = "highs")]
pub use highs_backend::HighsSolver;
#[cfg(feature = "highs")]
pub use mps::highs_solve_mps_file;
pub use mps::write_mps;
pub use problem::{DemandBlock, Levy, MarketProblem, Node, Route, RouteCap, Subsidy, SupplyBlock};
pub use qp::{Col, QpProblem, QpSolution, QpSolver, Row, RowKind, SolveStatus, SolverError};
pub use solve::{
    natural_qp, solve_market, MarketOutcome, RouteStart, SolveOptions, Tolerances, WarmStart,
};
