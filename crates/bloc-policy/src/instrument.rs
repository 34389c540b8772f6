//! The contract between the period loop and each instrument.
//!
//! An instrument sees a period twice. Before the solve, [`Instrument::apply`] edits the
//! period's [`MarketProblem`] (and the [`Layout`] that maps it back to the scenario) from what
//! is known then, a [`Period`], and notes in [`Applied`] what it added so that it can find
//! it again. After the solve, [`Instrument::settle`] reads the outcome, a [`Solved`], moves
//! the instrument's state on and writes its rows and indicators, and
//! [`Instrument::welfare`] adds what it collects and pays to each region's welfare. Each
//! takes one context struct rather than a long argument list, so an instrument that needs
//! one more thing reads one more field and no signature changes.
//!
//! [`crate::Policies`] runs the instruments of [`INSTRUMENTS`] in that order: each sees the
//! market as the ones before it left it (a guarantee splits a block after shocks have cut its
//! capacity; a stockpile's trigger reads the floor set before it).

use crate::{Applied, Layout, PolicyState, Welfare};
use bloc_market::{MarketOutcome, MarketProblem};
use bloc_results::RunTables;
use bloc_scenario::Scenario;

/// What an instrument knows about a period before it is solved.
#[derive(Debug, Clone, Copy)]
pub struct Period<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The period.
    pub t: usize,
    /// What the instruments remember from earlier periods.
    pub state: &'a PolicyState,
    /// Price of every node, each period solved so far (the world's history).
    pub prices: &'a [Vec<Option<f64>>],
    /// Whether export controls take part in this solve (`false` for the pre-solve that
    /// finds normal exports; see [`Instrument::needs_presolve`]).
    pub export_controls: bool,
}

/// What an instrument reads about a period once it is solved.
#[derive(Debug, Clone, Copy)]
pub struct Solved<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The period.
    pub t: usize,
    /// The period's label in the result files.
    pub label: &'a str,
    /// How the market maps back to the scenario.
    pub layout: &'a Layout,
    /// The market as the instruments left it.
    pub market: &'a MarketProblem,
    /// Its solution.
    pub outcome: &'a MarketOutcome,
    /// What the instruments added to it.
    pub applied: &'a Applied,
}

/// One kind of instrument (all its rules of one scenario table, e.g. every `[[bloc.floor]]`).
///
/// To add one: a module with a unit struct implementing this trait (its rules read from
/// `period.scenario`, its state, if any, a field of [`PolicyState`], what it adds to the
/// market, if it must find it again, a field of [`Applied`]), then its place in
/// [`INSTRUMENTS`].
pub trait Instrument {
    /// The instrument's name (for docs and traces).
    fn name(&self) -> &'static str;

    /// Edits period `p.t`'s market before it is solved.
    fn apply(
        &self,
        p: &Period<'_>,
        market: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    );

    /// Reads the solved period: moves the instrument's state on and writes its rows. Most
    /// instruments keep no state and write nothing, hence the default.
    fn settle(&self, _p: &Solved<'_>, _state: &mut PolicyState, _tables: &mut RunTables) {}

    /// Adds what the instrument collects and pays in the solved period to each region's
    /// welfare (`w`, by region index): a levy's revenue to the importer, an export measure's
    /// tax and quota rent to the exporter, a stockpile's purchases, releases and storage to
    /// its owner. The market's surpluses (and the support a guarantee or subsidy pays, which
    /// is a wedge in a supply block's revenue) are counted before; most instruments add
    /// nothing, hence the default.
    fn welfare(&self, _p: &Solved<'_>, _state: &PolicyState, _w: &mut [Welfare]) {}

    /// Whether the first period must first be solved without export controls to know normal
    /// exports (only a licence regime starting then needs it).
    fn needs_presolve(&self, _s: &Scenario) -> bool {
        false
    }
}

/// Every instrument, in the order they edit the market and settle: shocks, membership and
/// frameworks, floors and levies, export controls, guarantees, subsidies, stockpiles.
pub const INSTRUMENTS: &[&dyn Instrument] = &[
    &crate::shock::Shocks,
    &crate::membership::Membership,
    &crate::floor::Floors,
    &crate::export_control::ExportControls,
    &crate::strategy::Strategies,
    &crate::guarantee::Guarantees,
    &crate::subsidy::Subsidies,
    &crate::stockpile::Stockpiles,
];
