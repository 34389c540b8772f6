//! The headline answers of a run against its baseline (issue 21, "the main job"): what the
//! bloc costs its members' buyers, what it raises and spends, who makes what at each stage,
//! what gets built inside it and what goes short. Printed after `bloc run` and written as
//! `summary.md` in the run directory, from the run's own tables (nothing is recomputed).

use crate::Run;
use bloc_results::{thousands, Table};
use bloc_scenario::Scenario;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Sums of `indicator` over every period, by scope.
fn sums(t: &Table, indicator: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for row in t.rows.iter().filter(|r| r[1] == indicator) {
        *out.entry(row[2].clone()).or_insert(0.0) += row[3].parse::<f64>().unwrap_or(0.0);
    }
    out
}

/// Money in words an analyst reads: `$1.23 bn`, `$45.6 M`, `$7,890`.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { "−" } else { "" };
    if a >= 1e9 {
        format!("{sign}${:.2} bn", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}${:.1} M", a / 1e6)
    } else {
        format!("{sign}${}", thousands(a.round()))
    }
}

/// China's share of world output by value (price × tonnes) at each stage, in the periods of
/// one year (`periods`), from `production.csv` and `prices.csv`.
fn china_share_by_stage(s: &Scenario, run: &Run, periods: &[String]) -> BTreeMap<String, f64> {
    let t = &run.tables;
    let mut price: BTreeMap<(&str, &str, &str), f64> = BTreeMap::new();
    for r in &t.prices.rows {
        price.insert((&r[0], &r[1], &r[2]), r[3].parse().unwrap_or(0.0));
    }
    let stage: BTreeMap<&str, &str> = s
        .commodities
        .iter()
        .map(|c| (c.id.as_str(), c.stage.as_str()))
        .collect();
    let mut value: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for r in t.production.rows.iter().filter(|r| periods.contains(&r[0])) {
        let q: f64 = r[4].parse().unwrap_or(0.0);
        let p = price
            .get(&(r[0].as_str(), r[1].as_str(), r[3].as_str()))
            .copied()
            .unwrap_or(0.0)
            .max(0.0);
        let Some(st) = stage.get(r[3].as_str()) else {
            continue;
        };
        let e = value.entry(st.to_string()).or_default();
        e.1 += p * q;
        if r[1] == "CHN" {
            e.0 += p * q;
        }
    }
    value
        .into_iter()
        .filter(|(_, (_, all))| *all > 0.0)
        .map(|(st, (chn, all))| (st, chn / all))
        .collect()
}

/// Days of cover of each stockpile that held anything: its most (and when), the least it
/// fell to after that (and when: the drawdown), and what it released over the run.
fn stockpile_cover(run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let t = &run.tables;
    // (stockpile:commodity) -> [(period, days)] in period order.
    let mut cover: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for r in t
        .indicators
        .rows
        .iter()
        .filter(|r| r[1] == "stockpile_days_of_cover")
    {
        if let Ok(d) = r[3].parse::<f64>() {
            cover.entry(&r[2]).or_default().push((&r[0], d));
        }
    }
    let mut released: BTreeMap<String, f64> = BTreeMap::new();
    for r in &t.stockpile.rows {
        *released.entry(format!("{}:{}", r[1], r[2])).or_default() +=
            r[4].parse::<f64>().unwrap_or(0.0);
    }
    let mut lines = Vec::new();
    let mut cover_js = Vec::new();
    for (scope, path) in &cover {
        let Some(top) = path
            .iter()
            .enumerate()
            .filter(|(_, x)| x.1 > 0.0)
            .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        let (i, (when, most)) = (top.0, *top.1);
        let (low_when, least) = path[i..]
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .copied()
            .unwrap_or((when, most));
        let out = released.get(*scope).copied().unwrap_or(0.0);
        cover_js.push(json!({
            "stockpile": scope,
            "most_days": most,
            "most_at": when,
            "least_days_after": least,
            "least_at": low_when,
            "released_t": out,
        }));
        lines.push(format!(
            "| {scope} | {most:.0} | {when} | {least:.0} | {low_when} | {} |",
            thousands(out)
        ));
    }
    js.insert("stockpile_days_of_cover".into(), Value::Array(cover_js));
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nStockpiles, days of cover (inventory over members' use per day):\n\n| stockpile | most | when | least after it | when | released (t, whole run) |\n| --- | --- | --- | --- | --- | --- |"
    );
    for l in lines {
        let _ = writeln!(md, "{l}");
    }
}

/// Each floor's record over the run, from `floors.csv`: the periods it was in force, the
/// periods it bound, the members' mean price against the floor, and the reason given most
/// often when the members' price was below it.
fn floor_record(run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let t = &run.tables.floors;
    let at = |c: &str| t.header.iter().position(|h| *h == c);
    let (Some(floor), Some(price), Some(binding), Some(status)) = (
        at("floor_usd_per_t"),
        at("members_price_usd_per_t"),
        at("binding"),
        at("status"),
    ) else {
        return;
    };
    struct Record {
        periods: usize,
        bound: usize,
        ratio: (f64, usize),
        last_floor: f64,
        why: BTreeMap<String, usize>,
    }
    let mut by: BTreeMap<&str, Record> = BTreeMap::new();
    for r in &t.rows {
        let e = by.entry(&r[1]).or_insert(Record {
            periods: 0,
            bound: 0,
            ratio: (0.0, 0),
            last_floor: 0.0,
            why: BTreeMap::new(),
        });
        e.periods += 1;
        e.bound += usize::from(r[binding] == "true");
        let f: f64 = r[floor].parse().unwrap_or(0.0);
        e.last_floor = f;
        if let (Ok(p), true) = (r[price].parse::<f64>(), f > 0.0) {
            e.ratio.0 += p / f;
            e.ratio.1 += 1;
        }
        if r[status] != "binding" {
            *e.why.entry(r[status].clone()).or_default() += 1;
        }
    }
    let floors_js: Vec<Value> = by
        .iter()
        .map(|(c, e)| {
            json!({
                "commodity": c,
                "periods": e.periods,
                "periods_binding": e.bound,
                "members_price_over_floor_mean": (e.ratio.1 > 0).then(|| e.ratio.0 / e.ratio.1 as f64),
                "last_floor_usd_per_t": e.last_floor,
                "when_not_binding": e.why,
            })
        })
        .collect();
    js.insert("floors".into(), Value::Array(floors_js));
    if by.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nFloors: does each bind, and if not, why not (`floors.csv` has every period):\n\n| commodity | floor (last, $/t) | members' price ÷ floor (mean) | periods binding | when not binding at the floor, most often |\n| --- | --- | --- | --- | --- |"
    );
    for (c, e) in &by {
        let mean = if e.ratio.1 > 0 {
            format!("{:.2}", e.ratio.0 / e.ratio.1 as f64)
        } else {
            "–".into()
        };
        let why = e
            .why
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(code, n)| {
                let words = bloc_policy::floor::FloorStatus::from_code(code)
                    .map(|s| s.why())
                    .unwrap_or(code.as_str());
                format!("{words} ({n} of {})", e.periods)
            })
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            md,
            "| {c} | {} | {mean} | {} of {} | {why} |",
            thousands(e.last_floor),
            e.bound,
            e.periods
        );
    }
}

/// How much each export control leaked while in force, from `transshipped_t` and
/// `leakage_share` (`control:<n>:<exporter>`): the exporter's goods that reached the control's
/// destinations through third countries, and the largest share of its deliveries there that
/// went round it in any period.
fn control_leakage(s: &Scenario, run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let ind = &run.tables.indicators;
    let leaked = sums(ind, "transshipped_t");
    let mut worst: BTreeMap<&str, f64> = BTreeMap::new();
    for r in ind.rows.iter().filter(|r| r[1] == "leakage_share") {
        let v = r[3].parse::<f64>().unwrap_or(0.0);
        let e = worst.entry(&r[2]).or_insert(0.0);
        *e = e.max(v);
    }
    if leaked.is_empty() {
        return;
    }
    // Scopes in the controls' order (control:10 after control:9).
    let mut scopes: Vec<(usize, &String)> = leaked
        .keys()
        .filter_map(|k| k.split(':').nth(1)?.parse::<usize>().ok().map(|n| (n, k)))
        .collect();
    scopes.sort();
    let _ = writeln!(
        md,
        "\nExport controls, leakage while in force (`transshipped_t`, `leakage_share`; under `[origin] rule = \"origin\"` none leaks):\n\n| control | exporter | kind | commodities | went round it (t) | largest share in a period |\n| --- | --- | --- | --- | --- | --- |"
    );
    let mut out = Vec::new();
    for (n, scope) in scopes {
        let Some(c) = s.counter.export_controls.get(n.wrapping_sub(1)) else {
            continue;
        };
        let kind = match c.kind {
            bloc_scenario::ControlKind::Ban => "ban",
            bloc_scenario::ControlKind::Quota(_) => "quota",
            _ => "licence",
        };
        let commodities = match &c.commodities {
            bloc_scenario::CommoditySet::All => "all".to_string(),
            bloc_scenario::CommoditySet::Named(v) => {
                v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            }
        };
        let t = leaked.get(scope).copied().unwrap_or(0.0);
        let share = worst.get(scope.as_str()).copied().unwrap_or(0.0);
        let _ = writeln!(
            md,
            "| {n} | {} | {kind} | {commodities} | {} | {:.1}% |",
            c.exporter,
            thousands(t),
            100.0 * share
        );
        out.push(json!({
            "control": n,
            "exporter": c.exporter.as_str(),
            "kind": kind,
            "transshipped_t": t,
            "largest_leakage_share": share,
        }));
    }
    js.insert("export_control_leakage".into(), Value::Array(out));
}

/// Projects that decided, and those the run's prices strand, from `projects.csv`: counts and
/// capital inside the bloc and outside it, and the members' largest stranded projects.
fn project_record(s: &Scenario, run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let t = &run.tables.projects;
    if t.rows.is_empty() {
        return;
    }
    let at = |c: &str| {
        t.header
            .iter()
            .position(|h| *h == c)
            .expect("projects.csv column")
    };
    let (region, capital, npv, stranded) = (
        at("region"),
        at("capital_usd"),
        at("npv_usd"),
        at("stranded"),
    );
    let member = |r: &str| member_at_end(s, r);
    let _ = writeln!(
        md,
        "\nProjects that took their decision (`projects.csv`; NPV at the run's prices, beyond the run each earns its last year's margin, at least 0):\n\n| where | decided | capital | stranded (NPV < 0) | their capital |\n| --- | --- | --- | --- | --- |"
    );
    let mut worst: Vec<(f64, &Vec<String>)> = Vec::new();
    let mut projects_js = Map::new();
    for (name, inside) in [("members", true), ("non-members", false)] {
        let rows: Vec<&Vec<String>> = t
            .rows
            .iter()
            .filter(|r| member(&r[region]) == inside)
            .collect();
        let cap = |rs: &[&Vec<String>]| -> f64 {
            rs.iter()
                .map(|r| r[capital].parse::<f64>().unwrap_or(0.0))
                .sum()
        };
        let lost: Vec<&Vec<String>> = rows
            .iter()
            .copied()
            .filter(|r| r[stranded] == "true")
            .collect();
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} |",
            rows.len(),
            usd(cap(&rows)),
            lost.len(),
            usd(cap(&lost))
        );
        projects_js.insert(
            if inside { "members" } else { "non_members" }.into(),
            json!({
                "decided": rows.len(),
                "capital_usd": cap(&rows),
                "stranded": lost.len(),
                "stranded_capital_usd": cap(&lost),
            }),
        );
        if inside {
            worst = lost
                .iter()
                .map(|r| (r[capital].parse::<f64>().unwrap_or(0.0), *r))
                .collect();
        }
    }
    js.insert("projects".into(), Value::Object(projects_js));
    worst.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1[0].cmp(&b.1[0])));
    if !worst.is_empty() {
        let _ = writeln!(md, "\nMembers' largest stranded projects:");
    }
    for (c, r) in worst.iter().take(5) {
        let _ = writeln!(
            md,
            "- {} ({}, {}): capital {}, NPV {}",
            r[0],
            r[region],
            r[2],
            usd(*c),
            usd(r[npv].parse::<f64>().unwrap_or(0.0))
        );
    }
}

/// The headline answers, as Markdown (`summary.md`, what `bloc run` prints) and as JSON
/// (`summary.json`, the same figures unformatted).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `summary.md`.
    pub md: String,
    /// `summary.json`.
    pub json: Value,
}

/// Members' mean price of each commodity over the run: per period the consumption-weighted
/// mean over the regions that are members in `run` that period (the plain mean where they
/// buy none), then the mean over the periods that have one. `tables` may be the baseline's:
/// the regions compared are the same in both runs.
fn members_mean_price(s: &Scenario, tables: &bloc_results::RunTables) -> BTreeMap<String, f64> {
    let mut cons: BTreeMap<(&str, &str, &str), f64> = BTreeMap::new();
    for r in &tables.consumption.rows {
        *cons.entry((&r[0], &r[1], &r[2])).or_default() += r[3].parse::<f64>().unwrap_or(0.0);
    }
    // (commodity, period) -> (Σ w p, Σ w, Σ p, n)
    let mut acc: BTreeMap<(&str, &str), (f64, f64, f64, f64)> = BTreeMap::new();
    for r in &tables.prices.rows {
        let Some(t) = bloc_units::Period::parse(&r[0])
            .ok()
            .and_then(|p| s.time.index_of(p))
        else {
            continue;
        };
        if !s
            .bloc
            .is_member(&bloc_units::RegionId::from(r[1].as_str()), t)
        {
            continue;
        }
        let Ok(p) = r[3].parse::<f64>() else { continue };
        let w = cons.get(&(&r[0], &r[1], &r[2])).copied().unwrap_or(0.0);
        let e = acc.entry((&r[2], &r[0])).or_default();
        e.0 += w * p;
        e.1 += w;
        e.2 += p;
        e.3 += 1.0;
    }
    let mut per: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for ((c, _), (wp, w, p, n)) in acc {
        let v = if w > 0.0 { wp / w } else { p / n };
        let e = per.entry(c.to_string()).or_default();
        e.0 += v;
        e.1 += 1.0;
    }
    per.into_iter().map(|(c, (v, n))| (c, v / n)).collect()
}

/// Whether region `r` is a member in the run's last period (how the summary's groups are
/// drawn).
fn member_at_end(s: &Scenario, r: &str) -> bool {
    s.bloc.is_member(
        &bloc_units::RegionId::from(r),
        s.time.periods.saturating_sub(1),
    )
}

/// What changed most in the members' prices against the baseline: each commodity's members'
/// mean price, ranked by the size of the relative change (changes under 0.5% hidden).
fn price_changes(
    s: &Scenario,
    run: &Run,
    base_run: &Run,
    md: &mut String,
    js: &mut Map<String, Value>,
) {
    let now = members_mean_price(s, &run.tables);
    let before = members_mean_price(s, &base_run.tables);
    let mut prices: Vec<(&String, f64, f64, f64)> = now
        .iter()
        .filter_map(|(c, &p)| {
            let b = *before.get(c)?;
            (b > 0.0).then(|| (c, p, b, p / b - 1.0))
        })
        .collect();
    prices.sort_by(|a, b| b.3.abs().total_cmp(&a.3.abs()).then(a.0.cmp(b.0)));
    let shown: Vec<_> = prices.iter().filter(|x| x.3.abs() >= 0.005).collect();
    js.insert(
        "members_price_changes".into(),
        Value::Array(
            prices
                .iter()
                .map(|(c, p, b, r)| {
                    json!({"commodity": c, "run_usd_per_t": p, "baseline_usd_per_t": b, "change": r})
                })
                .collect(),
        ),
    );
    let _ = writeln!(
        md,
        "\nMembers' prices, largest changes against the baseline (mean over the run, the same member regions in both; {} of {} commodities changed by 0.5% or more):\n",
        shown.len(),
        prices.len()
    );
    if shown.is_empty() {
        let _ = writeln!(md, "none.");
    } else {
        let _ = writeln!(
            md,
            "| commodity | run ($/t) | baseline ($/t) | change |\n| --- | --- | --- | --- |"
        );
        for (c, p, b, r) in shown.iter().take(10) {
            let _ = writeln!(
                md,
                "| {c} | {} | {} | {}{:.1}% |",
                thousands(*p),
                thousands(*b),
                if *r < 0.0 { "−" } else { "+" },
                100.0 * r.abs()
            );
        }
    }
}

/// Who gains and who pays: each region's welfare change over the run, ranked by size (under
/// $0.5 M hidden).
fn welfare_by_region(s: &Scenario, run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let mut welfare: Vec<(String, f64)> = sums(&run.tables.indicators, "welfare_change_usd")
        .into_iter()
        .filter_map(|(scope, x)| scope.strip_prefix("region:").map(|r| (r.to_string(), x)))
        .collect();
    welfare.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    let member = |r: &str| member_at_end(s, r);
    js.insert(
        "welfare_change_by_region".into(),
        Value::Array(
            welfare
                .iter()
                .map(|(r, x)| json!({"region": r, "member": member(r), "usd": x}))
                .collect(),
        ),
    );
    let shown: Vec<_> = welfare.iter().filter(|x| x.1.abs() >= 0.5e6).collect();
    let _ = writeln!(
        md,
        "\nWho gains and who pays: welfare change by region over the run, largest first ({} of {} regions changed by $0.5 M or more):\n",
        shown.len(),
        welfare.len()
    );
    if shown.is_empty() {
        let _ = writeln!(md, "none.");
    } else {
        let _ = writeln!(
            md,
            "| region | member | welfare change |\n| --- | --- | --- |"
        );
        for (r, x) in shown.iter().take(12) {
            let _ = writeln!(
                md,
                "| {r} | {} | {} |",
                if member(r) { "yes" } else { "no" },
                usd(*x)
            );
        }
    }
}

/// The headline answers of `run` against `base_run`, the run of `baseline`.
pub fn headlines(
    s: &Scenario,
    baseline: &Scenario,
    run: &Run,
    base_run: &Run,
    out_dir: &str,
) -> Summary {
    let mut js = Map::new();
    js.insert("scenario".into(), json!(s.name));
    js.insert("baseline".into(), json!(baseline.name));
    let mut md = String::new();
    headline_table(s, baseline, run, &mut md, &mut js);
    price_changes(s, run, base_run, &mut md, &mut js);
    welfare_by_region(s, run, &mut md, &mut js);
    china_shares(s, run, &mut md, &mut js);
    members_by_commodity(run, &mut md, &mut js);
    control_leakage(s, run, &mut md, &mut js);
    floor_record(run, &mut md, &mut js);
    project_record(s, run, &mut md, &mut js);
    stockpile_cover(run, &mut md, &mut js);
    let _ = writeln!(
        md,
        "\nThe baseline's own results are in `{out_dir}/baseline/`. Next: `bloc report {out_dir} -o {out_dir}/report.html` draws the run against it; `bloc compare {out_dir}/baseline {out_dir}` lists every indicator that changed."
    );
    Summary {
        md,
        json: Value::Object(js),
    }
}

/// The title and the first table: the members' consumer cost, welfare change, support and
/// stockpile cost, and the levy revenue, over the whole run.
fn headline_table(
    s: &Scenario,
    baseline: &Scenario,
    run: &Run,
    md: &mut String,
    js: &mut Map<String, Value>,
) {
    let ind = &run.tables.indicators;
    let members = |name: &str| sums(ind, name).get("members").copied().unwrap_or(0.0);
    let world = |name: &str| sums(ind, name).get("world").copied().unwrap_or(0.0);
    let first = s.time.label(0);
    let last = s.time.label(s.time.periods - 1);
    let _ = writeln!(
        md,
        "# {} against {} ({first}–{last})\n",
        s.name, baseline.name
    );
    let _ = writeln!(md, "| headline | whole run |\n| --- | --- |");
    for (what, v) in [
        (
            "members' consumer cost (extra spend of their buyers against the baseline)",
            members("consumer_cost_usd"),
        ),
        ("members' welfare change", members("welfare_change_usd")),
        ("levy revenue", world("levy_revenue_usd")),
        (
            "members' support cost (subsidies, guarantees)",
            members("welfare_support_cost_usd"),
        ),
        (
            "members' stockpile cost (purchases − releases + storage)",
            members("welfare_stockpile_cost_usd"),
        ),
    ] {
        let _ = writeln!(md, "| {what} | {} |", usd(v));
    }
    js.insert("from".into(), json!(first));
    js.insert("to".into(), json!(last));
    js.insert(
        "headline".into(),
        json!({
            "members_consumer_cost_usd": members("consumer_cost_usd"),
            "members_welfare_change_usd": members("welfare_change_usd"),
            "levy_revenue_usd": world("levy_revenue_usd"),
            "members_support_cost_usd": members("welfare_support_cost_usd"),
            "members_stockpile_cost_usd": members("welfare_stockpile_cost_usd"),
        }),
    );
}

/// China's share of world output by value per stage, first and last year.
fn china_shares(s: &Scenario, run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let per_year = ((1.0 / s.time.years_per_period()).round() as usize).max(1);
    let year = |from: usize| -> Vec<String> {
        (from..(from + per_year).min(s.time.periods))
            .map(|t| s.time.label(t))
            .collect()
    };
    let start = china_share_by_stage(s, run, &year(0));
    let end = china_share_by_stage(s, run, &year(s.time.periods.saturating_sub(per_year)));
    if end.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nChina's share of world output by value, first and last year:\n\n| stage | first year | last year |\n| --- | --- | --- |"
    );
    let mut shares = Map::new();
    for st in bloc_scenario::Stage::ALL {
        let key = st.as_str();
        if let Some(e) = end.get(key) {
            let b = start.get(key).copied().unwrap_or(0.0);
            let _ = writeln!(md, "| {key} | {:.1}% | {:.1}% |", 100.0 * b, 100.0 * e);
            shares.insert(key.into(), json!({"first_year": b, "last_year": e}));
        }
    }
    js.insert("china_share_by_stage".into(), Value::Object(shares));
}

/// Capacity built inside the bloc and the members' demand left unserved, by commodity,
/// largest first.
fn members_by_commodity(run: &Run, md: &mut String, js: &mut Map<String, Value>) {
    let ind = &run.tables.indicators;
    let list = |name: &str| -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = sums(ind, name)
            .into_iter()
            .filter_map(|(scope, x)| {
                scope
                    .strip_prefix("members:")
                    .filter(|_| x > 0.0)
                    .map(|c| (c.to_string(), x))
            })
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let as_map = |v: &[(String, f64)]| -> Value {
        Value::Object(v.iter().map(|(c, x)| (c.clone(), json!(x))).collect())
    };
    for (key, name, title) in [
        (
            "members_capacity_built_t_per_yr",
            "capacity_built_t_per_yr",
            "\nCapacity built inside the bloc (nameplate, t/yr, whole run):",
        ),
        (
            "members_unserved_t",
            "unserved_t",
            "\nMembers' demand left unserved (t, whole run):",
        ),
    ] {
        let v = list(name);
        js.insert(key.into(), as_map(&v));
        let _ = writeln!(md, "{title}");
        if v.is_empty() {
            let _ = writeln!(md, "none.");
        }
        for (c, x) in &v {
            let _ = writeln!(md, "- {c}: {}", thousands(*x));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_bn_m_and_thousands() {
        assert_eq!(usd(1.234e9), "$1.23 bn");
        assert_eq!(usd(-45.64e6), "−$45.6 M");
        assert_eq!(usd(7890.4), "$7,890");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}
