//! `[[strategy]]` (design §10): a region that sets its own export measures to serve its own
//! ends, as a leader against the market, or in alternating best responses with the bloc's
//! floors. Validated: the player makes what it taxes, every bound is finite and ordered.

use crate::policy::{CommoditySet, RegionSet, Span};
use bloc_units::RegionId;

/// One `[[strategy]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    /// The region that chooses.
    pub player: RegionId,
    /// What it chooses (`[[strategy.instrument]]`), at least one.
    pub instruments: Vec<StrategyInstrument>,
    /// What it maximises.
    pub objective: Objective,
    /// It chooses again every this many periods (≥ 1), from the first period of `span`.
    pub every: usize,
    /// When the strategy is in force (outside it the instruments are off).
    pub span: Span,
    /// Whom it plays against.
    pub against: Against,
    /// 1-based line of the entry in its TOML file, for messages.
    pub line: usize,
}

/// What an instrument sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// An export tax: a fraction of the exporter's price (the fob value it taxes), collected
    /// by the player.
    Tax,
    /// An export quota: at most this many tonnes per period of each commodity to the
    /// destinations together; its scarcity rent goes to the player.
    Quota,
}

impl Measure {
    /// The word used in TOML and in `strategy.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Tax => "tax",
            Measure::Quota => "quota",
        }
    }
}

/// `[[strategy.instrument]]`: one measure on the player's exports of some commodities to a
/// set of destinations, chosen within `[min, max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyInstrument {
    /// Tax (a rate) or quota (t per period).
    pub measure: Measure,
    /// The commodities it covers.
    pub commodities: CommoditySet,
    /// The destinations it covers.
    pub destinations: RegionSet,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// The value before the first choice, and where the search starts.
    pub start: f64,
    /// A short name for `strategy.csv` (`tax:ndpr_oxide>members`).
    pub name: String,
    /// 1-based line of the instrument in its TOML file.
    pub line: usize,
}

/// The objective: `welfare × welfare_total + revenue × export revenue + share_usd × share`,
/// where welfare_total is the player's welfare (consumer + producer surplus + tariff, levy and
/// export revenue − support − stockpile cost), export revenue its export-tax and quota rent,
/// and share its share (0–1) of the world's output of the instruments' commodities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Weight on the player's welfare.
    pub welfare: f64,
    /// Weight on its export-tax and quota revenue.
    pub revenue: f64,
    /// USD per unit of market share (1 = all of the world's output).
    pub share_usd: f64,
    /// `welfare`, `revenue` or `weighted`, as written.
    pub kind: &'static str,
}

/// Whom the player plays against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Against {
    /// The market: the player leads, the market follows (Stackelberg); the bloc's floors stay
    /// as declared.
    Market,
    /// The bloc: the player's best response and the bloc's (its floor ratios, each within
    /// `[ratio_min, ratio_max]`, for members' welfare) alternate until neither moves or
    /// `max_rounds` rounds have passed.
    Bloc {
        /// Smallest floor ratio the bloc may set.
        ratio_min: f64,
        /// Largest floor ratio.
        ratio_max: f64,
        /// Rounds before the search stops unconverged.
        max_rounds: usize,
    },
}
