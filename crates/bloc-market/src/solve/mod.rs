//! Solving one period: the QP inside two loops that end together.
//!
//! * **Working set of routes** (design §7): at equilibrium few routes carry goods, so the QP
//!   holds only a working set; after each solve any route whose price gap exceeds its wedge
//!   (transport + tariff + levy, less any quota rent) joins, and the QP is solved again. The
//!   answer is exact: it ends only when no route outside the set would carry goods.
//! * **Price-dependent wedges**: an ad valorem tariff (on origin price + transport) and a
//!   lag-0 levy (`floor − landed price`) depend on the origin price, which is a dual of the
//!   same QP. They are found as a fixed point: solve with the wedges fixed, recompute them from
//!   the prices, repeat. Each route's wedge is updated by a safeguarded secant step on
//!   g(ω) = ω_new(p(ω)) − ω (a plain substitution when the residual grew or a step left
//!   the allowed range), which converges in a few solves where plain substitution crawls at
//!   the rate of the lagged levy path. Convergence is declared when every wedge moves by less
//!   than [`Tolerances::wedge`] × the commodity's price scale (or, once answers are
//!   polished and the residual has stopped falling, by less than 1e-7 of it); after
//!   [`Tolerances::max_rounds`] solves the outcome says it did not converge (a status,
//!   reported in `run.json` and on stderr, not a crash).
//!
//! Each round starts from the best answer known: last period's (or the previous round's)
//! exact answer gives an active set, solved exactly and checked optimal ([`crate::kkt`]);
//! failing that, the same from [`SolveOptions::guide`] (in a sweep, the same period of the
//! scenario as written); failing that, the QP solver on only the columns the known answer
//! is unsure about, polished and checked optimal for the whole problem; and only then the
//! QP solver on the whole problem. Every path ends in the same check, so the start changes
//! the time, not the answer.
//!
//! Prices of nodes that carry nothing are not pinned by the QP (any value in an interval is a
//! dual). They are reported as the cost of the first tonne delivered there (the cheapest of
//! producing it and bringing it in), which is the upper end of that interval, satisfies every
//! equilibrium condition, and is the price the node would show the moment it starts to trade.
//!
//! Where each part lives:
//!
//! | module | holds |
//! |---|---|
//! | this one | [`SolveOptions`], [`RouteStart`] and [`solve_market`] |
//! | `search` | the driver loop: `Search`, its named steps (answer, polish, price the routes, judge, step the wedges) and its `Phase` |
//! | `warm` | [`WarmStart`] (an answer carried between periods) and the near solve around it |
//! | `fixed_point` | the safeguarded secant fixed point over wedges and supports |
//! | `polish` | polishing an interior-point answer onto its active set |
//! | `active_set` | the active-set search, its correction step and the optimality test |
//! | `prices` | prices from duals, quota rents, and the first-tonne price of idle nodes |
//! | `outcome` | [`MarketOutcome`], its assembly from the last solve, and [`natural_qp`] |
//! | `tolerances` | [`Tolerances`]: every tolerance and round limit of the search, with defaults and `validate` |

mod active_set;
mod fixed_point;
mod outcome;
mod polish;
mod prices;
mod search;
mod tolerances;
mod warm;

pub use outcome::{natural_qp, MarketOutcome};
pub use warm::WarmStart;

use crate::problem::MarketProblem;
use crate::qp::{QpSolver, SolverError};
use search::Search;
use std::time::Instant;
pub use tolerances::Tolerances;

/// Quantities below this share of their commodity's scale are read as zero (the default of
/// [`Tolerances::noise`], which the self-check also reads).
pub const NOISE: f64 = Tolerances::DEFAULT.noise;

/// Which routes the first solve holds.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteStart {
    /// Every route (one big solve; the "cold" path).
    All,
    /// These routes (e.g. those that carried goods last period; the "warm" path).
    Set(Vec<usize>),
}

/// How to solve.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Routes in the first solve.
    pub start: RouteStart,
    /// Prices to start the wedge fixed point from (e.g. last period's), per node.
    pub price_guess: Option<Vec<Option<f64>>>,
    /// Every tolerance and round limit of the search ([`Tolerances::DEFAULT`] by default).
    pub tolerances: Tolerances,
    /// Last period's answer ([`MarketOutcome::warm`]): each round first tries the exact
    /// answer on the active set it suggests, and calls the QP solver only when that fails.
    pub warm: Option<WarmStart>,
    /// The answer of a similar market (in a sweep, the same period of the scenario as
    /// written): its routes that carried goods join the first working set, and the first
    /// round tries its active set when `warm`'s does not give the exact answer. Like `warm`,
    /// it only chooses where the search starts: the answer is checked optimal either way.
    pub guide: Option<WarmStart>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            start: RouteStart::Set(Vec::new()),
            price_guess: None,
            tolerances: Tolerances::DEFAULT,
            warm: None,
            guide: None,
        }
    }
}

/// Solves one period's market: checks the options, then runs the [`search::Search`] from the
/// start the options give until it converges or runs out of rounds.
pub fn solve_market(
    p: &MarketProblem,
    solver: &dyn QpSolver,
    opts: &SolveOptions,
) -> Result<MarketOutcome, SolverError> {
    let started = Instant::now();
    if let Err(m) = opts.tolerances.validate() {
        return Err(SolverError::Backend {
            solver: solver.name(),
            message: format!("invalid solve options: {m}"),
        });
    }
    let _span = tracing::debug_span!(
        "solve_market",
        nodes = p.nodes.len(),
        routes = p.routes.len(),
        solver = solver.name()
    )
    .entered();
    Search::new(p, solver, opts, started).run()
}
