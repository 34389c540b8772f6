//! One period's market as the engine states it, before it becomes a QP: nodes (a region's
//! market for one commodity), supply blocks, demand curves, routes with their wedges, and
//! caps on groups of routes (export quotas).

use crate::curves::DemandCurve;
use bloc_units::{Tonnes, UsdPerTonne};

/// A market: one commodity in one region. Its price is the dual of its balance.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Name used in dumps (`USA.ndpr_oxide`).
    pub name: String,
    /// Commodity index (nodes of one commodity share a scale).
    pub commodity: usize,
}

/// A capacity block of a process: marginal cost rises linearly from `unit_cost` at zero to
/// `unit_cost + cost_rise` at `capacity`.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyBlock {
    /// Name used in dumps.
    pub name: String,
    /// Output node.
    pub node: usize,
    /// Input nodes and tonnes of input per tonne of output. A negative coefficient is a
    /// co-product: −coefficient tonnes of it are made per tonne of the main output (design §9),
    /// so every condition reads `p_out + Σ y p_co = mc + Σ coef p_in` with one sum.
    pub inputs: Vec<(usize, f64)>,
    /// Largest output this period.
    pub capacity: Tonnes,
    /// Marginal cost at zero output.
    pub unit_cost: UsdPerTonne,
    /// Rise of the marginal cost across the block (> 0 keeps prices unique).
    pub cost_rise: UsdPerTonne,
    /// Support per tonne the producer receives on top of the market price.
    pub subsidy: Subsidy,
    /// The output is bought outright by the state (a purchase guarantee into a stockpile):
    /// it leaves the market instead of entering its node's balance.
    pub sold_to_state: bool,
}

/// Support a supply block receives per tonne.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Subsidy {
    /// None.
    #[default]
    None,
    /// A fixed amount per tonne (a production subsidy).
    Fixed(UsdPerTonne),
    /// `max(0, strike − price at its node)`: a guarantee that tops the market price up to a
    /// strike (found with the equilibrium, as a fixed point).
    TopUpTo(UsdPerTonne),
    /// A two-sided contract (contract for difference): the top-up to `strike` below it, and
    /// `−share × (price − above)` above `above` (the state's share of the upside); found as a
    /// fixed point like [`Subsidy::TopUpTo`].
    Contract {
        /// The strike the market is topped up to.
        strike: UsdPerTonne,
        /// The price above which the state shares the upside (≥ strike).
        above: UsdPerTonne,
        /// The state's share of the market above `above`, in (0, 1].
        share: f64,
    },
    /// The block is paid exactly this price per tonne, whatever the market (with
    /// `sold_to_state`: a purchase at a strike).
    PaidAt(UsdPerTonne),
}

impl SupplyBlock {
    /// A block with no subsidy that sells into its node.
    pub fn new(
        name: impl Into<String>,
        node: usize,
        capacity: Tonnes,
        unit_cost: UsdPerTonne,
        cost_rise: UsdPerTonne,
    ) -> Self {
        SupplyBlock {
            name: name.into(),
            node,
            inputs: Vec::new(),
            capacity,
            unit_cost,
            cost_rise,
            subsidy: Subsidy::None,
            sold_to_state: false,
        }
    }

    /// Support per tonne when its node's price is `p`.
    pub fn subsidy_at(&self, p: f64) -> f64 {
        match self.subsidy {
            Subsidy::None => 0.0,
            Subsidy::Fixed(v) => v.0,
            Subsidy::TopUpTo(strike) => (strike.0 - p).max(0.0),
            Subsidy::Contract {
                strike,
                above,
                share,
            } => (strike.0 - p).max(0.0) - share * (p - above.0).max(0.0),
            Subsidy::PaidAt(_) => 0.0,
        }
    }

    /// What the producer earns per tonne when its node's price is `p`.
    pub fn revenue_at(&self, p: f64) -> f64 {
        match self.subsidy {
            Subsidy::PaidAt(v) => v.0,
            _ if self.sold_to_state => 0.0,
            _ => p + self.subsidy_at(p),
        }
    }

    /// Whether the support depends on the market price.
    pub fn price_dependent(&self) -> bool {
        matches!(self.subsidy, Subsidy::TopUpTo(_) | Subsidy::Contract { .. })
    }

    /// Marginal operating cost at output `x`.
    pub fn marginal_cost(&self, x: f64) -> f64 {
        if self.capacity.0 <= 0.0 {
            return self.unit_cost.0;
        }
        self.unit_cost.0 + self.cost_rise.0 * x / self.capacity.0
    }
}

/// A buyer (final demand, or a stockpile buying) at a node.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandBlock {
    /// Name used in dumps.
    pub name: String,
    /// Node where it buys.
    pub node: usize,
    /// Its curve this period.
    pub curve: DemandCurve,
}

/// The levy a route pays on top of transport and tariff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Levy {
    /// None.
    None,
    /// A levy fixed before the period (lagged rules).
    Fixed(UsdPerTonne),
    /// `clamp(floor − (origin price + transport + tariff), 0, cap)` from this period's own
    /// prices (lag 0): found together with the equilibrium as a fixed point.
    ToFloor {
        /// The floor at the destination.
        floor: UsdPerTonne,
        /// Largest levy.
        cap: UsdPerTonne,
    },
}

/// A route from one node to another node of the same commodity.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Name used in dumps.
    pub name: String,
    /// Origin node.
    pub from: usize,
    /// Destination node.
    pub to: usize,
    /// Transport cost.
    pub transport: UsdPerTonne,
    /// Specific tariff.
    pub specific_tariff: UsdPerTonne,
    /// Ad valorem tariff, a fraction of the customs value (fob price + transport).
    pub ad_valorem: f64,
    /// Export tax, a fraction of the origin price, collected by the exporter (0 = none).
    pub export_tax: f64,
    /// Levy.
    pub levy: Levy,
}

impl Route {
    /// A route with no tariff or levy.
    pub fn new(name: impl Into<String>, from: usize, to: usize, transport: UsdPerTonne) -> Self {
        Route {
            name: name.into(),
            from,
            to,
            transport,
            specific_tariff: UsdPerTonne(0.0),
            ad_valorem: 0.0,
            export_tax: 0.0,
            levy: Levy::None,
        }
    }

    /// Export tax per tonne when the origin price is `p_origin`.
    pub fn export_tax_at(&self, p_origin: f64) -> f64 {
        bloc_units::border::export_tax(self.export_tax, UsdPerTonne(p_origin)).0
    }
    /// Price free on board (origin price + export tax) when the origin price is `p_origin`.
    fn fob_at(&self, p_origin: f64) -> UsdPerTonne {
        bloc_units::border::fob(self.export_tax, UsdPerTonne(p_origin))
    }

    /// Tariff per tonne when the origin price is `p_origin` (on the customs value: fob price
    /// + transport).
    pub fn tariff_at(&self, p_origin: f64) -> f64 {
        bloc_units::border::tariff(
            self.specific_tariff,
            self.ad_valorem,
            self.fob_at(p_origin),
            self.transport,
        )
        .0
    }
    /// Levy per tonne when the origin price is `p_origin`.
    pub fn levy_at(&self, p_origin: f64) -> f64 {
        match self.levy {
            Levy::None => 0.0,
            Levy::Fixed(v) => v.0,
            Levy::ToFloor { floor, cap } => self.levy_to_floor_at(floor, cap, p_origin),
        }
    }
    /// The levy that lifts this route's landed price (fob + transport + tariff) to `floor`,
    /// at most `cap`, when the origin price is `p_origin`: the lag-0 levy, and a lagged one
    /// set from an earlier period's origin price.
    pub fn levy_to_floor_at(&self, floor: UsdPerTonne, cap: UsdPerTonne, p_origin: f64) -> f64 {
        bloc_units::border::levy_to_floor(
            floor,
            self.fob_at(p_origin),
            self.transport,
            UsdPerTonne(self.tariff_at(p_origin)),
            cap,
        )
        .0
    }
    /// Everything a tonne pays to cross: export tax + transport + tariff + levy.
    pub fn wedge_at(&self, p_origin: f64) -> f64 {
        self.export_tax_at(p_origin)
            + self.transport.0
            + self.tariff_at(p_origin)
            + self.levy_at(p_origin)
    }
    /// Whether the wedge depends on the origin price (export tax, ad valorem or lag-0 levy).
    pub fn price_dependent(&self) -> bool {
        self.export_tax != 0.0
            || self.ad_valorem != 0.0
            || matches!(self.levy, Levy::ToFloor { .. })
    }
}

/// A cap on the total carried by a group of routes (an export quota).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteCap {
    /// Name used in dumps.
    pub name: String,
    /// The routes it covers (indices into [`MarketProblem::routes`]).
    pub routes: Vec<usize>,
    /// Largest total this period.
    pub cap: Tonnes,
}

/// One period's market.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketProblem {
    /// Markets.
    pub nodes: Vec<Node>,
    /// Supply blocks.
    pub supply: Vec<SupplyBlock>,
    /// Buyers.
    pub demand: Vec<DemandBlock>,
    /// Every route that exists this period.
    pub routes: Vec<Route>,
    /// Caps on groups of routes.
    pub caps: Vec<RouteCap>,
}

impl MarketProblem {
    /// How many commodities the nodes name (one more than the largest index).
    pub fn commodity_count(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| n.commodity + 1)
            .max()
            .unwrap_or(0)
    }

    /// A price scale per commodity (USD/t) for relative tolerances: the largest of its plants'
    /// unit costs, a tenth of its buyers' top willingness to pay, and 1 USD/t.
    pub fn commodity_price_scale(&self) -> Vec<f64> {
        let mut ps = vec![1.0f64; self.commodity_count()];
        for b in &self.supply {
            let c = self.nodes[b.node].commodity;
            ps[c] = ps[c].max(b.unit_cost.0);
        }
        for d in &self.demand {
            let c = self.nodes[d.node].commodity;
            ps[c] = ps[c].max(d.curve.top().unwrap_or(0.0) / 10.0);
        }
        ps
    }

    /// Per route, whether a zero quota (a ban) covers it: it can carry nothing, and no price
    /// gap along it breaks the equilibrium (its rent is whatever the gap is).
    pub fn banned_routes(&self) -> Vec<bool> {
        let mut banned = vec![false; self.routes.len()];
        for cap in self.caps.iter().filter(|c| c.cap.0 <= 0.0) {
            for &r in &cap.routes {
                if let Some(b) = banned.get_mut(r) {
                    *b = true;
                }
            }
        }
        banned
    }
}
