//! The HTML report: a summary table of the headline indicators, then one section per
//! question an analyst asks (prices, floor and levy, flows, stockpile, concentration,
//! unserved demand, capacity, consumer cost, every other indicator, sweep bands).
//!
//! A section whose data the run lacks says so in words ("no stockpile in this run")
//! instead of drawing nothing. Every chart sits in a `<figure class="chart">` holding one
//! SVG; every note in a `<p class="nodata">`.

use crate::headline::{headlines, indicator_map, Headline};
use crate::run::Run;
use crate::svg::{esc, fmt_num, sankey_svg, Band, LineChart, Link, Series};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What to put in the report besides the run itself.
#[derive(Debug, Default)]
pub struct ReportOptions<'a> {
    /// The no-bloc (or any other) run to compare against: drawn dashed, and the consumer
    /// cost is measured against it.
    pub baseline: Option<&'a Run>,
}

type IndicatorMap = BTreeMap<(String, String), BTreeMap<String, f64>>;

/// (P5, P50, P95) by period.
type BandMap = BTreeMap<String, (f64, f64, f64)>;

/// Indicator families drawn in the named sections; the rest go to "Other indicators".
const NAMED: &[&str] = &[
    "price_usd_per_t",
    "china_share",
    "hhi",
    "unserved_t",
    "capacity_built",
    "consumer_cost",
];

fn is_named(indicator: &str) -> bool {
    NAMED.iter().any(|n| indicator.starts_with(n))
}

struct Page<'a> {
    run: &'a Run,
    base: Option<&'a Run>,
    periods: Vec<String>,
    ind: IndicatorMap,
    base_ind: IndicatorMap,
    body: String,
    charts: usize,
}

/// Renders the report for `run` as one self-contained HTML document.
pub fn render(run: &Run, opts: &ReportOptions<'_>) -> String {
    let mut periods: BTreeSet<String> = run.periods.iter().cloned().collect();
    if let Some(b) = opts.baseline {
        periods.extend(b.periods.iter().cloned());
    }
    let mut page = Page {
        run,
        base: opts.baseline,
        periods: periods.into_iter().collect(),
        ind: indicator_map(run),
        base_ind: opts.baseline.map(indicator_map).unwrap_or_default(),
        body: String::new(),
        charts: 0,
    };
    page.header();
    page.summary();
    page.prices();
    page.floor_levy();
    page.flows();
    page.stockpile();
    page.concentration();
    page.unserved();
    page.capacity();
    page.consumer_cost();
    page.other_indicators();
    page.bands();
    page.finish()
}

impl Page<'_> {
    fn series_of(
        &self,
        map: &IndicatorMap,
        indicator: &str,
        scope: &str,
    ) -> Option<Vec<Option<f64>>> {
        let m = map.get(&(indicator.to_string(), scope.to_string()))?;
        Some(self.periods.iter().map(|p| m.get(p).copied()).collect())
    }

    fn section(&mut self, id: &str, title: &str, intro: &str) {
        let _ = write!(
            self.body,
            r#"<section id="{}"><h2>{}</h2>"#,
            esc(id),
            esc(title)
        );
        if !intro.is_empty() {
            let _ = write!(self.body, r#"<p class="intro">{}</p>"#, esc(intro));
        }
    }

    fn end_section(&mut self) {
        self.body.push_str("</section>");
    }

    fn nodata(&mut self, text: &str) {
        let _ = write!(self.body, r#"<p class="nodata">{}</p>"#, esc(text));
    }

    /// Draws a chart, or the note when it has no value to draw.
    fn chart(&mut self, key: &str, title: &str, chart: &LineChart, empty: &str) {
        self.charts += 1;
        let id = format!("chart-{}-{}", self.charts, slug(key));
        match chart.to_svg(&id) {
            Some(svg) => {
                let _ = write!(
                    self.body,
                    r#"<figure class="chart" data-chart="{}"><figcaption>{}</figcaption>{}{}</figure>"#,
                    esc(key),
                    esc(title),
                    svg,
                    chart.legend_html()
                );
            }
            None => self.nodata(&format!("{title}: {empty}")),
        }
    }

    fn header(&mut self) {
        let run = self.run;
        let _ = write!(
            self.body,
            "<header><h1>bloc report: {}</h1><dl class=\"meta\">",
            esc(&run.name())
        );
        let m = &run.meta;
        let mut item = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                let _ = write!(self.body, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
            }
        };
        item("scenario", m.scenario.clone());
        item("scenario hash", m.scenario_hash.clone());
        item("engine", m.engine.clone());
        item("seed", m.seed.clone());
        item("solver", m.solver.clone());
        item(
            "largest equilibrium violation",
            m.max_violation_usd_per_t
                .map(|v| format!("{} USD/t", fmt_num(v))),
        );
        item(
            "periods",
            match (run.periods.first(), run.periods.last()) {
                (Some(a), Some(b)) => Some(format!("{a} – {b} ({})", run.periods.len())),
                _ => None,
            },
        );
        item("baseline", self.base.map(|b| b.name()));
        self.body.push_str("</dl></header>");
        if !run.has_run {
            self.nodata("This directory holds a sweep's bands only (bands.csv, no indicators.csv): the single-run sections below have no data; the bands are drawn at the end.");
        }
    }

    fn summary(&mut self) {
        self.section(
            "summary",
            "Headline indicators",
            "One number per indicator and scope for the whole run: flows (t, USD per period) are totals over the run, stocks (inventory, capacity) their value in the last period, and prices, shares and HHI the mean over the periods.",
        );
        let rows = headlines(self.run);
        let base: BTreeMap<(String, String), Headline> = self
            .base
            .map(|b| {
                headlines(b)
                    .into_iter()
                    .map(|h| ((h.indicator.clone(), h.scope.clone()), h))
                    .collect()
            })
            .unwrap_or_default();
        if rows.is_empty() {
            self.nodata("no indicators in this run");
            self.end_section();
            return;
        }
        self.body.push_str(r#"<table class="summary"><thead><tr><th>indicator</th><th>scope</th><th>over the run</th><th>value</th>"#);
        if self.base.is_some() {
            self.body.push_str("<th>baseline</th><th>change</th>");
        }
        self.body.push_str("<th>source</th></tr></thead><tbody>");
        for h in &rows {
            let _ = write!(
                self.body,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td>"#,
                esc(&h.indicator),
                esc(&h.scope),
                h.how.label(),
                fmt_num(h.value)
            );
            if self.base.is_some() {
                match base.get(&(h.indicator.clone(), h.scope.clone())) {
                    Some(b) => {
                        let _ = write!(
                            self.body,
                            r#"<td class="num">{}</td><td class="num">{}</td>"#,
                            fmt_num(b.value),
                            fmt_num(h.value - b.value)
                        );
                    }
                    None => self
                        .body
                        .push_str(r#"<td class="num">–</td><td class="num">–</td>"#),
                }
            }
            let _ = write!(self.body, "<td>{}</td></tr>", h.source);
        }
        self.body.push_str("</tbody></table>");
        self.end_section();
    }

    fn commodities(&self) -> Vec<String> {
        self.run.commodities()
    }

    /// The price of `commodity` in the member, non-member and world groups, baseline dashed.
    fn price_chart(&mut self, commodity: &str) {
        let indicator = "price_usd_per_t";
        let scopes = [
            ("members", "members"),
            ("non_members", "non-members"),
            ("world", "world"),
        ];
        let mut series = Vec::new();
        for (k, (group, label)) in scopes.iter().enumerate() {
            let scope = format!("{group}:{commodity}");
            if let Some(v) = self.series_of(&self.ind, indicator, &scope) {
                series.push(Series {
                    label: label.to_string(),
                    values: v,
                    color: k,
                    dashed: false,
                });
            }
            if let Some(v) = self.series_of(&self.base_ind, indicator, &scope) {
                series.push(Series {
                    label: format!("{label} (baseline)"),
                    values: v,
                    color: k,
                    dashed: true,
                });
            }
        }
        let chart = LineChart {
            y_label: "USD/t".into(),
            periods: self.periods.clone(),
            series,
            bands: vec![],
        };
        self.chart(
            &format!("prices-{commodity}"),
            &format!("{commodity}: price (USD/t)"),
            &chart,
            "no prices in this run",
        );
    }

    fn prices(&mut self) {
        self.section(
            "prices",
            "Prices by stage: members and non-members",
            "Consumption-weighted mean price of each stage in the member and non-member regions (indicator price_usd_per_t). Dashed: the baseline.",
        );
        let mut any = false;
        for c in self.commodities() {
            if self
                .ind
                .keys()
                .any(|(i, s)| i == "price_usd_per_t" && s.ends_with(&format!(":{c}")))
            {
                any = true;
                self.price_chart(&c);
            }
        }
        if !any {
            self.nodata("no price indicators in this run");
        }
        self.end_section();
    }

    fn floor_levy(&mut self) {
        self.section(
            "floor-levy",
            "Floor and levy over time",
            "The floor and reference price (policy.csv), the members' price, and the highest levy charged on any import route that period (flows.csv).",
        );
        let mut any = false;
        for c in self.commodities() {
            let per = |f: &dyn Fn(&crate::run::PolicyRow) -> f64| -> Vec<Option<f64>> {
                self.periods
                    .iter()
                    .map(|p| {
                        self.run
                            .policy
                            .iter()
                            .find(|r| &r.period == p && r.commodity == c)
                            .map(f)
                    })
                    .collect()
            };
            let floor = per(&|r| r.floor_usd_per_t);
            let reference = per(&|r| r.reference_price_usd_per_t);
            let levy: Vec<Option<f64>> = self
                .periods
                .iter()
                .map(|p| {
                    self.run
                        .flows
                        .iter()
                        .filter(|r| &r.period == p && r.commodity == c)
                        .map(|r| r.levy_usd_per_t)
                        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
                })
                .collect();
            let has_policy = floor.iter().any(Option::is_some);
            let has_levy = levy.iter().flatten().any(|v| *v > 0.0);
            if !has_policy && !has_levy {
                continue;
            }
            any = true;
            let mut series = vec![
                Series {
                    label: "floor".into(),
                    values: floor,
                    color: 1,
                    dashed: false,
                },
                Series {
                    label: "reference price".into(),
                    values: reference,
                    color: 4,
                    dashed: true,
                },
            ];
            if let Some(v) = self.series_of(&self.ind, "price_usd_per_t", &format!("members:{c}")) {
                series.push(Series {
                    label: "members' price".into(),
                    values: v,
                    color: 0,
                    dashed: false,
                });
            }
            series.push(Series {
                label: "highest levy on a route".into(),
                values: levy,
                color: 2,
                dashed: false,
            });
            let chart = LineChart {
                y_label: "USD/t".into(),
                periods: self.periods.clone(),
                series,
                bands: vec![],
            };
            self.chart(
                &format!("floor-levy-{c}"),
                &format!("{c}: floor and levy (USD/t)"),
                &chart,
                "no floor or levy values",
            );
        }
        if !any {
            self.nodata("no floor and no levy in this run");
        }
        self.end_section();
    }

    fn flows(&mut self) {
        self.section(
            "flows",
            "Flows by stage",
            "Tonnes shipped from each exporting region (left) to each importing region (right), summed over the run (flows.csv). Hover a band for its tonnage.",
        );
        let mut any = false;
        for c in self.commodities() {
            let mut by: BTreeMap<(String, String), f64> = BTreeMap::new();
            for r in self.run.flows.iter().filter(|r| r.commodity == c) {
                *by.entry((r.origin.clone(), r.destination.clone()))
                    .or_default() += r.quantity_t;
            }
            let links: Vec<Link> = by
                .into_iter()
                .map(|((o, d), q)| Link {
                    origin: o,
                    destination: d,
                    quantity: q,
                })
                .collect();
            self.charts += 1;
            let id = format!("chart-{}-flows-{}", self.charts, slug(&c));
            match sankey_svg(&id, &links) {
                Some(svg) => {
                    any = true;
                    let _ = write!(
                        self.body,
                        r#"<figure class="chart" data-chart="flows-{}"><figcaption>{}: tonnes shipped, whole run</figcaption>{}</figure>"#,
                        esc(&c),
                        esc(&c),
                        svg
                    );
                }
                None => self.nodata(&format!("{c}: no trade between regions in this run")),
            }
        }
        if !any && self.commodities().is_empty() {
            self.nodata("no flows in this run");
        }
        self.end_section();
    }

    fn stockpile(&mut self) {
        self.section(
            "stockpile",
            "Stockpile: inventory and spend",
            "Inventory at the end of each period and spend in each period, per stockpile and commodity (stockpile.csv).",
        );
        let mut keys: Vec<(String, String)> = self
            .run
            .stockpile
            .iter()
            .map(|r| (r.stockpile.clone(), r.commodity.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            self.nodata("no stockpile in this run");
            self.end_section();
            return;
        }
        let value = |k: &(String, String), p: &String, f: fn(&crate::run::StockpileRow) -> f64| {
            self.run
                .stockpile
                .iter()
                .find(|r| &r.period == p && r.stockpile == k.0 && r.commodity == k.1)
                .map(f)
        };
        let inv: Vec<Series> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Series {
                label: format!("{} {}", k.0, k.1),
                values: self
                    .periods
                    .iter()
                    .map(|p| value(k, p, |r| r.inventory_t))
                    .collect(),
                color: i,
                dashed: false,
            })
            .collect();
        let spend: Vec<Series> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Series {
                label: format!("{} {}", k.0, k.1),
                values: self
                    .periods
                    .iter()
                    .map(|p| value(k, p, |r| r.spent_usd))
                    .collect(),
                color: i,
                dashed: false,
            })
            .collect();
        let periods = self.periods.clone();
        self.chart(
            "stockpile-inventory",
            "Inventory (t)",
            &LineChart {
                y_label: "t".into(),
                periods: periods.clone(),
                series: inv,
                bands: vec![],
            },
            "no inventory values",
        );
        self.chart(
            "stockpile-spend",
            "Spend per period (USD)",
            &LineChart {
                y_label: "USD".into(),
                periods,
                series: spend,
                bands: vec![],
            },
            "no spend values",
        );
        self.end_section();
    }

    /// One chart with a line per scope of `indicator` (baseline dashed).
    fn family_chart(
        &mut self,
        key: &str,
        title: &str,
        indicator: &str,
        unit: &str,
        empty: &str,
    ) -> bool {
        let scopes: Vec<String> = self
            .ind
            .keys()
            .chain(self.base_ind.keys())
            .filter(|(i, _)| i == indicator)
            .map(|(_, s)| s.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if scopes.is_empty() {
            return false;
        }
        let mut series = Vec::new();
        for (k, scope) in scopes.iter().enumerate() {
            if let Some(v) = self.series_of(&self.ind, indicator, scope) {
                series.push(Series {
                    label: scope.clone(),
                    values: v,
                    color: k,
                    dashed: false,
                });
            }
            if let Some(v) = self.series_of(&self.base_ind, indicator, scope) {
                series.push(Series {
                    label: format!("{scope} (baseline)"),
                    values: v,
                    color: k,
                    dashed: true,
                });
            }
        }
        let chart = LineChart {
            y_label: unit.into(),
            periods: self.periods.clone(),
            series,
            bands: vec![],
        };
        self.chart(key, title, &chart, empty);
        true
    }

    fn concentration(&mut self) {
        self.section(
            "concentration",
            "China's share and HHI by stage",
            "China's share of each stage's world output (0–1) and the Herfindahl–Hirschman index of output shares by region (0–10,000).",
        );
        if !self.family_chart(
            "china-share",
            "China's share of output",
            "china_share",
            "share",
            "no values",
        ) {
            self.nodata("China's share: not in this run (no region CHN, or nothing produced)");
        }
        if !self.family_chart("hhi", "HHI of output by region", "hhi", "HHI", "no values") {
            self.nodata("HHI: not in this run (nothing produced)");
        }
        self.end_section();
    }

    fn unserved(&mut self) {
        self.section(
            "unserved",
            "Unserved demand",
            "Demand left unmet at the choke price, tonnes per period, by group and stage (indicator unserved_t).",
        );
        let total: f64 = self.run.consumption.iter().map(|r| r.unserved_t).sum();
        if !self.family_chart(
            "unserved",
            "Unserved demand (t)",
            "unserved_t",
            "t",
            "no values",
        ) {
            self.nodata("no unserved-demand indicator in this run");
        } else if total == 0.0 {
            self.nodata("no unserved demand in this run: every buyer was served in every period");
        }
        self.end_section();
    }

    fn capacity(&mut self) {
        self.section(
            "capacity",
            "Capacity built",
            "Capacity built inside the bloc (indicator capacity_built*), and the capacity of every stage in all regions (production.csv).",
        );
        let fams: Vec<String> = self
            .ind
            .keys()
            .map(|(i, _)| i.clone())
            .filter(|i| i.starts_with("capacity_built"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if fams.is_empty() {
            self.nodata("no capacity_built indicator in this run");
        }
        for f in fams {
            let unit = unit_of(&f);
            self.family_chart(&f, &f, &f, &unit, "no values");
        }
        let mut by: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for r in &self.run.production {
            *by.entry(r.commodity.clone())
                .or_default()
                .entry(r.period.clone())
                .or_default() += r.capacity_t;
        }
        if by.is_empty() {
            self.nodata("no production in this run");
        } else {
            let series: Vec<Series> = by
                .iter()
                .enumerate()
                .map(|(i, (c, m))| Series {
                    label: c.clone(),
                    values: self.periods.iter().map(|p| m.get(p).copied()).collect(),
                    color: i,
                    dashed: false,
                })
                .collect();
            let chart = LineChart {
                y_label: "t per period".into(),
                periods: self.periods.clone(),
                series,
                bands: vec![],
            };
            self.chart(
                "capacity-all",
                "Capacity by stage, all regions (t per period)",
                &chart,
                "no capacity values",
            );
        }
        self.end_section();
    }

    fn consumer_cost(&mut self) {
        self.section(
            "consumer-cost",
            "Consumer cost against the baseline",
            "Extra spend by buyers against the baseline: the consumer_cost indicator when the run has it; otherwise, with --baseline, the buyers' spend (price × quantity bought, prices.csv × consumption.csv, all regions) minus the baseline's.",
        );
        let fams: Vec<String> = self
            .ind
            .keys()
            .map(|(i, _)| i.clone())
            .filter(|i| i.starts_with("consumer_cost"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let had = !fams.is_empty();
        for f in fams {
            let unit = unit_of(&f);
            self.family_chart(&f, &f, &f, &unit, "no values");
        }
        match self.base {
            Some(base) => {
                let a = spend(self.run);
                let b = spend(base);
                let comms: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                let series: Vec<Series> = comms
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| Series {
                        label: c.clone(),
                        values: self
                            .periods
                            .iter()
                            .map(|p| {
                                let x = a.get(c).and_then(|m| m.get(p));
                                let y = b.get(c).and_then(|m| m.get(p));
                                match (x, y) {
                                    (Some(x), Some(y)) => Some(x - y),
                                    _ => None,
                                }
                            })
                            .collect(),
                        color: i,
                        dashed: false,
                    })
                    .collect();
                let chart = LineChart { y_label: "USD per period".into(), periods: self.periods.clone(), series, bands: vec![] };
                self.chart(
                    "consumer-cost-derived",
                    "Buyers' extra spend against the baseline (USD per period)",
                    &chart,
                    "no prices or consumption to compare",
                );
            }
            None if !had => self.nodata("no baseline given: run `bloc report RUN_DIR --baseline NO_BLOC_RUN_DIR` to see the consumer cost"),
            None => {}
        }
        self.end_section();
    }

    fn other_indicators(&mut self) {
        self.section(
            "indicators",
            "Other indicators",
            "Every other indicator in indicators.csv, one chart per indicator with a line per scope. Dashed: the baseline.",
        );
        let fams: Vec<String> = self
            .ind
            .keys()
            .map(|(i, _)| i.clone())
            .filter(|i| !is_named(i))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if fams.is_empty() {
            self.nodata("no other indicators in this run");
        }
        for f in fams {
            let unit = unit_of(&f);
            self.family_chart(&format!("indicator-{f}"), &f, &f, &unit, "no values");
        }
        self.end_section();
    }

    fn bands(&mut self) {
        if self.run.bands.is_empty() {
            return;
        }
        self.section(
            "bands",
            "Uncertainty: P5–P95 bands over the sweep",
            "Shaded: 5th to 95th percentile over the sweep's samples; line: the median (bands.csv). Where this directory is also a run, its own values are drawn dashed.",
        );
        let mut fam: BTreeMap<String, BTreeMap<String, BandMap>> = BTreeMap::new();
        for r in &self.run.bands {
            fam.entry(r.indicator.clone())
                .or_default()
                .entry(r.scope.clone())
                .or_default()
                .insert(r.period.clone(), (r.p5, r.p50, r.p95));
        }
        for (f, scopes) in fam {
            let mut bands = Vec::new();
            let mut series = Vec::new();
            for (k, (scope, per)) in scopes.iter().enumerate() {
                bands.push(band_for(scope, per, &self.periods, k));
                if let Some(v) = self.series_of(&self.ind, &f, scope) {
                    series.push(Series {
                        label: format!("{scope} (this run)"),
                        values: v,
                        color: k,
                        dashed: true,
                    });
                }
            }
            let chart = LineChart {
                y_label: unit_of(&f),
                periods: self.periods.clone(),
                series,
                bands,
            };
            self.chart(
                &format!("band-{f}"),
                &format!("{f}: P5–P95 over the sweep"),
                &chart,
                "no band values",
            );
        }
        self.end_section();
    }

    fn finish(self) -> String {
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"generator\" content=\"bloc\">");
        // No network: the policy forbids every fetch, and nothing in the page asks for one.
        s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
        s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        let _ = write!(
            s,
            "<title>bloc report: {}</title><style>{}</style></head><body>",
            esc(&self.run.name()),
            CSS
        );
        s.push_str(&self.body);
        s.push_str("<footer>Written by <code>bloc report</code>; every chart is SVG in this file, and the page loads nothing else.</footer></body></html>\n");
        s
    }
}

/// A band's three series over the chart's periods.
pub fn band_for(label: &str, per: &BandMap, periods: &[String], color: usize) -> Band {
    let pick = |f: fn(&(f64, f64, f64)) -> f64| periods.iter().map(|p| per.get(p).map(f)).collect();
    Band {
        label: label.into(),
        p5: pick(|t| t.0),
        p50: pick(|t| t.1),
        p95: pick(|t| t.2),
        color,
    }
}

/// Buyers' spend per commodity and period: Σ over regions of price × quantity bought.
fn spend(run: &Run) -> BTreeMap<String, BTreeMap<String, f64>> {
    let price: BTreeMap<(&str, &str, &str), f64> = run
        .prices
        .iter()
        .map(|r| {
            (
                (r.period.as_str(), r.region.as_str(), r.commodity.as_str()),
                r.price_usd_per_t,
            )
        })
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for r in &run.consumption {
        if let Some(p) = price.get(&(r.period.as_str(), r.region.as_str(), r.commodity.as_str())) {
            *out.entry(r.commodity.clone())
                .or_default()
                .entry(r.period.clone())
                .or_default() += p * r.quantity_t;
        }
    }
    out
}

/// The unit an indicator's name ends with.
pub fn unit_of(indicator: &str) -> String {
    if indicator.ends_with("_usd_per_t") {
        "USD/t".into()
    } else if indicator.ends_with("_usd") {
        "USD per period".into()
    } else if indicator.ends_with("_t") {
        "t per period".into()
    } else if indicator.contains("share") {
        "share".into()
    } else {
        indicator.into()
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1400px;padding:16px 24px;color:#222}\
h1{font-size:1.5em;margin:0 0 8px}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}\
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:.9em}dl.meta dt{color:#666}dl.meta dd{margin:0}\
table.summary{border-collapse:collapse;font-size:.85em}table.summary th,table.summary td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
section{overflow:hidden}figure.chart{display:inline-block;vertical-align:top;margin:8px 16px 16px 0}\
figcaption{font-weight:600;font-size:.9em;margin-bottom:4px}svg.chart-svg{background:#fff;border:1px solid #eee;max-width:100%;height:auto}\
ul.legend{list-style:none;padding:0;margin:4px 0;font-size:.8em;display:flex;flex-wrap:wrap;gap:4px 14px;max-width:640px}\
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:4px}.swatch.dashed{border-top-style:dashed}\
.swatch.band{height:10px;border:none;opacity:.4}p.nodata{color:#8a5a00;background:#fff8e6;padding:6px 10px;border-left:3px solid #e6a700}\
p.intro{color:#555;font-size:.9em;max-width:900px}footer{margin-top:40px;color:#888;font-size:.8em}";
