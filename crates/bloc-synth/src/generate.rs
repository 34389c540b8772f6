//! The generator. The world is drawn chain by chain from reference prices and quantities
//! that are consistent along the chain, so that markets mostly clear near their reference
//! points and only sometimes fall short (capacity is drawn from 0.6 to 1.5 times what the
//! chain needs), which is when unserved demand appears.
//!
//! Wildcard rules are drawn so that no two equally specific rules ever overlap, which the
//! loader would reject as ambiguous: transport uses `*,*,*`, `*,*,c`, `o,d,*` and `o,d,c`;
//! tariffs use `*,*,*`, `i,*,*`, `i,*,c` and `i,e,c`.

use crate::{SynthSpec, CHOKE_MULTIPLE};
use bloc_scenario::{
    BlocConfig, Commodity, Counterpolicies, Demand, DemandForm, Process, Region, Scenario, Sel,
    Stage, Tariff, TariffRule, TimeAxis, TransportRule,
};
use bloc_units::{CommodityId, Period, ProcessId, RegionId, TonnesPerYear, UsdPerTonne};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A (origin or importer, destination or exporter, commodity, value) rule before it becomes a row.
type Rule<T> = (Sel<RegionId>, Sel<RegionId>, Sel<CommodityId>, T);

/// Stage of each position in a chain, by chain length.
fn stage_of(stages: usize, s: usize) -> Stage {
    match (stages, s) {
        (_, 0) => Stage::Mine,
        (2, _) | (_, 1) => Stage::Refined,
        _ => Stage::Material,
    }
}

/// Log-uniform draw in `[lo, hi]`.
fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    (rng.gen_range(lo.ln()..hi.ln())).exp()
}

/// Positive weights summing to one.
fn weights(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| log_uniform(rng, 0.1, 10.0)).collect();
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|x| x / sum).collect()
}

/// At least one of `n` items, each with probability `p`.
fn pick(rng: &mut ChaCha8Rng, n: usize, p: f64) -> Vec<bool> {
    let mut on: Vec<bool> = (0..n).map(|_| rng.gen_bool(p.clamp(0.0, 1.0))).collect();
    if n > 0 && !on.iter().any(|&b| b) {
        on[rng.gen_range(0..n)] = true;
    }
    on
}

/// One value chain's reference figures.
struct Chain {
    /// Input coefficient of stage s from stage s−1 (t/t); `coef[0]` unused.
    coef: Vec<f64>,
    /// Reference price per stage (USD/t).
    price: Vec<f64>,
    /// What stage s needs to supply in total (t/yr): its own demand plus downstream use.
    need: Vec<f64>,
    /// Total demand for stage s itself (t/yr).
    demand: Vec<f64>,
    /// Regions with demand for stage s.
    buyers: Vec<Vec<bool>>,
}

fn draw_chain(rng: &mut ChaCha8Rng, spec: &SynthSpec) -> Chain {
    let n = spec.stages;
    let mut coef = vec![1.0; n];
    let mut markup = vec![0.0; n];
    for s in 1..n {
        coef[s] = rng.gen_range(1.2..5.0);
        markup[s] = rng.gen_range(0.15..1.0);
    }
    // Prices: mined 1e3.., each stage its input's cost plus a markup, the last at most 1e6.
    let growth: f64 = (1..n).map(|s| coef[s] * (1.0 + markup[s])).product();
    let mut price = vec![log_uniform(rng, 1e3, (1e6 / growth).clamp(1.5e3, 1e5))];
    for s in 1..n {
        price.push(price[s - 1] * coef[s] * (1.0 + markup[s]));
    }
    // Quantities: the last stage from 1e2 in total (a row of 1e1 or more in a region), the
    // mined stage at most ~1e6.
    let upstream: f64 = coef[1..].iter().product();
    let last = log_uniform(rng, 100.0, (1e6 / upstream).max(200.0));
    let mut buyers = Vec::with_capacity(n);
    let mut demand = vec![0.0; n];
    let mut need = vec![0.0; n];
    for s in (0..n).rev() {
        let own = if s == n - 1 {
            buyers.push(pick(rng, spec.regions, spec.final_demand_share));
            last
        } else {
            let b: Vec<bool> = (0..spec.regions)
                .map(|_| rng.gen_bool(spec.intermediate_demand_share.clamp(0.0, 1.0)))
                .collect();
            let any = b.iter().any(|&x| x);
            buyers.push(b);
            if any {
                need[s + 1] * coef[s + 1] * rng.gen_range(0.05..0.4)
            } else {
                0.0
            }
        };
        demand[s] = own;
        need[s] = own
            + if s + 1 < n {
                need[s + 1] * coef[s + 1]
            } else {
                0.0
            };
    }
    buyers.reverse();
    Chain {
        coef,
        price,
        need,
        demand,
        buyers,
    }
}

/// Generates the world `spec` describes. Deterministic: the same spec gives the same world.
pub fn generate(spec: &SynthSpec) -> Scenario {
    assert!(spec.regions >= 1, "a world needs a region");
    assert!(spec.chains >= 1, "a world needs a chain");
    assert!((1..=3).contains(&spec.stages), "stages must be 1, 2 or 3");
    assert!(spec.periods >= 1, "a run needs a period");
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let nr = spec.regions;
    let width = if nr > 100 { 3 } else { 2 };
    let regions: Vec<Region> = (0..nr)
        .map(|r| Region {
            id: RegionId::from(format!("R{r:0width$}")),
            name: format!("Synthetic region {r}"),
        })
        .collect();
    let size: Vec<f64> = (0..nr).map(|_| log_uniform(&mut rng, 0.2, 5.0)).collect();

    let mut commodities = Vec::new();
    let mut chains = Vec::new();
    for k in 0..spec.chains {
        for s in 0..spec.stages {
            let stage = stage_of(spec.stages, s);
            commodities.push(Commodity {
                id: CommodityId::from(format!("c{k:02}_{}", stage.as_str())),
                family: format!("chain{k:02}"),
                stage,
                name: format!("Chain {k} {}", stage.as_str()),
                disposal: UsdPerTonne(0.0),
            });
        }
        chains.push(draw_chain(&mut rng, spec));
    }
    let parts = Parts {
        spec,
        regions: &regions,
        size: &size,
        chains: &chains,
        commodities: &commodities,
    };
    // Supply first, then demand: the order the generator draws them in.
    let processes = parts.processes(&mut rng);
    let demand = parts.demand(&mut rng);

    let transport = transport_rules(&mut rng, spec, &regions, &commodities, &chains);
    let tariffs = tariff_rules(&mut rng, &regions, &commodities, &chains, spec.stages);

    Scenario {
        name: spec.name.clone(),
        description: format!(
            "Synthetic world (bloc-synth, seed {}): {} regions, {} chains × {} stages",
            spec.seed, spec.regions, spec.chains, spec.stages
        ),
        base_year: 2024,
        seed: spec.seed,
        time: TimeAxis {
            start: Period {
                year: 2026,
                quarter: 1,
            },
            periods: spec.periods,
            step: spec.step,
        },
        regions,
        commodities,
        processes,
        demand,
        transport,
        tariffs,
        bloc: BlocConfig::default(),
        counter: Counterpolicies::default(),
        origin: bloc_scenario::policy::OriginRules::default(),
        strategies: Vec::new(),
        investment: Default::default(),
        closures: None,
        demand_growth: Vec::new(),
        recycling: Vec::new(),
        baseline: None,
        files: Vec::new(),
        hash: "synthetic".to_string(),
        warnings: Vec::new(),
    }
}

/// What the supply and demand draws read: the spec, the regions and their sizes, the
/// chains and their commodities.
struct Parts<'a> {
    spec: &'a SynthSpec,
    regions: &'a [Region],
    size: &'a [f64],
    chains: &'a [Chain],
    commodities: &'a [Commodity],
}

/// One producing market: chain `k`'s stage `s` in region `r`, its capacity (t/yr) and the
/// value added per tonne its operating cost is a share of.
struct Market {
    k: usize,
    s: usize,
    r: usize,
    total: f64,
    value_added: f64,
}

impl Parts<'_> {
    /// Chain `k`'s commodity at stage `s`.
    fn cid(&self, k: usize, s: usize) -> CommodityId {
        self.commodities[k * self.spec.stages + s].id.clone()
    }

    /// A weight per region where `mask` holds (its size times a log-uniform draw in
    /// 0.3–3, drawn region by region), 0 elsewhere.
    fn region_weights(&self, rng: &mut ChaCha8Rng, mask: &[bool]) -> Vec<f64> {
        (0..self.regions.len())
            .map(|r| {
                if mask[r] {
                    self.size[r] * log_uniform(rng, 0.3, 3.0)
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Supply: producing markets, each with a cost curve of blocks.
    fn processes(&self, rng: &mut ChaCha8Rng) -> Vec<Process> {
        let mut processes = Vec::new();
        for (k, ch) in self.chains.iter().enumerate() {
            for s in 0..self.spec.stages {
                let producers = pick(rng, self.regions.len(), self.spec.producer_share);
                let total = ch.need[s] * rng.gen_range(0.6..1.5);
                let share: Vec<f64> = {
                    let w = self.region_weights(rng, &producers);
                    let sum: f64 = w.iter().sum();
                    w.into_iter().map(|x| x / sum).collect()
                };
                // Operating cost per tonne of output, before inputs: a share of the value added.
                let value_added = if s == 0 {
                    ch.price[0]
                } else {
                    ch.price[s] - ch.coef[s] * ch.price[s - 1]
                };
                for r in 0..self.regions.len() {
                    if !producers[r] {
                        continue;
                    }
                    let market = Market {
                        k,
                        s,
                        r,
                        total: total * share[r],
                        value_added,
                    };
                    self.blocks(rng, &market, &mut processes);
                }
            }
        }
        processes
    }

    /// A market's cost curve: its blocks, each a process.
    fn blocks(&self, rng: &mut ChaCha8Rng, m: &Market, processes: &mut Vec<Process>) {
        let blocks = rng.gen_range(1..=self.spec.blocks_per_market.max(1));
        let split = weights(rng, blocks);
        let base = m.value_added * rng.gen_range(0.3..0.9);
        let coef = self.chains[m.k].coef[m.s] * rng.gen_range(0.9..1.1);
        for (b, part) in split.iter().enumerate() {
            let capacity = if rng.gen_bool(0.05) {
                0.0
            } else {
                m.total * part
            };
            let unit_cost = if rng.gen_bool(0.01) {
                0.0
            } else {
                base * (1.0 + 0.3 * b as f64) * rng.gen_range(0.85..1.15)
            };
            let cost_rise = if rng.gen_bool(0.1) {
                None
            } else {
                Some(UsdPerTonne(
                    unit_cost.max(1.0) * log_uniform(rng, 0.01, 0.5),
                ))
            };
            let (mut online, mut offline) = (None, None);
            if self.spec.periods >= 2 {
                if rng.gen_bool(0.1) {
                    online = Some(rng.gen_range(1..self.spec.periods));
                }
                if rng.gen_bool(0.05) {
                    let from = online.unwrap_or(0) + 1;
                    offline = Some(rng.gen_range(from..=self.spec.periods));
                }
            }
            processes.push(Process {
                project: None,
                id: ProcessId::from(format!(
                    "p_{}_{}_{b}",
                    self.regions[m.r].id,
                    self.cid(m.k, m.s)
                )),
                region: self.regions[m.r].id.clone(),
                output: self.cid(m.k, m.s),
                capacity: TonnesPerYear(capacity),
                unit_cost: UsdPerTonne(unit_cost),
                cost_rise,
                online,
                offline,
                inputs: if m.s == 0 {
                    Vec::new()
                } else {
                    vec![(self.cid(m.k, m.s - 1), coef)]
                },
                outputs: Vec::new(),
            });
        }
    }

    /// Demand: the last stage in many regions, earlier stages in some.
    fn demand(&self, rng: &mut ChaCha8Rng) -> Vec<Demand> {
        let mut demand = Vec::new();
        for (k, ch) in self.chains.iter().enumerate() {
            for s in 0..self.spec.stages {
                let buyers = &ch.buyers[s];
                let w = self.region_weights(rng, buyers);
                let sum: f64 = w.iter().sum();
                for r in 0..self.regions.len() {
                    if !buyers[r] {
                        continue;
                    }
                    let price = ch.price[s] * rng.gen_range(0.8..1.25);
                    let linear = rng.gen_bool(self.spec.linear_demand_share.clamp(0.0, 1.0));
                    let quantity = if !linear && rng.gen_bool(0.02) {
                        0.0
                    } else {
                        ch.demand[s] * w[r] / sum
                    };
                    demand.push(Demand {
                        region: self.regions[r].id.clone(),
                        commodity: self.cid(k, s),
                        form: if linear {
                            DemandForm::Linear
                        } else {
                            DemandForm::Isoelastic {
                                choke: UsdPerTonne(price * CHOKE_MULTIPLE),
                            }
                        },
                        quantity: TonnesPerYear(quantity),
                        price: UsdPerTonne(price),
                        elasticity: -log_uniform(rng, 0.2, 2.0),
                        growth_per_yr: rng.gen_range(-0.03..0.08),
                        adjust: None,
                    });
                }
            }
        }
        demand
    }
}

fn commodity_price(chains: &[Chain], stages: usize, c: usize) -> f64 {
    chains[c / stages].price[c % stages]
}

/// Transport: `*,*,*` (dense only), `*,*,c` per commodity (dense only), `o,d,*` per pair
/// (overrides when dense; the routes themselves when sparse), `o,d,c` overrides (some free).
fn transport_rules(
    rng: &mut ChaCha8Rng,
    spec: &SynthSpec,
    regions: &[Region],
    commodities: &[Commodity],
    chains: &[Chain],
) -> Vec<TransportRule> {
    let dense = spec.route_density >= 1.0;
    let mut rules: Vec<Rule<f64>> = Vec::new();
    if dense {
        rules.push((Sel::Any, Sel::Any, Sel::Any, rng.gen_range(50.0..150.0)));
        for (c, com) in commodities.iter().enumerate() {
            if rng.gen_bool(0.7) {
                let p = commodity_price(chains, spec.stages, c);
                let cost = rng.gen_range(20.0..200.0) + p * rng.gen_range(0.002..0.03);
                rules.push((Sel::Any, Sel::Any, Sel::One(com.id.clone()), cost));
            }
        }
    }
    let pair_share = if dense {
        spec.pair_cost_share.clamp(0.0, 1.0)
    } else {
        spec.route_density.clamp(0.0, 1.0)
    };
    let mut pairs = Vec::new();
    for o in regions {
        for d in regions {
            if o.id == d.id {
                continue;
            }
            if rng.gen_bool(pair_share) {
                rules.push((
                    Sel::One(o.id.clone()),
                    Sel::One(d.id.clone()),
                    Sel::Any,
                    rng.gen_range(20.0..400.0),
                ));
                pairs.push((o.id.clone(), d.id.clone()));
            }
        }
    }
    // Specific overrides: on any pair when dense, on pairs that have a route when sparse.
    let triple_share = 0.03;
    let override_on = |o: &RegionId, d: &RegionId, rng: &mut ChaCha8Rng, rules: &mut Vec<_>| {
        for (c, com) in commodities.iter().enumerate() {
            if rng.gen_bool(triple_share) {
                let p = commodity_price(chains, spec.stages, c);
                let cost = if rng.gen_bool(0.1) {
                    0.0
                } else {
                    rng.gen_range(10.0..300.0) + p * rng.gen_range(0.0..0.05)
                };
                rules.push((
                    Sel::One(o.clone()),
                    Sel::One(d.clone()),
                    Sel::One(com.id.clone()),
                    cost,
                ));
            }
        }
    };
    if dense {
        for o in regions {
            for d in regions {
                if o.id != d.id {
                    override_on(&o.id, &d.id, rng, &mut rules);
                }
            }
        }
    } else {
        for (o, d) in &pairs {
            override_on(o, d, rng, &mut rules);
        }
    }
    rules
        .into_iter()
        .enumerate()
        .map(
            |(i, (origin, destination, commodity, cost))| TransportRule {
                origin,
                destination,
                commodity,
                cost: UsdPerTonne(cost),
                line: i + 2,
            },
        )
        .collect()
}

/// MFN tariffs: maybe a world-wide `*,*,*`, per-importer `i,*,*`, per importer and commodity
/// `i,*,c` (specific and ad valorem), and tariff-free preferences `i,e,c`.
fn tariff_rules(
    rng: &mut ChaCha8Rng,
    regions: &[Region],
    commodities: &[Commodity],
    chains: &[Chain],
    stages: usize,
) -> Vec<TariffRule> {
    let mut rules: Vec<Rule<Tariff>> = Vec::new();
    let ad = |rng: &mut ChaCha8Rng, hi: f64| {
        if rng.gen_bool(0.7) {
            rng.gen_range(0.0..hi)
        } else {
            0.0
        }
    };
    if rng.gen_bool(0.3) {
        let t = Tariff {
            ad_valorem: rng.gen_range(0.0..0.05),
            specific: UsdPerTonne(0.0),
        };
        rules.push((Sel::Any, Sel::Any, Sel::Any, t));
    }
    for imp in regions {
        if rng.gen_bool(0.4) {
            let ad_valorem = ad(rng, 0.15);
            let specific = if rng.gen_bool(0.3) {
                rng.gen_range(0.0..50.0)
            } else {
                0.0
            };
            rules.push((
                Sel::One(imp.id.clone()),
                Sel::Any,
                Sel::Any,
                Tariff {
                    ad_valorem,
                    specific: UsdPerTonne(specific),
                },
            ));
        }
    }
    for imp in regions {
        for (c, com) in commodities.iter().enumerate() {
            if rng.gen_bool(0.1) {
                let p = commodity_price(chains, stages, c);
                let ad_valorem = ad(rng, 0.25);
                let specific = if rng.gen_bool(0.5) {
                    p * rng.gen_range(0.0..0.05)
                } else {
                    0.0
                };
                rules.push((
                    Sel::One(imp.id.clone()),
                    Sel::Any,
                    Sel::One(com.id.clone()),
                    Tariff {
                        ad_valorem,
                        specific: UsdPerTonne(specific),
                    },
                ));
            }
        }
    }
    for imp in regions {
        for exp in regions {
            if imp.id == exp.id {
                continue;
            }
            for com in commodities {
                if rng.gen_bool(0.02) {
                    rules.push((
                        Sel::One(imp.id.clone()),
                        Sel::One(exp.id.clone()),
                        Sel::One(com.id.clone()),
                        Tariff::default(),
                    ));
                }
            }
        }
    }
    rules
        .into_iter()
        .enumerate()
        .map(|(i, (importer, exporter, commodity, tariff))| TariffRule {
            importer,
            exporter,
            commodity,
            tariff,
            line: i + 2,
        })
        .collect()
}
