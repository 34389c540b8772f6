//! `bloc bench --sizes strategy`: the search of design §10 on the shipped world. China chooses
//! 1 to 4 instruments towards the bloc's members in one decision period (2027Q1) of
//! `world/bloc-feb-2026`, run over its first five quarters; the table gives the market solves
//! the decision used and its time (the five-quarter run less the same run without the
//! strategy), one thread. The target: at most 200 solves and 10 s for 4 instruments.

use anyhow::{Context, Result};
use bloc_model::RunOptions;
use bloc_scenario::policy::{CommoditySet, RegionSet, Span};
use bloc_scenario::{Against, Measure, Objective, Scenario, Strategy, StrategyInstrument};
use std::path::Path;
use std::time::Instant;

/// The instruments, in the order they are added: (measure, commodities, max, start).
const INSTRUMENTS: &[(Measure, &[&str], f64, f64)] = &[
    (Measure::Tax, &["ndfeb_magnet"], 1.0, 0.0),
    (Measure::Tax, &["ndpr_oxide"], 1.0, 0.0),
    (Measure::Tax, &["dy_oxide", "tb_oxide"], 1.0, 0.0),
    (Measure::Quota, &["graphite_battery"], 200_000.0, 200_000.0),
];

fn with_strategy(base: &Scenario, n: usize, decide_at: usize) -> Scenario {
    let mut s = base.clone();
    s.strategies = vec![Strategy {
        player: "CHN".into(),
        instruments: INSTRUMENTS[..n]
            .iter()
            .map(|&(measure, cs, max, start)| StrategyInstrument {
                measure,
                commodities: CommoditySet::Named(cs.iter().map(|&c| c.into()).collect()),
                destinations: RegionSet::Members,
                min: 0.0,
                max,
                start,
                name: format!("{}:{}>members", measure.as_str(), cs.join("+")),
                line: 0,
            })
            .collect(),
        objective: Objective {
            welfare: 1.0,
            revenue: 0.0,
            share_usd: 0.0,
            kind: "welfare",
        },
        every: 4,
        span: Span {
            from: decide_at,
            to: Some(decide_at + 1),
        },
        against: Against::Market,
        line: 0,
    }];
    s
}

fn timed(s: &Scenario) -> Result<(f64, bloc_model::Run)> {
    let started = Instant::now();
    let run = bloc_model::run(s, &RunOptions::default(), &mut |_| {})
        .with_context(|| format!("running {}", s.name))?;
    Ok((started.elapsed().as_secs_f64(), run))
}

/// Prints the table.
pub fn bench_strategy() -> Result<()> {
    let mut base = crate::shipped::load_embedded(Path::new("world/bloc-feb-2026"))
        .context("loading world/bloc-feb-2026")?;
    let decide_at = 4; // 2027Q1
    base.time.periods = decide_at + 1;
    let (plain_s, _) = timed(&base)?;
    println!(
        "| instruments | market solves | failed | decision s | solves per s | choice (2027Q1) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for n in 1..=INSTRUMENTS.len() {
        let s = with_strategy(&base, n, decide_at);
        eprintln!("strategy: {n} instrument(s)");
        let (secs, run) = timed(&s)?;
        let t = &run.tables.strategy;
        let col = |h: &str| t.header.iter().position(|x| *x == h).expect("column");
        let first = t.rows.first().context("no strategy row")?;
        let solves: usize = first[col("evaluations")].parse()?;
        let failed = &first[col("failed_evaluations")];
        let choice: Vec<String> = t
            .rows
            .iter()
            .map(|r| format!("{} = {}", r[col("instrument")], r[col("value")]))
            .collect();
        let decision = (secs - plain_s).max(0.0);
        println!(
            "| {n} | {solves} | {failed} | {decision:.2} | {:.0} | {} |",
            solves as f64 / decision.max(1e-9),
            choice.join("; ")
        );
    }
    Ok(())
}
