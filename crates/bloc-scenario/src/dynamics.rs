//! What changes over time (design §3): planned projects and their investment rule, closures
//! of loss-making plants, and demand growth paths beyond the demand table's own rate.

use crate::policy::{CommoditySet, RegionSet, Span};
use bloc_units::ProcessId;

/// A planned process (a row of `projects.csv`). It is a [`crate::Process`] whose capacity is
/// zero until it has taken its final investment decision (FID) and its lead time has passed;
/// then it ramps up to full capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Capital cost, USD per t/yr of capacity.
    pub capital_usd_per_t_per_yr: f64,
    /// Periods from FID to the first period online (`lead_time_yr` rounded to periods).
    pub lead_periods: usize,
    /// Periods over which it ramps up to full capacity (`ramp_up_yr` rounded to periods; 0:
    /// full capacity in its first period). In its k-th period online (k = 0, 1, ...) it has
    /// `min(1, (k + 1) / ramp)` of its capacity.
    pub ramp_periods: usize,
    /// First period it may take its FID, in periods from the start of the run (may be
    /// negative: open from before the run).
    pub earliest_fid: i64,
    /// A decision already taken (periods from the start; may be negative): the project comes
    /// online at `fid + lead_periods` whatever the economics.
    pub fid: Option<i64>,
    /// Economic life in years (`life_yr`; empty: the scenario's `[investment] life_yr`).
    pub life_yr: Option<f64>,
    /// A project that must be online before this one may decide (`after`; a staged
    /// expansion's step before it).
    pub after: Option<ProcessId>,
}

impl Project {
    /// Share of capacity in service `k` periods after coming online (k < 0: none).
    pub fn ramp_share(&self, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else if self.ramp_periods == 0 {
            1.0
        } else {
            ((k + 1) as f64 / self.ramp_periods as f64).min(1.0)
        }
    }
}

/// `[investment]`: how projects decide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Investment {
    /// Discount rate per year (`discount_rate`, default 0.08).
    pub discount_rate: f64,
    /// Economic life in years of a project without its own (`life_yr`, default 20).
    pub life_yr: f64,
    /// The expected price a project decides on.
    pub expected_price: ExpectedPrice,
    /// Years ahead investors also look (`foresight_yr`, default 0: not at all). With it, each
    /// period the market `foresight_yr` ahead is solved with the demand of then and the
    /// capacity decided by now (no instrument), and a project decides when its margin at
    /// either the trailing prices or those prices ahead covers its capital recovery.
    pub foresight_yr: f64,
}

impl Default for Investment {
    fn default() -> Self {
        Investment {
            discount_rate: 0.08,
            life_yr: 20.0,
            expected_price: ExpectedPrice::Trailing { periods: 4 },
            foresight_yr: 0.0,
        }
    }
}

impl Investment {
    /// Capital recovery factor: the level payment per year, per USD of capital, that repays
    /// it with interest at `discount_rate` over `life` years: r / (1 − (1 + r)^−life); 1/life
    /// at r = 0.
    pub fn capital_recovery_factor(&self, life_yr: f64) -> f64 {
        let r = self.discount_rate;
        if r.abs() < 1e-12 {
            1.0 / life_yr
        } else {
            r / (1.0 - (1.0 + r).powf(-life_yr))
        }
    }
}

/// The price a project expects for its output (and pays for its inputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedPrice {
    /// `expected_price = "trailing"`, `trailing_periods = n`: the mean of its region's price
    /// over the last n periods up to and including the decision period.
    Trailing {
        /// n ≥ 1.
        periods: usize,
    },
}

/// `[closures]`: plants whose price stays below their operating cost mothball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closures {
    /// A plant mothballs after this many consecutive periods in which its region's price
    /// is below its operating cost (unit cost plus inputs at their prices) (`after_periods`).
    pub after_periods: usize,
    /// A mothballed plant restarts this many periods after the first period its price
    /// covers its operating cost again (`restart_after_periods`).
    pub restart_after_periods: usize,
}

/// `[[demand_growth]]`: a growth path by end use, added to the demand rows it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandGrowth {
    /// `name` (e.g. "EV and wind magnets").
    pub name: String,
    /// Buyer regions.
    pub regions: RegionSet,
    /// Commodities bought.
    pub commodities: CommoditySet,
    /// Growth per year added to the row's `growth_per_yr` while in force (fraction).
    pub per_yr: f64,
    /// When it applies.
    pub span: Span,
}

/// `[[bloc.capital_grant]]`: a share of a project's capital cost paid by the bloc, for
/// decisions taken while it is in force.
#[derive(Debug, Clone, PartialEq)]
pub struct CapitalGrant {
    /// Projects it covers (empty: every project in a member region at its decision).
    pub projects: Vec<ProcessId>,
    /// Share of the capital cost (0–1].
    pub share: f64,
    /// Decisions covered.
    pub span: Span,
}

/// `[[recycling]]` (design §9): a product's scrap recovered as another commodity. Its capacity
/// each period is `collection × yield ×` the region's consumption of the product `lag_yr`
/// years earlier (before the run: the product's reference quantity), at a rising cost like a
/// plant's; it is reported in `production.csv` as `recycling:<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Recycling {
    /// `name`.
    pub name: String,
    /// The product collected at its end of life.
    pub product: bloc_units::CommodityId,
    /// The commodity recovered from it.
    pub recovered: bloc_units::CommodityId,
    /// The region, or `None` for every region that buys the product.
    pub region: Option<bloc_units::RegionId>,
    /// Tonnes recovered per tonne of product collected.
    pub yield_t_per_t: f64,
    /// Share of the product's consumption collected.
    pub collection: f64,
    /// Years between consumption and collection.
    pub lag_yr: f64,
    /// Marginal cost at zero output.
    pub unit_cost: bloc_units::UsdPerTonne,
    /// Rise of the marginal cost across the capacity.
    pub cost_rise: bloc_units::UsdPerTonne,
    /// When it runs.
    pub span: Span,
}
