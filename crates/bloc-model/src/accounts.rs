//! Who gains and who pays, per period (design §4): welfare by region, producers' revenue
//! and margin by region and stage, capacity and investment, import dependence, and — against
//! a baseline run — consumer cost and the change in welfare.
//!
//! ## Welfare of a region in a period (USD), as cash flows of the period
//! * `welfare_consumer_surplus_usd`: Σ over its buyers of (area under the demand curve up to
//!   the quantity bought − price × quantity). The level depends on the choke price; changes
//!   between runs do not, as long as buyers stay below it.
//! * `welfare_producer_surplus_usd`: Σ over its plants of (what they earn, market price plus
//!   subsidies and guarantee top-ups, or the strike when the state buys the output) × output
//!   − operating cost (unit cost × q + cost rise × q² / (2 × capacity)) − inputs at their
//!   regional prices.
//! * `welfare_tariff_revenue_usd`, `welfare_levy_revenue_usd`: duties on its imports.
//! * `welfare_export_revenue_usd`: what its export measures earn it: export tax × tonnes and
//!   the scarcity rent of its quotas and licences (the quota's shadow price × tonnes), on
//!   every route its export controls and strategies cover.
//! * `welfare_support_cost_usd`: what its government pays its own producers: subsidies and
//!   guarantee top-ups ((earned − market price) × output), or the strike × output for a
//!   guarantee that buys the output outright (that output is counted when it is released).
//! * `welfare_stockpile_cost_usd`: its stockpiles' purchases − release revenue + storage.
//! * `welfare_total_usd` = consumer + producer surplus + tariff + levy + export revenue −
//!   support − stockpile cost. Scopes `region:<id>`, `members`, `non_members`, `world`.
//!
//! With a baseline, `welfare_change_usd` is this run's `welfare_total_usd` minus the
//! baseline's in the same period, per region, and for `members`, `non_members` and `world`
//! summed over the regions in that group in this run, and `consumer_cost_usd` (scope `region:<id>`, the
//! groups, and `region:<id>:<commodity>`) is Σ (price − baseline price) × quantity bought in
//! this run: the extra spend of buyers on what they buy.

use crate::fleet::{Event, Fleet};
use bloc_market::{MarketOutcome, MarketProblem};
use bloc_policy::{Applied, Layout, PolicyState, Solved, INSTRUMENTS};
use bloc_results::{num, Table};
use bloc_scenario::Scenario;
use std::collections::BTreeMap;

pub use bloc_policy::welfare::Welfare;

/// What a period leaves for the comparison with a baseline.
#[derive(Debug, Clone, Default)]
pub struct PeriodAccounts {
    /// Period label.
    pub label: String,
    /// Welfare per scope (`region:<id>`, `members`, `non_members`, `world`).
    pub welfare: BTreeMap<String, f64>,
    /// (region id, commodity id) → (price, quantity bought by final buyers).
    pub purchases: BTreeMap<(String, String), (f64, f64)>,
    /// Region id → member this period.
    pub member: BTreeMap<String, bool>,
    /// Per process (scenario order): its operating margin this period (what it earned,
    /// support included, less operating and input costs; co-products earn as negative
    /// inputs), USD.
    pub plant_margin: Vec<f64>,
    /// Per process: the support in that margin (subsidies, top-ups, sales to the state
    /// above the market), USD.
    pub plant_support: Vec<f64>,
}

/// Area under a demand curve from 0 to `q`.
fn gross_value(curve: &bloc_market::DemandCurve, q: f64) -> f64 {
    let mut left = q;
    let mut area = 0.0;
    for seg in &curve.segments {
        if left <= 0.0 {
            break;
        }
        let x = left.min(seg.width.0);
        area += x * (seg.wtp_start.0 + seg.wtp_at(x)) / 2.0;
        left -= x;
    }
    area
}

/// Everything a period's accounts need.
#[derive(Debug)]
pub(crate) struct PeriodView<'a> {
    pub s: &'a Scenario,
    pub t: usize,
    pub label: &'a str,
    pub m: &'a MarketProblem,
    pub layout: &'a Layout,
    pub o: &'a MarketOutcome,
    pub applied: &'a Applied,
    pub state: &'a PolicyState,
    pub fleet: &'a Fleet,
}

/// A period's books by region, before they are written.
pub(crate) struct Ledger<'a> {
    /// Welfare per region.
    pub w: Vec<Welfare>,
    /// (region id, commodity id) → (price, quantity bought by final buyers).
    purchases: BTreeMap<(String, String), (f64, f64)>,
    /// Per use node: buyers' purchases plus plants' input use (t).
    use_: Vec<f64>,
    /// (region, stage) → (producers' revenue, margin).
    by_stage: BTreeMap<(usize, &'a str), (f64, f64)>,
    /// Per process: (margin, support in it).
    plants: Vec<(f64, f64)>,
}

/// Every region's welfare in the period and what the indicators need besides (design §4; the
/// module's header says what each component is).
pub(crate) fn ledger<'a>(v: &PeriodView<'a>) -> Ledger<'a> {
    let s = v.s;
    let mut l = Ledger {
        w: vec![Welfare::default(); s.regions.len()],
        purchases: BTreeMap::new(),
        use_: vec![0.0f64; s.regions.len() * s.commodities.len()],
        by_stage: BTreeMap::new(),
        plants: vec![(0.0, 0.0); s.processes.len()],
    };
    l.buyers(v);
    l.producers(v);
    // Tariffs; what the instruments collect and pay (a levy, export measures, stockpiles).
    let (o, layout) = (v.o, v.layout);
    for (k, &(_, d, _)) in layout.routes.iter().enumerate() {
        let f = o.flow.get(k).copied().unwrap_or(0.0);
        if f > 0.0 {
            l.w[d].tariff_revenue += o.tariff[k] * f;
        }
    }
    let solved = Solved {
        scenario: s,
        t: v.t,
        label: v.label,
        layout,
        market: v.m,
        outcome: o,
        applied: v.applied,
    };
    for i in INSTRUMENTS {
        i.welfare(&solved, v.state, &mut l.w);
    }
    l
}

impl<'a> Ledger<'a> {
    /// Final buyers: consumer surplus, purchases, use.
    fn buyers(&mut self, v: &PeriodView<'a>) {
        let (s, m, o, layout) = (v.s, v.m, v.o, v.layout);
        let price = |n: usize| o.prices[n].unwrap_or(0.0);
        for (k, d) in m.demand.iter().enumerate() {
            if layout.demand_row.get(k).copied().flatten().is_none() {
                continue;
            }
            let (r, c) = layout.region_commodity(d.node);
            let q = o.demand[k];
            let p = price(d.node);
            self.w[r].consumer_surplus += gross_value(&d.curve, q) - p * q;
            self.use_[d.node] += q;
            let e = self
                .purchases
                .entry((s.regions[r].id.to_string(), s.commodities[c].id.to_string()))
                .or_insert((p, 0.0));
            e.1 += q;
        }
    }

    /// Producers, by region, stage and plant: margin, the support in it, input use.
    fn producers(&mut self, v: &PeriodView<'a>) {
        let (s, m, o, layout) = (v.s, v.m, v.o, v.layout);
        let price = |n: usize| o.prices[n].unwrap_or(0.0);
        for (k, b) in m.supply.iter().enumerate() {
            let Some(pi) = layout.block_process.get(k).copied().flatten() else {
                continue;
            };
            let r = s
                .region_index(s.processes[pi].region.as_str())
                .expect("validated region");
            let q = o.supply[k];
            let p = price(b.node);
            let earned = b.revenue_at(p);
            let inputs: f64 = b.inputs.iter().map(|&(n, kk)| kk * price(n) * q).sum();
            // Inputs are use (co-products, negative inputs, are not); under rules of origin an
            // input or co-product node may be an origin-class node: count it at its use node.
            for &(n, kk) in b.inputs.iter().filter(|&&(_, kk)| kk > 0.0) {
                self.use_[layout.use_node(n)] += kk * q;
            }
            let cap = b.capacity.0;
            let opcost = b.unit_cost.0 * q
                + if cap > 0.0 {
                    b.cost_rise.0 * q * q / (2.0 * cap)
                } else {
                    0.0
                };
            let revenue = earned * q;
            let margin = revenue - opcost - inputs;
            self.w[r].producer_surplus += margin;
            let support = if b.sold_to_state {
                revenue
            } else {
                (earned - p) * q
            };
            self.w[r].support_cost += support;
            self.plants[pi].0 += margin;
            self.plants[pi].1 += support;
            let (_, c) = layout.region_commodity(b.node);
            let e = self
                .by_stage
                .entry((r, s.commodities[c].stage.as_str()))
                .or_default();
            e.0 += revenue;
            e.1 += margin;
        }
    }
}

/// Writes the period's welfare, producer, capacity, investment and import-dependence
/// indicators, and returns what a baseline comparison needs.
pub(crate) fn period_accounts(v: &PeriodView, out: &mut Table) -> PeriodAccounts {
    let (s, t, o, layout) = (v.s, v.t, v.o, v.layout);
    let nr = s.regions.len();
    let nc = s.commodities.len();
    let member = s.bloc.members_in(s.regions.iter().map(|r| &r.id), t);
    let mut row = |name: &str, scope: String, x: f64| {
        out.push(vec![v.label.to_string(), name.to_string(), scope, num(x)]);
    };
    let Ledger {
        w,
        purchases,
        use_,
        by_stage,
        plants,
    } = ledger(v);
    // Welfare rows.
    let mut acc = PeriodAccounts {
        label: v.label.to_string(),
        purchases,
        member: s
            .regions
            .iter()
            .zip(&member)
            .map(|(r, &b)| (r.id.to_string(), b))
            .collect(),
        plant_margin: plants.iter().map(|x| x.0).collect(),
        plant_support: plants.iter().map(|x| x.1).collect(),
        ..PeriodAccounts::default()
    };
    let mut groups = [
        ("members", Welfare::default()),
        ("non_members", Welfare::default()),
        ("world", Welfare::default()),
    ];
    for (r, reg) in s.regions.iter().enumerate() {
        let scope = format!("region:{}", reg.id);
        for (name, x) in w[r].rows() {
            row(name, scope.clone(), x);
        }
        acc.welfare.insert(scope, w[r].total());
        groups[if member[r] { 0 } else { 1 }].1.add(&w[r]);
        groups[2].1.add(&w[r]);
    }
    for (g, wg) in &groups {
        if *g == "members" && !member.iter().any(|&b| b) {
            continue;
        }
        for (name, x) in wg.rows() {
            row(name, g.to_string(), x);
        }
        acc.welfare.insert(g.to_string(), wg.total());
    }
    for (&(r, stage), &(revenue, margin)) in &by_stage {
        let scope = format!("region:{}:{stage}", s.regions[r].id);
        row("producer_revenue_usd", scope.clone(), revenue);
        row("producer_margin_usd", scope, margin);
    }
    // Net import reliance of the members on non-members (as the USGS measures it for a
    // country): what crosses from non-members into members minus what crosses back, over
    // members' use. Flows inside the group cancel out of that sum, so it equals members'
    // use and stock purchases minus their output and releases, which the equilibrium fixes
    // uniquely. Gross imports would not be: where routes tie (equal transport costs), a
    // member can import from a non-member while another member exports to one, and any split
    // is an equilibrium. Negative: the members export more than they import.
    if member.iter().any(|&b| b) {
        for (c, com) in s.commodities.iter().enumerate() {
            let used: f64 = (0..nr)
                .filter(|&r| member[r])
                .map(|r| use_[r * nc + c])
                .sum();
            if used <= 0.0 {
                continue;
            }
            let net_imports: f64 = layout
                .routes
                .iter()
                .enumerate()
                .filter(|(_, &(_, _, cc))| cc == c)
                .map(|(k, &(a, b, _))| {
                    let f = o.flow.get(k).copied().unwrap_or(0.0);
                    match (member[a], member[b]) {
                        (false, true) => f,
                        (true, false) => -f,
                        _ => 0.0,
                    }
                })
                .sum();
            row(
                "import_dependence",
                format!("members:{}", com.id),
                net_imports / used,
            );
        }
    }
    fleet_rows(v, &member, &mut row);
    acc
}

/// Capacity, investment and closures.
fn fleet_rows(v: &PeriodView, member: &[bool], row: &mut dyn FnMut(&str, String, f64)) {
    let (s, t) = (v.s, v.t);
    if !s.processes.iter().any(|p| p.project.is_some()) && s.closures.is_none() {
        return;
    }
    let group = |r: usize| if member[r] { "members" } else { "non_members" };
    let mut built: BTreeMap<String, f64> = BTreeMap::new();
    let mut in_service: BTreeMap<String, f64> = BTreeMap::new();
    let mut mothballed: BTreeMap<String, f64> = BTreeMap::new();
    let mut invest: BTreeMap<String, f64> = BTreeMap::new();
    let mut grants: BTreeMap<String, f64> = BTreeMap::new();
    let mut decided: BTreeMap<String, f64> = BTreeMap::new();
    for (i, p) in s.processes.iter().enumerate() {
        let r = s.region_index(p.region.as_str()).expect("validated region");
        let key = format!("{}:{}", group(r), p.output);
        let share = v.fleet.share(s, i, t);
        if p.project.is_some() {
            *in_service.entry(key.clone()).or_default() += share * p.capacity.0;
        }
        if share == 0.0 && p.in_service(t) && p.project.is_none() {
            *mothballed.entry(key.clone()).or_default() += p.capacity.0;
        }
    }
    for (i, e) in v.fleet.events_in(t) {
        let p = &s.processes[i];
        let r = s.region_index(p.region.as_str()).expect("validated region");
        let key = format!("{}:{}", group(r), p.output);
        match e {
            Event::Online => *built.entry(key).or_default() += p.capacity.0,
            Event::Decided => {
                let capex = p
                    .project
                    .as_ref()
                    .map_or(0.0, |pr| pr.capital_usd_per_t_per_yr)
                    * p.capacity.0;
                for scope in [group(r).to_string(), format!("region:{}", p.region)] {
                    *invest.entry(scope.clone()).or_default() += capex;
                    *grants.entry(scope.clone()).or_default() += capex * v.fleet.grant_share(i);
                    *decided.entry(scope).or_default() += 1.0;
                }
            }
            Event::Mothballed | Event::Restarted => {}
        }
    }
    for (name, map) in [
        ("capacity_built_t_per_yr", &built),
        ("project_capacity_t_per_yr", &in_service),
        ("mothballed_capacity_t_per_yr", &mothballed),
        ("investment_usd", &invest),
        ("capital_grant_usd", &grants),
        ("projects_decided", &decided),
    ] {
        for (scope, &x) in map {
            row(name, scope.clone(), x);
        }
    }
}

/// Rows comparing a run's periods with a baseline's, matched by period label:
/// `welfare_change_usd` and `consumer_cost_usd`.
pub fn baseline_rows(run: &[PeriodAccounts], baseline: &[PeriodAccounts], out: &mut Table) {
    let base: BTreeMap<&str, &PeriodAccounts> =
        baseline.iter().map(|a| (a.label.as_str(), a)).collect();
    for a in run {
        let Some(b) = base.get(a.label.as_str()) else {
            continue;
        };
        let mut row = |name: &str, scope: String, x: f64| {
            out.push(vec![a.label.clone(), name.to_string(), scope, num(x)]);
        };
        // Regions one by one; a group as the sum over the regions in it in this run (the
        // baseline may group them otherwise, e.g. no members at all).
        let mut group_change: BTreeMap<&str, f64> = BTreeMap::new();
        for (region, &is_member) in &a.member {
            let scope = format!("region:{region}");
            let (Some(&x), Some(&y)) = (a.welfare.get(&scope), b.welfare.get(&scope)) else {
                continue;
            };
            row("welfare_change_usd", scope, x - y);
            let g = if is_member { "members" } else { "non_members" };
            *group_change.entry(g).or_default() += x - y;
            *group_change.entry("world").or_default() += x - y;
        }
        for (g, x) in group_change {
            if a.welfare.contains_key(g) {
                row("welfare_change_usd", g.to_string(), x);
            }
        }
        let mut by_region: BTreeMap<&str, f64> = BTreeMap::new();
        let mut groups: BTreeMap<&str, f64> = BTreeMap::new();
        for ((r, c), &(p, q)) in &a.purchases {
            let Some(&(pb, _)) = b.purchases.get(&(r.clone(), c.clone())) else {
                continue;
            };
            let extra = (p - pb) * q;
            row("consumer_cost_usd", format!("region:{r}:{c}"), extra);
            *by_region.entry(r).or_default() += extra;
            let g = if a.member.get(r).copied().unwrap_or(false) {
                "members"
            } else {
                "non_members"
            };
            *groups.entry(g).or_default() += extra;
            *groups.entry("world").or_default() += extra;
        }
        for (r, x) in by_region {
            row("consumer_cost_usd", format!("region:{r}"), x);
        }
        for (g, x) in groups {
            row("consumer_cost_usd", g.to_string(), x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bloc_units::{Tonnes, UsdPerTonne};

    /// A linear curve P = 100 − q on [0, 100]: the area up to 40 is 100·40 − 40²/2 = 3,200.
    #[test]
    fn gross_value_is_the_area_under_the_curve() {
        let c = bloc_market::DemandCurve {
            segments: vec![bloc_market::Segment {
                width: Tonnes(100.0),
                wtp_start: UsdPerTonne(100.0),
                wtp_end: UsdPerTonne(0.0),
            }],
            choke_width: Tonnes(0.0),
        };
        assert!((gross_value(&c, 40.0) - 3200.0).abs() < 1e-9);
        assert!((gross_value(&c, 150.0) - 5000.0).abs() < 1e-9);
    }
}
