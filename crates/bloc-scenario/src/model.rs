//! The validated scenario: what the engine runs. Every id here has been checked to exist,
//! every number to be finite and in range, every date to lie in the horizon.

use bloc_units::{CommodityId, Period, ProcessId, RegionId, Step, TonnesPerYear, UsdPerTonne};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::dynamics::*;
pub use crate::policy::*;

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `name` in the TOML.
    pub name: String,
    /// `description` in the TOML (may be empty).
    pub description: String,
    /// Year whose US dollars all money is in.
    pub base_year: i32,
    /// Seed for every random draw (`seed` in the TOML; default 0; `--seed` overrides).
    pub seed: u64,
    /// The periods of the run.
    pub time: TimeAxis,
    /// Regions, in file order.
    pub regions: Vec<Region>,
    /// Commodities, in file order.
    pub commodities: Vec<Commodity>,
    /// Processes (plants, mines, capacity blocks) with their inputs, in file order.
    pub processes: Vec<Process>,
    /// Demand curves, in file order.
    pub demand: Vec<Demand>,
    /// Transport rules (`*` wildcards); use [`Scenario::transport_cost`].
    pub transport: Vec<TransportRule>,
    /// Tariff rules (`*` wildcards); use [`Scenario::tariff`].
    pub tariffs: Vec<TariffRule>,
    /// The bloc and its instruments (empty when the scenario declares none).
    pub bloc: BlocConfig,
    /// Export controls and shocks.
    pub counter: Counterpolicies,
    /// `[origin]`: whether trade measures follow where goods come from (design §8).
    pub origin: crate::policy::OriginRules,
    /// `[[strategy]]`: players that set their own export measures (design §10).
    pub strategies: Vec<crate::strategy::Strategy>,
    /// `[investment]`: how planned projects decide (defaults when absent).
    pub investment: Investment,
    /// `[closures]`: when loss-making plants mothball and restart (none when absent).
    pub closures: Option<Closures>,
    /// `[[demand_growth]]`: growth paths by end use on top of `growth_per_yr`.
    pub demand_growth: Vec<DemandGrowth>,
    /// `[[recycling]]`: scrap recovered as another commodity (design §9).
    pub recycling: Vec<crate::dynamics::Recycling>,
    /// `baseline`: the scenario this one is compared against (consumer cost, welfare
    /// change), resolved against the file that names it.
    pub baseline: Option<PathBuf>,
    /// The scenario file that was loaded and every file it read, in read order.
    pub files: Vec<PathBuf>,
    /// SHA-256 (hex) over the contents of `files`, in order.
    pub hash: String,
    /// What the `extends` chain replaced that it may not have meant to: an inherited array
    /// replaced whole (`bloc.members: 14 inherited entries replaced by 1`). `bloc run` and
    /// `bloc check` print each as a warning.
    pub warnings: Vec<String>,
}

/// The periods of a run (`[time]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    /// First period.
    pub start: Period,
    /// Number of periods (≥ 1).
    pub periods: usize,
    /// Quarter or year.
    pub step: Step,
}

impl TimeAxis {
    /// The calendar period of index `t` (0-based).
    pub fn period(&self, t: usize) -> Period {
        self.start.plus(t as i64, self.step)
    }
    /// The label of period `t`, as `2026Q1` or `2026`.
    pub fn label(&self, t: usize) -> String {
        self.period(t).label(self.step).to_string()
    }
    /// Index of a period, if it lies in the horizon.
    pub fn index_of(&self, p: Period) -> Option<usize> {
        let k = self.start.steps_to(p, self.step);
        (k >= 0 && (k as usize) < self.periods).then_some(k as usize)
    }
    /// Length of a period in years (0.25 or 1).
    pub fn years_per_period(&self) -> f64 {
        self.step.years()
    }
}

/// A row of `regions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Id (letters, digits, `_`, `-`).
    pub id: RegionId,
    /// Display name.
    pub name: String,
}

/// Stage of a value chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Ore or brine at the mine.
    Mine,
    /// Concentrate.
    Concentrate,
    /// Refined chemical (carbonate, hydroxide, sulphate...).
    Refined,
    /// Separated oxide (rare earths).
    Separated,
    /// Metal or alloy.
    Metal,
    /// Material (battery-grade graphite, cathode...).
    Material,
    /// Component (magnets...).
    Component,
}

impl Stage {
    /// All stages, upstream first.
    pub const ALL: [Stage; 7] = [
        Stage::Mine,
        Stage::Concentrate,
        Stage::Refined,
        Stage::Separated,
        Stage::Metal,
        Stage::Material,
        Stage::Component,
    ];
    /// The word used in `commodities.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Mine => "mine",
            Stage::Concentrate => "concentrate",
            Stage::Refined => "refined",
            Stage::Separated => "separated",
            Stage::Metal => "metal",
            Stage::Material => "material",
            Stage::Component => "component",
        }
    }
    /// Reads the word used in `commodities.csv`.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A row of `commodities.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Commodity {
    /// Id.
    pub id: CommodityId,
    /// Mineral family (`rare_earths`, `lithium`...).
    pub family: String,
    /// Stage in the chain.
    pub stage: Stage,
    /// Display name.
    pub name: String,
    /// Cost of disposing of a tonne (`disposal_usd_per_t`, default 0): a co-product in glut
    /// is worth `−disposal` at worst.
    pub disposal: UsdPerTonne,
}

/// A plant, mine or capacity block (a row of `processes.csv` with its `inputs.csv` rows).
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// Id.
    pub id: ProcessId,
    /// Where it is.
    pub region: RegionId,
    /// What it makes.
    pub output: CommodityId,
    /// Capacity.
    pub capacity: TonnesPerYear,
    /// Marginal operating cost at zero output.
    pub unit_cost: UsdPerTonne,
    /// Rise of the marginal cost from zero to full capacity; `None` = the default
    /// ([`Process::DEFAULT_COST_RISE_SHARE`] of the unit cost, at least
    /// [`Process::MIN_COST_RISE`]).
    pub cost_rise: Option<UsdPerTonne>,
    /// First period it may run (index into the horizon); `None` = from the start.
    pub online: Option<usize>,
    /// First period it no longer runs; `None` = never closes.
    pub offline: Option<usize>,
    /// Inputs: tonnes of each commodity per tonne of output (empty for a mine).
    pub inputs: Vec<(CommodityId, f64)>,
    /// Co-products (`outputs.csv`): tonnes of each further commodity made per tonne of the
    /// main output (design §9); capacity and costs stay per tonne of main output.
    pub outputs: Vec<(CommodityId, f64)>,
    /// `Some` for a planned project (a row of `projects.csv`): it has no capacity until it
    /// has decided and its lead time has passed.
    pub project: Option<Project>,
}

impl Process {
    /// Default rise of the marginal cost across a block, as a share of its unit cost.
    pub const DEFAULT_COST_RISE_SHARE: f64 = 0.01;
    /// Smallest default rise (USD/t), so that a zero-cost block still has a sloped curve.
    pub const MIN_COST_RISE: f64 = 1.0;

    /// The rise in force: the column's value, or the default.
    pub fn cost_rise_or_default(&self) -> UsdPerTonne {
        self.cost_rise.unwrap_or(UsdPerTonne(
            (self.unit_cost.0 * Self::DEFAULT_COST_RISE_SHARE).max(Self::MIN_COST_RISE),
        ))
    }
    /// Whether it may run in period `t`.
    pub fn in_service(&self, t: usize) -> bool {
        self.online.is_none_or(|on| t >= on) && self.offline.is_none_or(|off| t < off)
    }
}

/// Shape of a demand curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DemandForm {
    /// q = Q0 (p/P0)^e up to the choke price; demand left unmet at the choke price is
    /// unserved demand.
    Isoelastic {
        /// Choke price (default 10 × P0).
        choke: UsdPerTonne,
    },
    /// The straight line through (Q0, P0) with point elasticity e there, down to zero price.
    Linear,
}

/// A row of `demand.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Buyer region.
    pub region: RegionId,
    /// What is bought.
    pub commodity: CommodityId,
    /// Curve shape.
    pub form: DemandForm,
    /// Reference quantity Q0.
    pub quantity: TonnesPerYear,
    /// Reference price P0 (> 0).
    pub price: UsdPerTonne,
    /// Own-price elasticity at the reference point (< 0).
    pub elasticity: f64,
    /// Growth of Q0 per year (fraction).
    pub growth_per_yr: f64,
    /// Partial adjustment towards a long-run elasticity (`long_run_elasticity`,
    /// `adjustment_per_yr`); `elasticity` is then the short-run one.
    pub adjust: Option<Adjustment>,
}

/// Partial adjustment of demand (Nerlove): buyers answer a price at once with the short-run
/// elasticity e_S; the rest of the long-run response, e_L − e_S, comes at `per_yr` a year.
/// The period's curve is q = A_t (p/P0)^e_S, with A_t = Q0_t · exp(s_t) and, after a period
/// at price p_t, s_{t+1} = (1 − λ) s_t + λ (e_L − e_S) ln(p_t/P0), λ = 1 − (1 − per_yr)^(years
/// per period). Held at a price p, demand tends to Q0 (p/P0)^e_L.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adjustment {
    /// e_L < 0.
    pub long_run_elasticity: f64,
    /// Share of the gap closed per year, in (0, 1].
    pub per_yr: f64,
}

/// A `*`-able selector in `transport.csv` and `tariffs.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sel<T> {
    /// `*`: any.
    Any,
    /// One id.
    One(T),
}

impl<T: PartialEq> Sel<T> {
    /// Whether it matches `x`.
    pub fn matches(&self, x: &T) -> bool {
        match self {
            Sel::Any => true,
            Sel::One(v) => v == x,
        }
    }
    /// 1 when it names an id, 0 for `*`.
    pub fn specificity(&self) -> u8 {
        match self {
            Sel::Any => 0,
            Sel::One(_) => 1,
        }
    }
}

/// A row of `transport.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportRule {
    /// Shipping region.
    pub origin: Sel<RegionId>,
    /// Receiving region.
    pub destination: Sel<RegionId>,
    /// Commodity.
    pub commodity: Sel<CommodityId>,
    /// Cost per tonne moved.
    pub cost: UsdPerTonne,
    /// 1-based line in the file (for messages).
    pub line: usize,
}

/// A row of `tariffs.csv`: the importer's tariff on goods from the exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct TariffRule {
    /// Importing region.
    pub importer: Sel<RegionId>,
    /// Exporting region.
    pub exporter: Sel<RegionId>,
    /// Commodity.
    pub commodity: Sel<CommodityId>,
    /// The tariff itself.
    pub tariff: Tariff,
    /// 1-based line in the file (for messages).
    pub line: usize,
}

/// A tariff: `specific + ad_valorem × customs value`, customs value = origin price + transport.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tariff {
    /// Fraction of the customs value.
    pub ad_valorem: f64,
    /// USD per tonne.
    pub specific: UsdPerTonne,
}

impl Tariff {
    /// The duty per tonne on goods whose origin price is `p_origin`, moved at `transport`.
    pub fn duty(&self, p_origin: UsdPerTonne, transport: UsdPerTonne) -> UsdPerTonne {
        bloc_units::border::tariff(self.specific, self.ad_valorem, p_origin, transport)
    }
}

/// The most specific of the rules that match (ties were rejected when loading).
fn most_specific<R>(
    rules: &[R],
    sels: impl Fn(&R) -> [u8; 3],
    matches: impl Fn(&R) -> bool,
) -> Option<&R> {
    rules
        .iter()
        .filter(|r| matches(r))
        .max_by_key(|r| sels(r).iter().sum::<u8>())
}

impl Scenario {
    /// Transport cost from `o` to `d` of `c`, or `None` when no route exists. A route from a
    /// region to itself never exists (local supply meets local demand directly).
    pub fn transport_cost(
        &self,
        o: &RegionId,
        d: &RegionId,
        c: &CommodityId,
    ) -> Option<UsdPerTonne> {
        if o == d {
            return None;
        }
        most_specific(
            &self.transport,
            |r| {
                [
                    r.origin.specificity(),
                    r.destination.specificity(),
                    r.commodity.specificity(),
                ]
            },
            |r| r.origin.matches(o) && r.destination.matches(d) && r.commodity.matches(c),
        )
        .map(|r| r.cost)
    }

    /// MFN tariff of `importer` on `c` from `exporter` (no row = no tariff).
    pub fn tariff(&self, importer: &RegionId, exporter: &RegionId, c: &CommodityId) -> Tariff {
        self.tariff_rule(importer, exporter, c)
            .map(|r| r.tariff)
            .unwrap_or_default()
    }

    /// The `tariffs` row that sets the MFN tariff of `importer` on `c` from `exporter` (the
    /// most specific match), if any.
    pub fn tariff_rule(
        &self,
        importer: &RegionId,
        exporter: &RegionId,
        c: &CommodityId,
    ) -> Option<&TariffRule> {
        most_specific(
            &self.tariffs,
            |r| {
                [
                    r.importer.specificity(),
                    r.exporter.specificity(),
                    r.commodity.specificity(),
                ]
            },
            |r| {
                r.importer.matches(importer)
                    && r.exporter.matches(exporter)
                    && r.commodity.matches(c)
            },
        )
    }

    /// Index of a region id.
    pub fn region_index(&self, id: &str) -> Option<usize> {
        self.regions.iter().position(|r| &*r.id.0 == id)
    }
    /// Index of a commodity id.
    pub fn commodity_index(&self, id: &str) -> Option<usize> {
        self.commodities.iter().position(|c| &*c.id.0 == id)
    }
    /// Commodities by id.
    pub fn commodity_map(&self) -> BTreeMap<&str, &Commodity> {
        self.commodities
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect()
    }
}
