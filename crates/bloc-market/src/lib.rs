//! One period's market (design §1) as a separable convex QP, solved behind the [`QpSolver`]
//! trait, with the equilibrium self-check.
#![deny(missing_docs)]

mod clarabel_backend;
pub mod qp;

pub use clarabel_backend::ClarabelSolver;
pub use qp::{Col, QpProblem, QpSolution, QpSolver, Row, RowKind, SolveStatus, SolverError};
