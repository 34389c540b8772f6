//! The bloc and its instruments as declared in the scenario's `[bloc]` section (design §2).
//! Validated: every region and commodity exists, every date lies in the horizon.

use bloc_units::{CommodityId, ProcessId, RegionId, Tonnes, TonnesPerYear, Usd, UsdPerTonne};

/// Everything the bloc declares. `Default` is "no bloc".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlocConfig {
    /// `bloc.name`.
    pub name: String,
    /// Members with their dates.
    pub members: Vec<Membership>,
    /// Reference prices, floors and levies, one per commodity.
    pub floors: Vec<FloorRule>,
    /// `[[bloc.framework]]`: tariff-free trade on named commodities between named regions.
    pub frameworks: Vec<Framework>,
    /// `[[bloc.stockpile]]`.
    pub stockpiles: Vec<Stockpile>,
    /// `[[bloc.guarantee]]`.
    pub guarantees: Vec<Guarantee>,
    /// `[[bloc.subsidy]]`.
    pub subsidies: Vec<ProductionSubsidy>,
    /// `[[bloc.capital_grant]]`.
    pub capital_grants: Vec<crate::dynamics::CapitalGrant>,
    /// `[[bloc.standard]]`.
    pub standards: Vec<MarketStandard>,
}

/// Instruments outside the bloc: export controls and shocks (top-level keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counterpolicies {
    /// `[[export_control]]`.
    pub export_controls: Vec<ExportControl>,
    /// `[[shock.outage]]`.
    pub outages: Vec<Outage>,
    /// `[[shock.demand]]`.
    pub demand_shocks: Vec<DemandShock>,
    /// `[[shock.cost]]`.
    pub cost_shocks: Vec<CostShock>,
}

/// A set of regions: named ones, every region (`"*"`), or the bloc's members in force
/// (`"members"`), or everyone but them (`"non_members"`).
#[derive(Debug, Clone, PartialEq)]
pub enum RegionSet {
    /// Every region.
    All,
    /// The bloc's members in the period.
    Members,
    /// Regions that are not members in the period.
    NonMembers,
    /// These regions.
    Named(Vec<RegionId>),
}

impl RegionSet {
    /// Whether `r` is in the set in period `t`.
    pub fn contains(&self, r: &RegionId, t: usize, bloc: &BlocConfig) -> bool {
        match self {
            RegionSet::All => true,
            RegionSet::Members => bloc.is_member(r, t),
            RegionSet::NonMembers => !bloc.is_member(r, t),
            RegionSet::Named(v) => v.contains(r),
        }
    }
}

/// A set of commodities: named ones or every one (`"*"`).
#[derive(Debug, Clone, PartialEq)]
pub enum CommoditySet {
    /// Every commodity.
    All,
    /// These.
    Named(Vec<CommodityId>),
}

impl CommoditySet {
    /// Whether `c` is in the set.
    pub fn contains(&self, c: &CommodityId) -> bool {
        match self {
            CommoditySet::All => true,
            CommoditySet::Named(v) => v.contains(c),
        }
    }
}

/// `[[bloc.framework]]`: trade between any two of `regions` in `commodities` is tariff-free
/// (and pays no levy) while in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    /// Name (e.g. `US-Argentina`).
    pub name: String,
    /// The parties (two or more).
    pub regions: Vec<RegionId>,
    /// Commodities covered.
    pub commodities: CommoditySet,
    /// When.
    pub span: Span,
}

/// `[[bloc.standard]]`: a market standard (traceability, ESG). Into a member, goods of the
/// covered commodities from an origin region that is not certified are either treated as
/// coming from a non-member (no tariff-free trade, and the levy where a floor applies) or pay
/// a compliance cost per tonne, while the standard is in force. Certification is by region:
/// a route carries its origin region's pooled output, so producers cannot be told apart.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketStandard {
    /// Name (e.g. `traceability`).
    pub name: String,
    /// Commodities it covers.
    pub commodities: CommoditySet,
    /// Certified origin regions.
    pub certified: Vec<RegionId>,
    /// What an uncertified origin faces.
    pub uncertified: Uncertified,
    /// When.
    pub span: Span,
}

/// What an origin without the certificate faces under a [`MarketStandard`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Uncertified {
    /// `uncertified = "non_member"`: treated as a non-member's goods.
    NonMember,
    /// `uncertified = "compliance_cost"`: pays this per tonne (a real cost, not a revenue;
    /// added to the route's transport cost).
    ComplianceCost(UsdPerTonne),
}

/// `[[bloc.stockpile]]`: a public buyer and seller of last resort (Project Vault).
#[derive(Debug, Clone, PartialEq)]
pub struct Stockpile {
    /// Name.
    pub name: String,
    /// The region whose market it buys in and releases into.
    pub region: RegionId,
    /// Commodities it holds.
    pub commodities: Vec<CommodityId>,
    /// Budget for purchases over the whole run (USD).
    pub budget: Usd,
    /// Largest inventory of each commodity (t).
    pub max_inventory: Tonnes,
    /// Inventory of each commodity at the start (t).
    pub initial_inventory: Tonnes,
    /// Buys while the price is below this.
    pub buy_below: PriceTrigger,
    /// Releases while the price is above this (`None`: only on shortage).
    pub release_above: Option<PriceTrigger>,
    /// Also releases when the region's buyers would otherwise go unserved.
    pub release_on_shortage: bool,
    /// Largest purchase per period (t, each commodity).
    pub max_buy_per_period: Tonnes,
    /// Largest release per period (t, each commodity).
    pub max_release_per_period: Tonnes,
    /// Storage cost (USD per t held per year), reported as a cost of the stockpile.
    pub storage_cost_per_t_yr: UsdPerTonne,
    /// When it operates.
    pub span: Span,
}

/// A trigger price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriceTrigger {
    /// A fixed price.
    Fixed(UsdPerTonne),
    /// The bloc's floor on that commodity in the period, times a factor (none in force: no
    /// trigger).
    Floor(f64),
}

/// How a guarantee pays.
#[derive(Debug, Clone, PartialEq)]
pub enum GuaranteeMode {
    /// The state pays strike − market price on the contracted volume when the market is lower.
    TopUp,
    /// The state buys the contracted volume outright at the strike, into this stockpile.
    Purchase {
        /// Stockpile name.
        stockpile: String,
    },
}

/// `[[bloc.guarantee]]`: a producer's contracted volume earns at least a strike price.
#[derive(Debug, Clone, PartialEq)]
pub struct Guarantee {
    /// The producer.
    pub process: ProcessId,
    /// Strike.
    pub strike: UsdPerTonne,
    /// Contracted volume.
    pub volume: TonnesPerYear,
    /// Top-up or purchase.
    pub mode: GuaranteeMode,
    /// A two-sided contract (contract for difference): above `above` the state receives
    /// `share` of (market − above) per contracted tonne (top-ups only).
    pub upside: Option<Upside>,
    /// When.
    pub span: Span,
}

/// The state's share of the market price above a cap, in a two-sided guarantee
/// (`upside_share`, `upside_above_usd_per_t`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upside {
    /// Share of (market − above) the state receives, in (0, 1].
    pub share: f64,
    /// The price above which it receives it (at least the strike).
    pub above: UsdPerTonne,
}

/// `[[bloc.subsidy]]`: a per-tonne production subsidy to named processes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductionSubsidy {
    /// The producers.
    pub processes: Vec<ProcessId>,
    /// USD per tonne produced.
    pub per_t: UsdPerTonne,
    /// When.
    pub span: Span,
}

/// What an export control does.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlKind {
    /// Nothing may be shipped.
    Ban,
    /// At most this much per period in total to the destination set.
    Quota(Tonnes),
    /// Licences: a share of normal exports is approved after a delay; a general licence
    /// raises the share for some destinations.
    Licence {
        /// Share of normal exports approved.
        approved_share: f64,
        /// Periods from the start of the regime before any licence is granted.
        delay_periods: usize,
        /// Destinations holding a general licence, and their share.
        general: Option<(RegionSet, f64)>,
    },
}

/// `[[export_control]]`: an exporter's ban, quota or licence regime.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportControl {
    /// The exporting region.
    pub exporter: RegionId,
    /// Commodities controlled.
    pub commodities: CommoditySet,
    /// Destinations controlled.
    pub destinations: RegionSet,
    /// What it does.
    pub kind: ControlKind,
    /// When.
    pub span: Span,
    /// 1-based line of the entry in its TOML file, for messages.
    pub line: usize,
}

/// Which processes a shock hits: by id, or all in a region making a commodity.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSelector {
    /// These ids (empty: select by region and commodity).
    pub processes: Vec<ProcessId>,
    /// Region (`All` = any).
    pub region: RegionSet,
    /// Output commodity.
    pub commodities: CommoditySet,
}

/// `[[shock.outage]]`: a share of capacity lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    /// What is hit.
    pub target: ProcessSelector,
    /// Share of capacity lost (0–1].
    pub share: f64,
    /// When.
    pub span: Span,
}

/// `[[shock.demand]]`: reference demand multiplied.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandShock {
    /// Buyer regions.
    pub regions: RegionSet,
    /// Commodities.
    pub commodities: CommoditySet,
    /// Multiplier (≥ 0).
    pub multiplier: f64,
    /// When.
    pub span: Span,
}

/// `[[shock.cost]]`: operating costs multiplied.
#[derive(Debug, Clone, PartialEq)]
pub struct CostShock {
    /// What is hit.
    pub target: ProcessSelector,
    /// Multiplier (≥ 0).
    pub multiplier: f64,
    /// When.
    pub span: Span,
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
    /// `reference = { cost_based = { percentile = 0.75, margin = 0.1 } }`: the full cost of the
    /// members' producer at that percentile of their capacity, plus a margin (a fraction).
    CostBased {
        /// Capacity percentile (0–1].
        percentile: f64,
        /// Margin on top (0.1 = 10%).
        margin: f64,
    },
    /// `reference = { index = { periods = 4, initial_usd_per_t = 50000 } }`: the trailing
    /// average of the members' price over the last `periods` periods (the initial value
    /// until there is history; without one, no floor until there is).
    Index {
        /// Periods averaged.
        periods: usize,
        /// Value used before any history exists.
        initial: Option<UsdPerTonne>,
    },
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
    /// Per region (in the order given), whether it is a member in period `t`.
    pub fn members_in<'a>(
        &self,
        regions: impl IntoIterator<Item = &'a RegionId>,
        t: usize,
    ) -> Vec<bool> {
        regions.into_iter().map(|r| self.is_member(r, t)).collect()
    }

    /// Whether `r` is a member in period `t`.
    pub fn is_member(&self, r: &RegionId, t: usize) -> bool {
        self.members
            .iter()
            .any(|m| &m.region == r && m.span.covers(t))
    }

    /// Whether trade of `c` from `exporter` to `importer` is tariff-free in period `t`:
    /// both members, or both parties to a framework covering `c`.
    pub fn tariff_free(
        &self,
        importer: &RegionId,
        exporter: &RegionId,
        c: &CommodityId,
        t: usize,
    ) -> bool {
        if self.decertified(importer, exporter, c, t) {
            return false;
        }
        (self.is_member(importer, t) && self.is_member(exporter, t))
            || self.frameworks.iter().any(|f| {
                f.span.covers(t)
                    && f.commodities.contains(c)
                    && f.regions.contains(importer)
                    && f.regions.contains(exporter)
            })
    }

    /// Whether goods of `c` from `exporter` into `importer` count as a member's in period
    /// `t`: the exporter is a member and no market standard treats it as a non-member there.
    pub fn member_origin(
        &self,
        importer: &RegionId,
        exporter: &RegionId,
        c: &CommodityId,
        t: usize,
    ) -> bool {
        self.is_member(exporter, t) && !self.decertified(importer, exporter, c, t)
    }

    /// The market standards in force in period `t` that do not certify `exporter`'s goods of
    /// `c` into member `importer` (none when the importer is not a member).
    fn failed_standards<'a>(
        &'a self,
        importer: &RegionId,
        exporter: &'a RegionId,
        c: &'a CommodityId,
        t: usize,
    ) -> impl Iterator<Item = &'a MarketStandard> + 'a {
        let member = self.is_member(importer, t);
        self.standards.iter().filter(move |s| {
            member
                && s.span.covers(t)
                && s.commodities.contains(c)
                && !s.certified.contains(exporter)
        })
    }

    /// Whether a `non_member` market standard in force shuts `exporter`'s goods of `c` out of
    /// the bloc's trade into member `importer`.
    fn decertified(
        &self,
        importer: &RegionId,
        exporter: &RegionId,
        c: &CommodityId,
        t: usize,
    ) -> bool {
        self.failed_standards(importer, exporter, c, t)
            .any(|s| s.uncertified == Uncertified::NonMember)
    }

    /// Compliance cost per tonne (USD) that goods of `c` from `exporter` into `importer` pay
    /// under the `compliance_cost` standards in force (0 without any).
    pub fn compliance_cost(
        &self,
        importer: &RegionId,
        exporter: &RegionId,
        c: &CommodityId,
        t: usize,
    ) -> f64 {
        self.failed_standards(importer, exporter, c, t)
            .map(|s| match s.uncertified {
                Uncertified::ComplianceCost(v) => v.0,
                Uncertified::NonMember => 0.0,
            })
            .sum()
    }

    /// Whether the bloc declares any instrument at all.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
            && self.floors.is_empty()
            && self.frameworks.is_empty()
            && self.stockpiles.is_empty()
            && self.guarantees.is_empty()
            && self.subsidies.is_empty()
            && self.capital_grants.is_empty()
            && self.standards.is_empty()
    }
}

/// `[origin]` (design §8): whether trade measures follow where goods come from, and how far.
/// Defaults are resolved by the loader, so every field is what the run uses.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginRules {
    /// Which country's rules a shipment meets at a border.
    pub rule: OriginRule,
    /// The regions whose goods are followed (each its own origin class; everything else is
    /// the class `other`). Default: every exporter named by an export control.
    pub track: Vec<RegionId>,
    /// Whether processing abroad confers the processor's origin.
    pub processing: Processing,
    /// Under [`Processing::Content`], the stages of output whose plants keep the tracked
    /// origin of their inputs (default: every stage).
    pub content_stages: Vec<crate::model::Stage>,
    /// Whether the scenario wrote an `[origin]` table.
    pub declared: bool,
}

impl Default for OriginRules {
    fn default() -> Self {
        OriginRules {
            rule: OriginRule::LastShipper,
            track: Vec::new(),
            processing: Processing::Transforms,
            content_stages: crate::model::Stage::ALL.to_vec(),
            declared: false,
        }
    }
}

/// `[origin] rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginRule {
    /// Export controls, tariffs, the levy and frameworks apply by origin class: a tracked
    /// region's goods meet its rules whoever ships them last.
    Origin,
    /// They apply by the region that ships the goods last (goods re-exported through a third
    /// country take that country's treatment): kept for comparison.
    LastShipper,
}

impl OriginRule {
    /// The word used in the TOML.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginRule::Origin => "origin",
            OriginRule::LastShipper => "last_shipper",
        }
    }
}

/// `[origin] processing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processing {
    /// Processing in another region confers that region's origin (the usual
    /// non-preferential rule).
    Transforms,
    /// A processed good keeps the tracked origin of its tracked inputs (China's 2025 rule on
    /// foreign products containing Chinese rare earths; a "foreign entity of concern" rule).
    Content,
}
