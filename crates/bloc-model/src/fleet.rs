//! The plants over time (design §3): which capacity is in service each period.
//!
//! * An existing process runs from its `online` period to before its `offline` period.
//! * A **project** (a row of `projects.csv`) has no capacity until its final investment
//!   decision (FID). It decides in the first period `t ≥ earliest_fid` in which its expected
//!   margin covers its capital recovery:
//!
//!   ```text
//!   expected price  P  = mean of its region's output price over the last n periods (t−n+1 … t);
//!                        where a floor on its output is in force in its region (a member),
//!                        the share s of its output that fits in the floor's room (below)
//!                        earns max(P, floor) and the rest the price without the levy, P less
//!                        the floor's lift L: P ← s·max(P, floor) + (1 − s)·(P − L);
//!                        the part under a guarantee earns max(P, strike)
//!   expected margin    = P + subsidy − unit cost − cost rise / 2 − Σ input coefficient × expected input price
//!   capital recovery   = capital × (1 − capital grant share) × r / (1 − (1 + r)^−life)     (USD per t)
//!   decides when margin ≥ capital recovery
//!   ```
//!
//!   Decisions use prices up to and including period t (the period is solved first), so a
//!   project that decides in t comes online in `t + lead` (at the earliest `t + 1`), and has
//!   `min(1, (k + 1) / ramp)` of its capacity in its k-th period online.
//!
//!   A floor is a levy on outside goods, so it holds a price up only while levied goods
//!   still enter (`bloc_policy::floor::FloorRoom`): its **room** in a region is the levied
//!   imports of the members it can sell to (itself and the members it ships to), where no
//!   goods enter levy-free and the levy is not at its cap, in the period just solved. A
//!   project's share is `s = min(1, room / its output per period)`; a project that decides
//!   takes its share of the room, so the projects deciding in one period do not count on the
//!   same imports twice (they decide in scenario order). Where members export, import only
//!   levy-free or import nothing, the room is 0 and a project expects the market price
//!   without the levy.
//!   Projects that decided earlier and are not yet at full capacity in the period just
//!   solved have taken the part of the room their capacity still to come will fill (each takes its own region's room first). The
//!   lift L is the levy on the levied goods entering those members, averaged over the same
//!   n periods as the price (0 in a period without such goods): output beyond the room ends
//!   those imports, so earns at most the price less the levy (an upper bound: once members
//!   export they earn less). A look-ahead price (`foresight_yr`) is solved without
//!   instruments, so it has no lift. A project with a
//!   `fid` in the table has decided then, whatever the economics. A project with an `after`
//!   (a staged expansion's next step) may decide only from the first period the project it
//!   names is online.
//! * With `[closures]`, a process in service whose price (its region's output price, with
//!   per-tonne subsidies, and its guaranteed share at least the strike less the state's share
//!   of a two-sided contract's upside) stays below its operating cost (unit
//!   cost plus inputs at their regional prices) for `after_periods` consecutive periods
//!   mothballs from the next period; once the price covers its operating cost again it runs
//!   again `restart_after_periods` periods later (at least one).

use bloc_policy::floor::FloorRoom;
use bloc_scenario::{Closures, ExpectedPrice, Process, Scenario};

/// What happened to a plant in a period (for indicators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A project took its final investment decision.
    Decided,
    /// A project came online (its first period with capacity).
    Online,
    /// A process mothballed (its first period out).
    Mothballed,
    /// A mothballed process restarted (its first period back).
    Restarted,
}

/// Process `i` in region `r` making commodity `out`, with its support per tonne and the
/// strike of its guarantee, if any, in the period.
struct Plant {
    i: usize,
    r: usize,
    out: usize,
    support: f64,
    strike: Option<f64>,
}

#[derive(Debug, Clone, Default)]
struct PlantState {
    /// Period of the FID (projects); may be before the run.
    fid: Option<i64>,
    /// Consecutive periods below operating cost.
    below: usize,
    /// Mothballed from this period.
    mothballed_from: Option<usize>,
    /// Runs again from this period.
    restart_at: Option<usize>,
    /// Capital grant share at the decision.
    grant_share: f64,
}

/// The fleet's state between periods.
#[derive(Debug, Clone)]
pub struct Fleet {
    plants: Vec<PlantState>,
    /// Per process: the process its project's `after` names.
    after: Vec<Option<usize>>,
    /// (period, process, event), in the order they happened.
    pub events: Vec<(usize, usize, Event)>,
}

/// What the fleet needs to know about one solved period.
#[derive(Debug)]
pub struct PeriodPrices<'a> {
    /// Price per node (region × commodity), every period so far (this one last).
    pub history: &'a [Vec<Option<f64>>],
    /// Floors in force this period, and where each can hold the price of new output up.
    pub floors: &'a [FloorRoom],
    /// Per period so far, per node: what a floor's levy added to the price
    /// (`PolicyState::floor_lift`; empty: no floor then).
    pub lift: &'a [Vec<f64>],
    /// With `[investment] foresight_yr`: the prices per node of the market that far ahead
    /// (today's decided capacity, that period's demand, no instrument), when it solved.
    pub ahead: Option<&'a [Option<f64>]>,
}

impl Fleet {
    /// The fleet before the first period: projects with a `fid` have decided.
    pub fn new(s: &Scenario) -> Self {
        let plants = s
            .processes
            .iter()
            .map(|p| PlantState {
                fid: p.project.as_ref().and_then(|pr| pr.fid),
                ..PlantState::default()
            })
            .collect();
        let after = s
            .processes
            .iter()
            .map(|p| {
                let a = p.project.as_ref()?.after.as_ref()?;
                s.processes.iter().position(|q| q.id == *a)
            })
            .collect();
        let mut f = Fleet {
            plants,
            after,
            events: Vec::new(),
        };
        let n = s.time.periods as i64;
        for (i, p) in s.processes.iter().enumerate() {
            let Some(fid) = f.plants[i].fid else { continue };
            if (0..n).contains(&fid) {
                f.events.push((fid as usize, i, Event::Decided));
            }
            if let Some(on) = f.online_period(p, fid).filter(|&on| (on as i64) < n) {
                f.events.push((on, i, Event::Online));
            }
        }
        f
    }

    /// First period with capacity of a project that decided in `fid`, when that is in or
    /// after period 0.
    fn online_period(&self, p: &Process, fid: i64) -> Option<usize> {
        usize::try_from(first_online(p, fid)).ok()
    }

    /// Share of process `i`'s capacity in service in period `t` (0–1).
    pub fn share(&self, s: &Scenario, i: usize, t: usize) -> f64 {
        let p = &s.processes[i];
        if !p.in_service(t) {
            return 0.0;
        }
        let st = &self.plants[i];
        if let Some(m) = st.mothballed_from {
            if t >= m && st.restart_at.is_none_or(|r| t < r) {
                return 0.0;
            }
        }
        match &p.project {
            None => 1.0,
            Some(pr) => match st.fid {
                None => 0.0,
                Some(fid) => pr.ramp_share(t as i64 - first_online(p, fid)),
            },
        }
    }

    /// The period a project decided, if it has (periods from the start; may be negative).
    pub fn fid(&self, i: usize) -> Option<i64> {
        self.plants[i].fid
    }

    /// The capital grant share a project got at its decision.
    pub fn grant_share(&self, i: usize) -> f64 {
        self.plants[i].grant_share
    }

    /// After period `t` is solved: closures, restarts and investment decisions.
    pub fn update(&mut self, s: &Scenario, t: usize, prices: &PeriodPrices) {
        let nc = s.commodities.len();
        let Some(now) = prices.history.last() else {
            return;
        };
        let mut left = self.room_left(s, t, prices);
        for (i, p) in s.processes.iter().enumerate() {
            let r = s.region_index(p.region.as_str()).expect("validated region");
            let out = s.commodity_index(p.output.as_str()).expect("validated");
            let price_now = |c: usize| now[r * nc + c];
            let plant = Plant {
                i,
                r,
                out,
                support: support_per_t(s, p, t),
                strike: strike(s, p, t),
            };
            // Operating cost now, and the price the plant earns now.
            let opcost = p.inputs.iter().try_fold(p.unit_cost.0, |acc, (c, k)| {
                let ci = s.commodity_index(c.as_str()).expect("validated");
                price_now(ci).map(|pi| acc + k * pi)
            });
            let co_now = co_product_revenue(s, p, price_now);
            let earns = price_now(out)
                .map(|po| guaranteed_price(s, p, t, plant.strike, po) + plant.support + co_now);
            if let (Some(closures), Some(opcost), Some(earns)) = (s.closures, opcost, earns) {
                self.close_or_restart(s, t, i, closures, (earns, opcost));
            }
            self.decide(s, t, &plant, prices, &mut left);
        }
    }

    /// What is left of each floor's room, per region: less what projects decided and not yet
    /// at full capacity next period will add (then taken as projects decide in order).
    fn room_left(&self, s: &Scenario, t: usize, prices: &PeriodPrices) -> Vec<Vec<f64>> {
        let mut left: Vec<Vec<f64>> = prices.floors.iter().map(|f| f.own_t.clone()).collect();
        for (i, p) in s.processes.iter().enumerate() {
            let (Some(pr), Some(fid)) = (&p.project, self.plants[i].fid) else {
                continue;
            };
            // Its capacity not yet in this period's supply (the room was measured with it).
            let ramp = pr.ramp_share(t as i64 - first_online(p, fid));
            let coming = p.capacity.0 * s.time.years_per_period() * (1.0 - ramp);
            let r = s.region_index(p.region.as_str()).expect("validated region");
            for (f, l) in prices.floors.iter().zip(&mut left) {
                if s.commodities[f.commodity].id == p.output && coming > 0.0 {
                    f.take(l, r, coming);
                }
            }
        }
        left
    }

    /// `[closures]`: a running plant that earns less than its operating cost for
    /// `after_periods` in a row is mothballed from the next period; a mothballed one that
    /// covers it again restarts `restart_after_periods` later.
    fn close_or_restart(
        &mut self,
        s: &Scenario,
        t: usize,
        i: usize,
        closures: Closures,
        (earns, opcost): (f64, f64),
    ) {
        let running = self.share(s, i, t) > 0.0;
        let st = &mut self.plants[i];
        let out_now = st
            .mothballed_from
            .is_some_and(|m| t >= m && st.restart_at.is_none_or(|rs| t < rs));
        if running {
            if earns < opcost {
                st.below += 1;
                if st.below >= closures.after_periods {
                    st.mothballed_from = Some(t + 1);
                    st.restart_at = None;
                    st.below = 0;
                    self.events.push((t + 1, i, Event::Mothballed));
                }
            } else {
                st.below = 0;
            }
        } else if out_now && st.restart_at.is_none() && earns >= opcost {
            let back = t + closures.restart_after_periods.max(1);
            st.restart_at = Some(back);
            self.events.push((back, i, Event::Restarted));
        }
    }

    /// A project that may decide in `t` does when its expected margin (over the trailing
    /// prices, or the market ahead, the floor's room counted) recovers its capital.
    fn decide(
        &mut self,
        s: &Scenario,
        t: usize,
        plant: &Plant,
        prices: &PeriodPrices,
        left: &mut [Vec<f64>],
    ) {
        let (i, r, out) = (plant.i, plant.r, plant.out);
        let nc = s.commodities.len();
        let p = &s.processes[i];
        let Some(pr) = &p.project else { return };
        if self.plants[i].fid.is_some() || (t as i64) < pr.earliest_fid {
            return;
        }
        if let Some(j) = self.after[i] {
            let on = self.plants[j].fid.map(|f| first_online(&s.processes[j], f));
            if on.is_none_or(|on| (t as i64) < on) {
                return;
            }
        }
        let ExpectedPrice::Trailing { periods } = s.investment.expected_price;
        let from = (t + 1).saturating_sub(periods);
        let mean = |c: usize| -> Option<f64> {
            let v: Vec<f64> = prices.history[from..=t]
                .iter()
                .filter_map(|ps| ps[r * nc + c])
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        // The floor on its output, and the share of its output the floor's room takes.
        let per_period = p.capacity.0 * s.time.years_per_period();
        let floor = prices
            .floors
            .iter()
            .position(|f| f.commodity == out)
            .filter(|_| s.bloc.is_member(&p.region, t))
            .map(|j| {
                let room = prices.floors[j].room(&left[j], r);
                let share = if per_period > 0.0 {
                    (room / per_period).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                // The levy's part of the trailing mean price: its mean over the window.
                let window = prices.lift.get(from..=t).unwrap_or(&[]);
                let lift = window
                    .iter()
                    .map(|l| l.get(r * nc + out).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / window.len().max(1) as f64;
                (
                    j,
                    share,
                    FloorCredit {
                        floor: prices.floors[j].floor,
                        share,
                        lift,
                    },
                )
            });
        let credit = floor.map(|(_, _, c)| c);
        let (support, strike) = (plant.support, plant.strike);
        let trailing = expected_margin(s, p, t, credit, support, strike, mean);
        let ahead_credit = credit.map(|c| FloorCredit { lift: 0.0, ..c });
        let ahead = prices.ahead.and_then(|a| {
            expected_margin(s, p, t, ahead_credit, support, strike, |c| a[r * nc + c])
        });
        let Some(margin) = trailing.into_iter().chain(ahead).reduce(f64::max) else {
            return;
        };
        let grant = grant_share(s, p, t);
        let life = pr.life_yr.unwrap_or(s.investment.life_yr);
        let recovery = pr.capital_usd_per_t_per_yr
            * (1.0 - grant)
            * s.investment.capital_recovery_factor(life);
        if margin >= recovery {
            if let Some((j, share, _)) = floor {
                prices.floors[j].take(&mut left[j], r, share * per_period);
            }
            let st = &mut self.plants[i];
            st.fid = Some(t as i64);
            st.grant_share = grant;
            self.events.push((t, i, Event::Decided));
            if let Some(on) = self.online_period(p, t as i64) {
                self.events.push((on, i, Event::Online));
            }
        }
    }

    /// Events of period `t`.
    pub fn events_in(&self, t: usize) -> impl Iterator<Item = (usize, Event)> + '_ {
        self.events
            .iter()
            .filter(move |(at, _, _)| *at == t)
            .map(|&(_, i, e)| (i, e))
    }
}

/// The first period with capacity (from the run's start; negative: before it) of process `p`
/// deciding in `fid`: its lead time later, at least one period.
pub(crate) fn first_online(p: &Process, fid: i64) -> i64 {
    fid + (p.project.as_ref().map_or(0, |pr| pr.lead_periods) as i64).max(1)
}

/// What a floor on its output promises one project (see the module docs).
#[derive(Debug, Clone, Copy)]
struct FloorCredit {
    /// The floor (USD/t).
    floor: f64,
    /// The share of the project's output that fits in the floor's room (0–1).
    share: f64,
    /// What the levy adds to the price now (USD/t).
    lift: f64,
}

impl FloorCredit {
    /// The price a project expects at market price `p`: its share at the floor or above,
    /// the rest at the price without the levy.
    fn price(&self, p: f64) -> f64 {
        self.share * p.max(self.floor) + (1.0 - self.share) * (p - self.lift)
    }
}

/// A project's expected margin per tonne at the prices `price` gives (output, inputs and
/// co-products at its region): the output price, as far as a floor can hold it
/// ([`FloorCredit::price`]), the guaranteed share at least the strike, plus subsidies and
/// co-product revenue, less unit cost, half the cost rise and inputs. `None` when the
/// output or an input has no price.
fn expected_margin(
    s: &Scenario,
    p: &Process,
    t: usize,
    floor: Option<FloorCredit>,
    support: f64,
    strike: Option<f64>,
    price: impl Fn(usize) -> Option<f64>,
) -> Option<f64> {
    let out = s.commodity_index(p.output.as_str()).expect("validated");
    let mut expected = price(out)?;
    if let Some(f) = floor {
        expected = f.price(expected);
    }
    expected = guaranteed_price(s, p, t, strike, expected);
    let inputs = p.inputs.iter().try_fold(0.0, |acc, (c, k)| {
        let ci = s.commodity_index(c.as_str()).expect("validated");
        price(ci).map(|v| acc + k * v)
    })?;
    let co_products = co_product_revenue(s, p, &price);
    Some(
        expected + support + co_products
            - p.unit_cost.0
            - p.cost_rise_or_default().0 / 2.0
            - inputs,
    )
}

/// What `p` earns a tonne at market price `price` under its guarantees in force in `t`: the
/// guaranteed share of its capacity at least the strike, less the state's share of the upside
/// of a two-sided contract; the rest at the market price. Investment and closures both read
/// it.
fn guaranteed_price(s: &Scenario, p: &Process, t: usize, strike: Option<f64>, price: f64) -> f64 {
    let cap = p.capacity.0;
    match strike {
        Some(k) if cap > 0.0 => {
            let covered = guaranteed_volume(s, p, t).min(cap) / cap;
            let upside = upside_given(s, p, t, price);
            covered * (price.max(k) - upside) + (1.0 - covered) * price
        }
        _ => price,
    }
}

/// Per-tonne production subsidies in force on `p` in period `t`.
fn support_per_t(s: &Scenario, p: &Process, t: usize) -> f64 {
    s.bloc
        .subsidies
        .iter()
        .filter(|x| x.span.covers(t) && x.processes.contains(&p.id))
        .map(|x| x.per_t.0)
        .sum()
}

/// The highest strike of a guarantee in force on `p` in period `t`.
fn strike(s: &Scenario, p: &Process, t: usize) -> Option<f64> {
    s.bloc
        .guarantees
        .iter()
        .filter(|g| g.span.covers(t) && g.process == p.id)
        .map(|g| g.strike.0)
        .reduce(f64::max)
}

/// What the state takes per contracted tonne at price `price` under the two-sided guarantees
/// in force on `p` in period `t` (the largest, where several share the upside).
fn upside_given(s: &Scenario, p: &Process, t: usize, price: f64) -> f64 {
    s.bloc
        .guarantees
        .iter()
        .filter(|g| g.span.covers(t) && g.process == p.id)
        .filter_map(|g| g.upside)
        .map(|u| u.share * (price - u.above.0).max(0.0))
        .fold(0.0, f64::max)
}

/// Contracted volume (t/yr) of the guarantees in force on `p` in period `t`.
fn guaranteed_volume(s: &Scenario, p: &Process, t: usize) -> f64 {
    s.bloc
        .guarantees
        .iter()
        .filter(|g| g.span.covers(t) && g.process == p.id)
        .map(|g| g.volume.0)
        .sum()
}

/// The capital grant share for a project deciding in `t` (the largest that covers it):
/// a grant naming projects covers those; one naming none covers every project in a member
/// region.
fn grant_share(s: &Scenario, p: &Process, t: usize) -> f64 {
    s.bloc
        .capital_grants
        .iter()
        .filter(|g| {
            g.span.covers(t)
                && if g.projects.is_empty() {
                    s.bloc.is_member(&p.region, t)
                } else {
                    g.projects.contains(&p.id)
                }
        })
        .map(|g| g.share)
        .fold(0.0, f64::max)
}

/// A process's co-products' revenue per tonne of its main output at the prices `price` gives
/// per commodity (a co-product without a price earns nothing).
fn co_product_revenue(s: &Scenario, p: &Process, price: impl Fn(usize) -> Option<f64>) -> f64 {
    p.outputs
        .iter()
        .map(|(c, y)| {
            let ci = s.commodity_index(c.as_str()).expect("validated");
            y * price(ci).unwrap_or(0.0)
        })
        .sum()
}
