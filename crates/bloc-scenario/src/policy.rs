//! The bloc and its instruments as declared in the scenario's `[bloc]` section (design §2).
//! Validated: every region and commodity exists, every date lies in the horizon.

use bloc_units::{CommodityId, RegionId, UsdPerTonne};

/// Everything the bloc declares. `Default` is "no bloc".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlocConfig {
    /// `bloc.name`.
    pub name: String,
    /// Members with their dates.
    pub members: Vec<Membership>,
    /// Reference prices, floors and levies, one per commodity.
    pub floors: Vec<FloorRule>,
}

/// A span of periods `[from, to)` as indices into the horizon. `to = None`: to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First period in force.
    pub from: usize,
    /// First period no longer in force.
    pub to: Option<usize>,
}

impl Span {
    /// Whether period `t` is covered.
    pub fn covers(&self, t: usize) -> bool {
        t >= self.from && self.to.is_none_or(|to| t < to)
    }
}

/// `members = [{ region = "USA", from = "2026Q1", to = "2030Q1" }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The member.
    pub region: RegionId,
    /// When it is a member.
    pub span: Span,
}

/// How the reference price of a floor is set.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// `reference = { fixed_usd_per_t = 45 }`.
    Fixed(UsdPerTonne),
}

/// How the levy of a floor is set: `levy = { lag = 0, every = 1, cap_usd_per_t = 1000 }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevyRule {
    /// Periods back whose prices set the levy (0 = solved with the market).
    pub lag: usize,
    /// Recomputed every n periods (≥ 1).
    pub every: usize,
    /// Largest levy.
    pub cap: UsdPerTonne,
}

/// `[[bloc.floor]]`: a reference price, the floor (reference × ratio) and its levy.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorRule {
    /// Commodity.
    pub commodity: CommodityId,
    /// Reference price rule.
    pub reference: Reference,
    /// Floor = reference × ratio.
    pub ratio: f64,
    /// The adjustable levy.
    pub levy: LevyRule,
    /// When the floor is in force.
    pub span: Span,
}

impl BlocConfig {
    /// Whether `r` is a member in period `t`.
    pub fn is_member(&self, r: &RegionId, t: usize) -> bool {
        self.members.iter().any(|m| &m.region == r && m.span.covers(t))
    }
}
