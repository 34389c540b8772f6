//! Reference prices, floors and the adjustable levy (`[[bloc.floor]]`).
//!
//! * **Reference price** per commodity: `fixed_usd_per_t`; `cost_based` — the full cost of
//!   the members' producers at a capacity percentile plus a margin, where a block's full cost
//!   is its marginal cost at full capacity (`unit_cost + cost_rise`) plus its inputs valued at
//!   last period's members' price (the inputs' mean reference demand price in the first
//!   period); or `index` — the trailing average of the members' price over the last n
//!   periods. **Floor** = reference × ratio.
//! * **Levy** on each route from a non-member into a member (unless a framework makes the
//!   pair tariff-free); under `[origin] rule = "origin"` a tracked non-member's goods pay it
//!   whichever region ships them in: `levy = clamp(floor − (origin price + transport + tariff), 0, cap)`.
//!   With `lag = 0` it is solved with the market (a fixed point in `bloc-market`); with
//!   `lag ≥ 1` it uses the prices of `lag` periods back (0 before such a period exists). It is
//!   recomputed every `every` periods from the floor's `from` and held in between.

use crate::{indicator, Applied, Instrument, Layout, Period, PolicyState, Solved, Welfare};
use bloc_market::{Levy, MarketProblem};
use bloc_results::{num, RunTables};
use bloc_scenario::{FloorRule, Reference, Scenario};
use bloc_units::UsdPerTonne;

/// The levy on a route whose origin price is `p_origin`: `clamp(floor − landed, 0, cap)`.
pub fn levy(floor: f64, p_origin: f64, transport: f64, tariff: f64, cap: f64) -> f64 {
    let u = UsdPerTonne;
    bloc_units::border::levy_to_floor(u(floor), u(p_origin), u(transport), u(tariff), u(cap)).0
}

/// The reference price of `rule` for commodity `c` in period `t`, or `None` when it cannot be
/// set yet (an index with no history and no initial value; no member producer).
pub fn reference(
    s: &Scenario,
    t: usize,
    state: &PolicyState,
    layout: &Layout,
    m: &MarketProblem,
    rule: &FloorRule,
    c: usize,
) -> Option<f64> {
    match &rule.reference {
        Reference::Fixed(v) => Some(v.0),
        Reference::Index { periods, initial } => {
            let start = t.saturating_sub(*periods);
            let hist: Vec<f64> = (start..t)
                .filter_map(|k| state.members_price.get(k).and_then(|v| v[c]))
                .collect();
            if hist.is_empty() {
                initial.map(|v| v.0)
            } else {
                Some(hist.iter().sum::<f64>() / hist.len() as f64)
            }
        }
        Reference::CostBased { percentile, margin } => {
            let input_value = |ci: usize| -> f64 {
                if let Some(p) = t
                    .checked_sub(1)
                    .and_then(|k| state.members_price.get(k))
                    .and_then(|v| v[ci])
                {
                    return p;
                }
                mean_reference_price(s, ci)
            };
            let mut blocks: Vec<(f64, f64)> = m
                .supply
                .iter()
                .enumerate()
                .filter(|(k, b)| {
                    let (r, bc) = layout.region_commodity(b.node);
                    bc == c
                        && layout.block_process[*k].is_some()
                        && s.bloc.is_member(&s.regions[r].id, t)
                        && b.capacity.0 > 0.0
                })
                .map(|(k, b)| {
                    // The process's inputs (a plant split by origin class draws them through
                    // its activities, not its own block).
                    let pi = layout.block_process[k].expect("filtered on a process");
                    let inputs: f64 = s.processes[pi]
                        .inputs
                        .iter()
                        .filter_map(|(cid, coef)| {
                            s.commodity_index(cid.as_str())
                                .map(|ci| coef * input_value(ci))
                        })
                        .sum();
                    (b.unit_cost.0 + b.cost_rise.0 + inputs, b.capacity.0)
                })
                .collect();
            cost_percentile(&mut blocks, *percentile).map(|cost| cost * (1.0 + margin))
        }
    }
}

/// An input's value when no price of it is known yet (the first period of a cost-based
/// reference): the mean reference price P0 of its demand rows, or 0 without any.
pub fn mean_reference_price(s: &Scenario, c: usize) -> f64 {
    let p0: Vec<f64> = s
        .demand
        .iter()
        .filter(|d| s.commodity_index(d.commodity.as_str()) == Some(c))
        .map(|d| d.price.0)
        .collect();
    if p0.is_empty() {
        0.0
    } else {
        p0.iter().sum::<f64>() / p0.len() as f64
    }
}

/// The full cost of the block at which cumulative capacity, cheapest first, reaches
/// `percentile` of the total. `blocks` are (full cost, capacity).
pub fn cost_percentile(blocks: &mut [(f64, f64)], percentile: f64) -> Option<f64> {
    blocks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = blocks.iter().map(|b| b.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mut cum = 0.0;
    for &(cost, cap) in blocks.iter() {
        cum += cap;
        if cum >= percentile * total * (1.0 - 1e-12) {
            return Some(cost);
        }
    }
    blocks.last().map(|b| b.0)
}

/// The ratio of floor `i`: the bloc's answer to a strategy when it chose one, else declared.
pub fn ratio(state: &PolicyState, i: usize, rule: &FloorRule) -> f64 {
    state
        .floor_ratio
        .get(i)
        .copied()
        .flatten()
        .unwrap_or(rule.ratio)
}

/// A floor in force in a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppliedFloor {
    /// Index of the rule in `[[bloc.floor]]`.
    pub rule: usize,
    /// The commodity.
    pub commodity: usize,
    /// Its reference price this period.
    pub reference: UsdPerTonne,
    /// The floor: reference × ratio.
    pub floor: UsdPerTonne,
}

/// The floors of a scenario (`[[bloc.floor]]`), as an [`Instrument`]: a levy on the routes
/// they cover, held between recomputations in [`PolicyState::held_levy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Floors;

impl Instrument for Floors {
    fn name(&self) -> &'static str {
        "floor"
    }

    /// The levy's revenue goes to the importer.
    fn welfare(&self, p: &Solved<'_>, _state: &PolicyState, w: &mut [Welfare]) {
        let o = p.outcome;
        for (k, &(_, d, _)) in p.layout.routes.iter().enumerate() {
            let f = o.flow.get(k).copied().unwrap_or(0.0);
            if f > 0.0 {
                w[d].levy_revenue += o.levy[k] * f;
            }
        }
    }

    /// Sets the floors in force and the levy on each route they cover.
    fn apply(
        &self,
        period: &Period<'_>,
        m: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    ) {
        let (s, t, state) = (period.scenario, period.t, period.state);
        for (i, rule) in s.bloc.floors.iter().enumerate() {
            if !rule.span.covers(t) {
                continue;
            }
            let Some(c) = s.commodity_index(rule.commodity.as_str()) else {
                continue;
            };
            let Some(reference) = reference(s, t, state, layout, m, rule, c) else {
                continue;
            };
            let applied_floor = AppliedFloor {
                rule: i,
                commodity: c,
                reference: UsdPerTonne(reference),
                floor: UsdPerTonne(reference * ratio(state, i, rule)),
            };
            set_levies(period, rule, &applied_floor, layout, m);
            applied.floors.push(applied_floor);
        }
    }

    /// Writes the floors in force to `policy.csv` and what each did to `floors.csv`,
    /// remembers each floor's levies and reports levy and tariff revenue.
    fn settle(&self, solved: &Solved<'_>, state: &mut PolicyState, tables: &mut RunTables) {
        let (s, label, o) = (solved.scenario, solved.label, solved.outcome);
        let members_price = if solved.applied.floors.is_empty() {
            Vec::new()
        } else {
            crate::members_prices(s, solved.t, solved.layout, solved.market, o)
        };
        for f in &solved.applied.floors {
            tables.policy.push(vec![
                label.to_string(),
                s.commodities[f.commodity].id.to_string(),
                num(f.reference.0),
                num(f.floor.0),
            ]);
            let trade = floor_trade(solved, f, members_price[f.commodity]);
            let status = diagnose(&trade);
            tables.floors.push(vec![
                label.to_string(),
                s.commodities[f.commodity].id.to_string(),
                num(trade.floor),
                trade.members_price.map(num).unwrap_or_default(),
                num(trade.levy_max),
                num(trade.levied_imports_t),
                num(trade.levy_free_imports_t),
                num(trade.members_exports_t),
                binds(&trade).to_string(),
                status.code().to_string(),
            ]);
        }
        for f in &solved.applied.floors {
            state.held_levy.insert(f.rule, o.levy.clone());
        }
        state.floor_room = solved
            .applied
            .floors
            .iter()
            .map(|f| floor_room(solved, f))
            .collect();
        let mut lift: Vec<f64> = Vec::new();
        if !state.floor_room.is_empty() {
            let nc = s.commodities.len();
            lift = vec![0.0; s.regions.len() * nc];
            for f in &state.floor_room {
                for (r, &l) in f.lift_usd_per_t.iter().enumerate() {
                    lift[r * nc + f.commodity] = lift[r * nc + f.commodity].max(l);
                }
            }
        }
        state.floor_lift.push(lift);
        revenue(solved, &mut tables.indicators);
    }
}

/// The levy of floor `f` (of `rule`) on every route it covers: held when not recomputed,
/// solved with the market at lag 0, else from the prices `lag` periods back.
fn set_levies(
    period: &Period<'_>,
    rule: &FloorRule,
    f: &AppliedFloor,
    layout: &Layout,
    m: &mut MarketProblem,
) {
    let (s, t, state, prices) = (period.scenario, period.t, period.state, period.prices);
    let (i, c, floor) = (f.rule, f.commodity, f.floor.0);
    let recompute = (t - rule.span.from).is_multiple_of(rule.levy.every.max(1));
    let held = state.held_levy.get(&i);
    for (k, route) in m.routes.iter_mut().enumerate() {
        let (_, d, rc) = layout.routes[k];
        if rc != c || layout.is_link(k) || !levied(s, t, layout.rules_origin(k), d, c) {
            continue;
        }
        route.levy = if !recompute {
            Levy::Fixed(UsdPerTonne(held.map(|h| h[k]).unwrap_or(0.0)))
        } else if rule.levy.lag == 0 {
            Levy::ToFloor {
                floor: UsdPerTonne(floor),
                cap: rule.levy.cap,
            }
        } else {
            let past = t.checked_sub(rule.levy.lag).and_then(|k| prices.get(k));
            let v = match past.and_then(|p| p[route.from]) {
                Some(po) => route.levy_to_floor_at(UsdPerTonne(floor), rule.levy.cap, po),
                None => 0.0,
            };
            Levy::Fixed(UsdPerTonne(v))
        };
    }
}

/// Below this a flow is solver noise, not trade, for [`diagnose`] (t per period: a kilogram).
const TRADE_T: f64 = 1e-3;
/// Relative margin within which the members' price counts as at the floor, and a levy as at
/// its cap.
const AT_FLOOR: f64 = 1e-4;
/// A levy above this share of the floor is charged, not solver noise.
const LEVY_NOISE: f64 = 1e-8;

/// What a floor met in one period: the figures [`diagnose`] reads, as written to
/// `floors.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorTrade {
    /// The floor (USD/t).
    pub floor: f64,
    /// The members' consumption-weighted price, where any member has one.
    pub members_price: Option<f64>,
    /// The largest levy on any route the floor covers (USD/t).
    pub levy_max: f64,
    /// Whether a covered route that carries goods pays the levy's cap.
    pub levy_at_cap: bool,
    /// Whether the levy was solved with this period's market (`lag = 0`, recomputed this
    /// period), rather than set from earlier prices or held.
    pub levy_solved: bool,
    /// Non-members' goods entering members on routes that pay the levy (t).
    pub levied_imports_t: f64,
    /// Non-members' goods entering members levy-free: through a framework, or shipped by a
    /// member or a framework partner under `rule = "last_shipper"` (t).
    pub levy_free_imports_t: f64,
    /// What members ship to non-members (t).
    pub members_exports_t: f64,
}

impl FloorTrade {
    /// Whether a levy above the solver's noise is charged on some covered route.
    fn levy_charged(&self) -> bool {
        self.levy_max > LEVY_NOISE * self.floor.abs().max(1.0)
    }

    /// Whether the members' price is at the floor (within [`AT_FLOOR`]) or above it.
    fn at_floor(&self) -> bool {
        self.members_price
            .is_some_and(|p| p >= self.floor * (1.0 - AT_FLOOR))
    }
}

/// Whether a floor lifted the members' price to it in a period, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FloorStatus {
    /// A levy lifts outside goods to the floor and the members' price is at it or above.
    Binding,
    /// A levy is charged, but the members' average stays below the floor: the importing
    /// members are held at it, members that import nothing are cheaper.
    BindingInImporters,
    /// No levy: outside goods land at or above the floor where they enter; the market is
    /// above it (the members' average may be below it where members that import nothing
    /// are cheaper).
    MarketAbove,
    /// The levy is at its cap and outside goods still land below the floor.
    LevyCapped,
    /// Members are net exporters: a levy on imports cannot lift their price above what
    /// they earn abroad.
    MembersExport,
    /// Outside goods reach members levy-free (a framework, or a member or partner
    /// shipping them under the last-shipper rule).
    LevyFreeImports,
    /// Covered routes carry goods below the floor at a levy set from earlier prices (`lag`)
    /// or held between recomputations (`every`), too low for this period's prices.
    LevyLagged,
    /// Members import none of it from outside (their own supply is cheaper than outside
    /// goods with the levy) and export none: a levy has nothing to act on.
    NoImports,
}

impl FloorStatus {
    /// The code written to `floors.csv`'s `status` column.
    pub fn code(self) -> &'static str {
        match self {
            FloorStatus::Binding => "binding",
            FloorStatus::BindingInImporters => "binding_in_importers",
            FloorStatus::MarketAbove => "market_above_floor",
            FloorStatus::LevyCapped => "levy_at_cap",
            FloorStatus::MembersExport => "members_export",
            FloorStatus::LevyFreeImports => "levy_free_imports",
            FloorStatus::LevyLagged => "levy_lagged",
            FloorStatus::NoImports => "no_imports",
        }
    }

    /// Every status, in the order of [`FloorStatus::code`]'s documentation.
    pub const ALL: [FloorStatus; 8] = [
        FloorStatus::Binding,
        FloorStatus::BindingInImporters,
        FloorStatus::MarketAbove,
        FloorStatus::LevyCapped,
        FloorStatus::MembersExport,
        FloorStatus::LevyFreeImports,
        FloorStatus::LevyLagged,
        FloorStatus::NoImports,
    ];

    /// The status of a `status` code, if it is one.
    pub fn from_code(code: &str) -> Option<FloorStatus> {
        FloorStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The reason in words, for the summary.
    pub fn why(self) -> &'static str {
        match self {
            FloorStatus::Binding => "binding: the levy lifts outside goods to the floor",
            FloorStatus::BindingInImporters => {
                "binding where members import; members that import nothing stay below it"
            }
            FloorStatus::MarketAbove => {
                "outside goods land at or above the floor: the market is above it"
            }
            FloorStatus::LevyCapped => "the levy hit its cap: outside goods land below the floor",
            FloorStatus::MembersExport => {
                "members are net exporters: a levy on imports cannot lift their price"
            }
            FloorStatus::LevyFreeImports => {
                "imports arrive levy-free (a framework, or shipped by a member or partner)"
            }
            FloorStatus::LevyLagged => {
                "the levy, set from earlier prices or held, is short of the floor this period"
            }
            FloorStatus::NoImports => {
                "members neither import it from outside nor export it: a levy has nothing to act on"
            }
        }
    }
}

/// Whether a floor binds somewhere: a levy above noise with the members at the floor, or a
/// levy charged on goods that enter (it then holds the importing members at the floor, or
/// at the floor less the part the cap leaves), whatever the members' average does.
pub fn binds(x: &FloorTrade) -> bool {
    x.levy_charged() && (x.at_floor() || x.levied_imports_t > TRADE_T)
}

/// Why a floor did or did not lift the members' price to it, from what it met (the first rule that applies):
/// a levy with the members at the floor binds; no levy with the members at the floor is a
/// market above it; below the floor, a levy at its cap, members exporting, levy-free
/// imports, levied goods at a levy set from earlier prices, a levy solved with the market on
/// goods that enter (binding only where members import), levied goods at no levy (they
/// land above the floor), and otherwise no trade to act on.
pub fn diagnose(x: &FloorTrade) -> FloorStatus {
    let levy = x.levy_charged();
    let imports = x.levied_imports_t + x.levy_free_imports_t;
    if x.at_floor() {
        return if levy {
            FloorStatus::Binding
        } else {
            FloorStatus::MarketAbove
        };
    }
    if x.levy_at_cap {
        FloorStatus::LevyCapped
    } else if x.members_exports_t > TRADE_T && x.members_exports_t >= imports {
        FloorStatus::MembersExport
    } else if x.levy_free_imports_t > TRADE_T {
        FloorStatus::LevyFreeImports
    } else if x.levied_imports_t > TRADE_T && !x.levy_solved {
        FloorStatus::LevyLagged
    } else if x.levied_imports_t > TRADE_T && levy {
        FloorStatus::BindingInImporters
    } else if x.levied_imports_t > TRADE_T {
        FloorStatus::MarketAbove
    } else {
        FloorStatus::NoImports
    }
}

/// What floor `f` met in the solved period: the members' trade in its commodity with
/// non-members, by whether the levy covers it, and its levies.
fn floor_trade(solved: &Solved<'_>, f: &AppliedFloor, members_price: Option<f64>) -> FloorTrade {
    let (s, t, layout, o) = (solved.scenario, solved.t, solved.layout, solved.outcome);
    let member = |r: usize| s.bloc.is_member(&s.regions[r].id, t);
    let rule = &s.bloc.floors[f.rule];
    let cap = rule.levy.cap.0;
    let mut x = FloorTrade {
        floor: f.floor.0,
        members_price,
        levy_max: 0.0,
        levy_at_cap: false,
        levy_solved: rule.levy.lag == 0
            && (t - rule.span.from).is_multiple_of(rule.levy.every.max(1)),
        levied_imports_t: 0.0,
        levy_free_imports_t: 0.0,
        members_exports_t: 0.0,
    };
    for k in 0..solved.market.routes.len() {
        let (from, d, c) = layout.routes[k];
        if c != f.commodity || layout.is_link(k) {
            continue;
        }
        let q = o.flow[k].max(0.0);
        if member(from) && !member(d) {
            x.members_exports_t += q;
        }
        if !member(d) {
            continue;
        }
        let levy = o.levy.get(k).copied().unwrap_or(0.0);
        if levied(s, t, layout.rules_origin(k), d, c) {
            x.levy_max = x.levy_max.max(levy);
            x.levied_imports_t += q;
            if q > TRADE_T && cap.is_finite() && levy >= cap * (1.0 - AT_FLOOR) && cap > 0.0 {
                x.levy_at_cap = true;
            }
        } else if !member(layout.goods_origin(k).unwrap_or(from)) {
            x.levy_free_imports_t += q;
        }
    }
    x
}

/// Where a floor can hold the price of new output up, read from one solved period: per
/// region, the tonnes a period that new output there can sell at the floor.
///
/// A floor is a levy on outside goods, so it holds a member's price at the floor only while
/// levied goods still enter at the margin: new output there displaces them and the price
/// stays up. Once they are gone the member exports and earns what it gets abroad. Goods that
/// enter levy-free, or a levy at its cap, set the price below the floor whatever the levy
/// does. So a member `d` offers room of its levied imports when none enter it levy-free and
/// no levy into it sits at its cap (else none), and a member's room is its own plus that of
/// every member it already ships the commodity to (trade inside the bloc is free; freight is
/// left out). A non-member has none.
///
/// The **lift** is what the levy adds to a region's price now: the largest levy on the
/// levied goods that enter it or the members it ships to. Output beyond the room ends those
/// imports, so it earns at most the price less the lift.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorRoom {
    /// The floor's commodity.
    pub commodity: usize,
    /// The floor (USD/t).
    pub floor: f64,
    /// Per region (scenario order): the levied imports it offers as room (t a period; 0
    /// for a non-member, or where goods enter levy-free or the levy is at its cap).
    pub own_t: Vec<f64>,
    /// Per region: the members whose room new output there can take (itself first, then
    /// the members it ships the commodity to); empty for a non-member.
    pub markets: Vec<Vec<usize>>,
    /// Per region: what the levy adds to its price now (USD/t).
    pub lift_usd_per_t: Vec<f64>,
}

impl FloorRoom {
    /// The room new output in region `r` can take, of `left` (per region, what is left of
    /// [`FloorRoom::own_t`]).
    pub fn room(&self, left: &[f64], r: usize) -> f64 {
        self.markets[r].iter().map(|&d| left[d]).sum()
    }

    /// Takes `q` tonnes of room for new output in `r` out of `left`, its own market's first.
    pub fn take(&self, left: &mut [f64], r: usize, mut q: f64) {
        for &d in &self.markets[r] {
            let x = q.min(left[d]).max(0.0);
            left[d] -= x;
            q -= x;
        }
    }
}

/// The [`FloorRoom`] of floor `f` in the solved period.
fn floor_room(solved: &Solved<'_>, f: &AppliedFloor) -> FloorRoom {
    let (s, t, layout, o) = (solved.scenario, solved.t, solved.layout, solved.outcome);
    let n = s.regions.len();
    let member = |r: usize| s.bloc.is_member(&s.regions[r].id, t);
    let cap = s.bloc.floors[f.rule].levy.cap.0;
    let (mut levied_in, mut free_in, mut capped) = (vec![0.0; n], vec![0.0; n], vec![false; n]);
    let mut levy_in = vec![0.0_f64; n];
    let mut ships = vec![false; n * n];
    for k in 0..solved.market.routes.len() {
        let (from, d, c) = layout.routes[k];
        if c != f.commodity || layout.is_link(k) || !member(d) {
            continue;
        }
        let q = o.flow[k].max(0.0);
        if levied(s, t, layout.rules_origin(k), d, c) {
            levied_in[d] += q;
            let levy = o.levy.get(k).copied().unwrap_or(0.0);
            if q > TRADE_T {
                levy_in[d] = levy_in[d].max(levy);
                if cap.is_finite() && cap > 0.0 && levy >= cap * (1.0 - AT_FLOOR) {
                    capped[d] = true;
                }
            }
        } else if !member(layout.goods_origin(k).unwrap_or(from)) {
            free_in[d] += q;
        } else if from != d && q > TRADE_T {
            ships[from * n + d] = true;
        }
    }
    let own: Vec<f64> = (0..n)
        .map(|d| {
            let open = member(d) && free_in[d] <= TRADE_T && !capped[d];
            if open && levied_in[d] > TRADE_T {
                levied_in[d]
            } else {
                0.0
            }
        })
        .collect();
    // The markets new output in r sells into: its own, then the members it ships to.
    let markets: Vec<Vec<usize>> = (0..n)
        .map(|r| {
            if !member(r) {
                return Vec::new();
            }
            std::iter::once(r)
                .chain((0..n).filter(|&d| d != r && ships[r * n + d]))
                .collect()
        })
        .collect();
    let lift_usd_per_t = markets
        .iter()
        .map(|m| m.iter().map(|&d| levy_in[d]).fold(0.0, f64::max))
        .collect();
    FloorRoom {
        commodity: f.commodity,
        floor: f.floor.0,
        own_t: own,
        markets,
        lift_usd_per_t,
    }
}

/// Whether the route o → d of c pays the bloc's levy in period t: from a non-member (or a
/// member a `non_member` market standard shuts out) into a member, not covered by a
/// framework.
pub fn levied(s: &Scenario, t: usize, o: usize, d: usize, c: usize) -> bool {
    let (ro, rd, cc) = (&s.regions[o].id, &s.regions[d].id, &s.commodities[c].id);
    s.bloc.is_member(rd, t)
        && !s.bloc.member_origin(rd, ro, cc, t)
        && !s.bloc.tariff_free(rd, ro, cc, t)
}

/// Reports levy and tariff revenue: the world's, each importer's, and each floor's
/// commodity's.
fn revenue(solved: &Solved<'_>, out: &mut bloc_results::Table) {
    let (s, layout, m, o, label) = (
        solved.scenario,
        solved.layout,
        solved.market,
        solved.outcome,
        solved.label,
    );
    let mut levy_by_importer = vec![0.0f64; layout.regions];
    let mut tariff_by_importer = vec![0.0f64; layout.regions];
    let mut levy_by_commodity = vec![0.0f64; layout.commodities];
    for k in 0..m.routes.len() {
        let (_, d, c) = layout.routes[k];
        levy_by_importer[d] += o.flow[k] * o.levy[k];
        levy_by_commodity[c] += o.flow[k] * o.levy[k];
        tariff_by_importer[d] += o.flow[k] * o.tariff[k];
    }
    indicator(
        out,
        label,
        "levy_revenue_usd",
        "world".into(),
        levy_by_importer.iter().sum(),
    );
    indicator(
        out,
        label,
        "tariff_revenue_usd",
        "world".into(),
        tariff_by_importer.iter().sum(),
    );
    for (r, reg) in s.regions.iter().enumerate() {
        if levy_by_importer[r] != 0.0 {
            indicator(
                out,
                label,
                "levy_revenue_usd",
                format!("region:{}", reg.id),
                levy_by_importer[r],
            );
        }
        if tariff_by_importer[r] != 0.0 {
            indicator(
                out,
                label,
                "tariff_revenue_usd",
                format!("region:{}", reg.id),
                tariff_by_importer[r],
            );
        }
    }
    for f in &solved.applied.floors {
        indicator(
            out,
            label,
            "levy_revenue_usd",
            format!("commodity:{}", s.commodities[f.commodity].id),
            levy_by_commodity[f.commodity],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README of two-region-linear, `floor-lag1.toml`, year 2: floor 45, last year's p_A = 34,
    /// transport 5, tariff 3 → landed 42 → levy 3. Year 3: p_A = 33 → landed 41 → levy 4.
    #[test]
    fn levy_lifts_the_landed_price_to_the_floor() {
        assert_eq!(levy(45.0, 34.0, 5.0, 3.0, 1000.0), 3.0);
        assert_eq!(levy(45.0, 33.0, 5.0, 3.0, 1000.0), 4.0);
        // Never negative, never above the cap.
        assert_eq!(levy(45.0, 50.0, 5.0, 3.0, 1000.0), 0.0);
        assert_eq!(levy(45.0, 0.0, 5.0, 3.0, 10.0), 10.0);
    }

    /// A floor of 100 and what it met; each case changes one figure of `base`.
    fn trade() -> FloorTrade {
        FloorTrade {
            floor: 100.0,
            members_price: Some(100.0),
            levy_max: 8.0,
            levy_at_cap: false,
            levy_solved: true,
            levied_imports_t: 50.0,
            levy_free_imports_t: 0.0,
            members_exports_t: 0.0,
        }
    }

    /// Each status from the figure that decides it, in the order `diagnose` checks them.
    #[test]
    fn a_floor_says_whether_it_binds_and_why_not() {
        let base = trade();
        let case = |f: &dyn Fn(&mut FloorTrade)| {
            let mut x = base;
            f(&mut x);
            (diagnose(&x), binds(&x))
        };
        // Members at the floor with a levy of 8 on 50 t: binding.
        assert_eq!(case(&|_| {}), (FloorStatus::Binding, true));
        // At the floor within 1e-4 (a price of 99.995) still counts as at it.
        assert_eq!(
            case(&|x| x.members_price = Some(99.995)),
            (FloorStatus::Binding, true)
        );
        // No levy and a price of 120: the market is above the floor.
        assert_eq!(
            case(&|x| {
                x.levy_max = 0.0;
                x.members_price = Some(120.0)
            }),
            (FloorStatus::MarketAbove, false)
        );
        // Below the floor with the levy at its cap on goods that enter: capped, and binding
        // (the levy still holds the importers up by the cap).
        assert_eq!(
            case(&|x| {
                x.members_price = Some(90.0);
                x.levy_at_cap = true
            }),
            (FloorStatus::LevyCapped, true)
        );
        // Members ship 80 t out against 50 t in, no levy, price 60: they export.
        assert_eq!(
            case(&|x| {
                x.members_price = Some(60.0);
                x.levy_max = 0.0;
                x.members_exports_t = 80.0
            }),
            (FloorStatus::MembersExport, false)
        );
        // 30 t enter levy-free beside 50 t levied at 8: below the floor on average
        // because of the levy-free goods, though the levy binds where it is charged.
        assert_eq!(
            case(&|x| {
                x.members_price = Some(95.0);
                x.levy_free_imports_t = 30.0
            }),
            (FloorStatus::LevyFreeImports, true)
        );
        // A levy on 50 t and nothing else: the importers are held up, the average is not.
        assert_eq!(
            case(&|x| x.members_price = Some(95.0)),
            (FloorStatus::BindingInImporters, true)
        );
        // Levied goods enter below the floor at a levy set from last period's prices: of
        // 0 (not binding), or of 8 (binding, short of the floor).
        assert_eq!(
            case(&|x| {
                x.members_price = Some(95.0);
                x.levy_solved = false;
                x.levy_max = 0.0
            }),
            (FloorStatus::LevyLagged, false)
        );
        assert_eq!(
            case(&|x| {
                x.members_price = Some(95.0);
                x.levy_solved = false
            }),
            (FloorStatus::LevyLagged, true)
        );
        // Levied goods enter at a levy of 0 solved with the market: they land above the
        // floor, though the members' average (95) is below it.
        assert_eq!(
            case(&|x| {
                x.members_price = Some(95.0);
                x.levy_max = 0.0
            }),
            (FloorStatus::MarketAbove, false)
        );
        // Nothing enters, nothing leaves, no levy: nothing for a levy to act on. A levy on
        // routes that carry nothing (it deters them) with the members below the floor is
        // not binding either.
        let none = |x: &mut FloorTrade| {
            x.members_price = Some(95.0);
            x.levied_imports_t = 0.0;
        };
        assert_eq!(
            case(&|x| {
                none(x);
                x.levy_max = 0.0
            }),
            (FloorStatus::NoImports, false)
        );
        assert_eq!(case(&none), (FloorStatus::NoImports, false));
        // A kilogram or less is noise, not trade; no members' price is below any floor.
        assert_eq!(
            case(&|x| {
                none(x);
                x.levy_max = 0.0;
                x.levy_free_imports_t = 1e-4;
                x.members_price = None
            }),
            (FloorStatus::NoImports, false)
        );
        for st in FloorStatus::ALL {
            assert_eq!(FloorStatus::from_code(st.code()), Some(st));
            assert!(!st.why().is_empty());
        }
    }

    /// Blocks (cost, capacity): (10, 50), (30, 30), (20, 20). Cheapest first the cumulative
    /// capacity is 50, 70, 100 of 100: the 50th percentile is the cost-10 block, the 60th the
    /// cost-20 block, the 75th and 100th the cost-30 block.
    #[test]
    fn cost_percentile_walks_the_cost_curve() {
        let b = vec![(10.0, 50.0), (30.0, 30.0), (20.0, 20.0)];
        assert_eq!(cost_percentile(&mut b.clone(), 0.5), Some(10.0));
        assert_eq!(cost_percentile(&mut b.clone(), 0.6), Some(20.0));
        assert_eq!(cost_percentile(&mut b.clone(), 0.75), Some(30.0));
        assert_eq!(cost_percentile(&mut b.clone(), 1.0), Some(30.0));
        assert_eq!(cost_percentile(&mut [], 0.5), None);
    }
}
