//! The HTML report: the answer first, the evidence folded beneath it.
//!
//! Why this shape: a world run has thirty commodities, twenty-odd regions and a hundred
//! indicator scopes, and drawing all of it in a row gave a page of 50,000 px on which the
//! answer ("what does the bloc cost, who gains, where do prices move") was nowhere near the
//! top. So the page opens on one screen or two of summary:
//!
//! 1. **The summary** (`#summary`): the headline sums, who gains and who pays (welfare by
//!    region), which members' prices moved most, the floors' record, the export controls'
//!    leakage, China's share, capacity built, shortages, projects and stockpile cover. These
//!    are the figures `bloc run` wrote to `summary.json` (made by `bloc_model::headline`),
//!    not derived again here; without that file (a run with no baseline) the page shows the
//!    same kind of figures from [`crate::headline`].
//! 2. **Prices by region** (`#regional-table`): for the commodities a measure touches (a
//!    floor, a stockpile) or whose price moved by 10% or more somewhere, each region's mean
//!    price change against the baseline: where an export ban bites and where it does not.
//!
//! Then every detailed section is a closed `<details>`, whose summary line says what it holds:
//! prices by region over time (small multiples, one panel per region, as run − baseline),
//! prices by commodity (run − baseline, with the overlay of levels folded again inside),
//! floor and levy, flows, stockpile, concentration, unserved demand, capacity, consumer cost,
//! every other indicator, the full headline table, and sweep bands. A chart whose values are
//! all zero is not drawn; the section names it in a line instead.
//!
//! Every chart sits in a `<figure class="chart">` holding one SVG; every note in a
//! `<p class="nodata">`. The page holds no script: every chart is SVG with `<title>`
//! tooltips, so it reads the same with JavaScript off and loads nothing.

use crate::format::{fmt_compact, fmt_pct, fmt_usd};
use crate::headline::{headlines, indicator_map, Headline};
use crate::run::Run;
use crate::summary::{status_words, Summary};
use crate::svg::{
    cap_series, esc, sankey_svg, Band, Bar, BarChart, LineChart, Link, Others, Series,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What to put in the report besides the run itself.
#[derive(Debug, Default)]
pub struct ReportOptions<'a> {
    /// The no-bloc (or any other) run to compare against: the charts show the run minus it,
    /// and the consumer cost is measured against it.
    pub baseline: Option<&'a Run>,
}

type IndicatorMap = BTreeMap<(String, String), BTreeMap<String, f64>>;

/// (P5, P50, P95) by period.
type BandMap = BTreeMap<String, (f64, f64, f64)>;

/// Price by (commodity, region), by period.
type RegionPrices = BTreeMap<(String, String), BTreeMap<String, f64>>;

/// A region's (run mean, baseline mean, relative change) of one commodity's price.
type RegionChange = (String, f64, f64, f64);

/// Commodities with each region's price change.
type Touched = Vec<(String, Vec<RegionChange>)>;

/// Indicator families drawn in the named sections; the rest go to "Other indicators".
const NAMED: &[&str] = &[
    "price_usd_per_t",
    "china_share",
    "hhi",
    "unserved_t",
    "capacity_built",
    "consumer_cost",
];

/// Most lines in one chart: the palette's seven colours.
pub const MAX_LINES: usize = 7;

/// Most regions drawn as panels for one commodity.
const MAX_PANELS: usize = 8;

/// Most commodities in the front page's table of regional price changes.
const MAX_FRONT_COMMODITIES: usize = 8;

/// A commodity whose price moved by this much (relative, mean over the run) in some region
/// counts as touched by the run's measures even when no floor or stockpile names it.
const TOUCH_SHARE: f64 = 0.10;

/// `1 chart`, `2 charts`.
fn count(n: usize, what: &str) -> String {
    match (n, what.strip_suffix('y')) {
        (1, _) => format!("1 {what}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {what}s"),
    }
}

fn is_named(indicator: &str) -> bool {
    NAMED.iter().any(|n| indicator.starts_with(n))
}

struct Page<'a> {
    run: &'a Run,
    base: Option<&'a Run>,
    periods: Vec<String>,
    ind: IndicatorMap,
    base_ind: IndicatorMap,
    prices: RegionPrices,
    base_prices: RegionPrices,
    /// The baseline's tonnes bought, by (commodity, region), by period.
    base_bought: RegionPrices,
    /// Member regions at the run's end (from summary.json).
    members: BTreeSet<String>,
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
        prices: region_prices(run),
        base_prices: opts.baseline.map(region_prices).unwrap_or_default(),
        base_bought: opts.baseline.map(region_bought).unwrap_or_default(),
        members: run
            .summary
            .as_ref()
            .map(|s| {
                s.welfare_change_by_region
                    .iter()
                    .filter(|w| w.member)
                    .map(|w| w.region.clone())
                    .collect()
            })
            .unwrap_or_default(),
        body: String::new(),
        charts: 0,
    };
    page.header();
    page.summary();
    page.regional_table();
    page.regional();
    page.prices();
    page.floor_levy();
    page.flows();
    page.stockpile();
    page.concentration();
    page.unserved();
    page.capacity();
    page.consumer_cost();
    page.other_indicators();
    page.headline_table();
    page.bands();
    page.finish()
}

fn region_prices(run: &Run) -> RegionPrices {
    let mut m: RegionPrices = BTreeMap::new();
    for r in &run.prices {
        m.entry((r.commodity.clone(), r.region.clone()))
            .or_default()
            .insert(r.period.clone(), r.price_usd_per_t);
    }
    m
}

fn region_bought(run: &Run) -> RegionPrices {
    let mut m: RegionPrices = BTreeMap::new();
    for r in &run.consumption {
        *m.entry((r.commodity.clone(), r.region.clone()))
            .or_default()
            .entry(r.period.clone())
            .or_default() += r.quantity_t;
    }
    m
}

/// The mean of `a` and of `b` over the periods both have, and `mean a / mean b − 1`.
fn mean_change(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> Option<(f64, f64, f64)> {
    let both: Vec<(f64, f64)> = a
        .iter()
        .filter_map(|(p, x)| b.get(p).map(|y| (*x, *y)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if both.is_empty() {
        return None;
    }
    let n = both.len() as f64;
    let ma = both.iter().map(|t| t.0).sum::<f64>() / n;
    let mb = both.iter().map(|t| t.1).sum::<f64>() / n;
    (mb > 0.0).then(|| (ma, mb, ma / mb - 1.0))
}

/// A scope's shape, for grouping an indicator's scopes into charts of like with like:
/// `members`, `region:JPN` and `region:JPN:ndpr_oxide` are three shapes.
fn shape(scope: &str) -> (String, usize) {
    let mut parts = scope.split(':');
    let head = parts.next().unwrap_or("");
    let rest = parts.count();
    let head = match head {
        "members" | "non_members" | "world" => "group",
        h => h,
    };
    (head.to_string(), rest)
}

fn shape_words((head, rest): &(String, usize)) -> String {
    let extra = ["", " and commodity", " and more"][(*rest).min(2)];
    let head = match head.as_str() {
        "group" if *rest == 0 => "members, non-members, world".to_string(),
        "group" => "group".to_string(),
        h => h.to_string(),
    };
    if *rest == 1 && head != "group" {
        format!("by {head}")
    } else {
        format!("by {head}{extra}")
    }
}

/// Lines of tonnes and dollars add up ("others" is their sum); prices, shares and indices
/// do not.
fn others_for(indicator: &str) -> Others {
    if indicator.ends_with("_usd")
        || indicator.ends_with("_t")
        || indicator.ends_with("_t_per_yr")
        || indicator.starts_with("projects_")
    {
        Others::Sum
    } else {
        Others::Drop
    }
}

fn left_out_note(n: usize, others: Others) -> Option<String> {
    match (n, others) {
        (0, _) => None,
        (n, Others::Sum) => Some(format!("The {n} smallest are one grey line, their sum.")),
        (n, Others::Drop) => Some(format!(
            "{n} smaller not drawn (each below the lines shown)."
        )),
    }
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

    fn on_periods(&self, m: &BTreeMap<String, f64>) -> Vec<Option<f64>> {
        self.periods.iter().map(|p| m.get(p).copied()).collect()
    }

    /// Run − baseline per period, where both have a value; a difference within a millionth
    /// of the values themselves is solver noise, drawn as 0 (so an unchanged series is left
    /// out rather than drawn on an axis of 0.0000).
    fn diff(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<f64>> {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let (x, y) = ((*x)?, (*y)?);
                let d = x - y;
                Some(if d.abs() <= 1e-6 * x.abs().max(y.abs()) {
                    0.0
                } else {
                    d
                })
            })
            .collect()
    }

    fn nodata(&mut self, text: &str) {
        let _ = write!(self.body, r#"<p class="nodata">{}</p>"#, esc(text));
    }

    fn note(&mut self, text: &str) {
        let _ = write!(self.body, r#"<p class="intro">{}</p>"#, esc(text));
    }

    /// A folded section: `build` writes its body and returns the line shown beside the title
    /// while it is closed.
    fn fold(
        &mut self,
        id: &str,
        title: &str,
        intro: &str,
        build: impl FnOnce(&mut Self) -> String,
    ) {
        let outer = std::mem::take(&mut self.body);
        if !intro.is_empty() {
            self.note(intro);
        }
        let line = build(self);
        let inner = std::mem::replace(&mut self.body, outer);
        let _ = write!(
            self.body,
            r#"<section id="{}"><details class="section"><summary><h2>{}</h2> <span class="what">{}</span></summary>{}</details></section>"#,
            esc(id),
            esc(title),
            esc(&line),
            inner
        );
    }

    /// Writes a figure holding `svg`.
    fn figure(&mut self, key: &str, title: &str, svg: &str, legend: &str, class: &str) {
        let _ = write!(
            self.body,
            r#"<figure class="chart{}" data-chart="{}"><figcaption>{}</figcaption>{}{}</figure>"#,
            if class.is_empty() {
                String::new()
            } else {
                format!(" {class}")
            },
            esc(key),
            esc(title),
            svg,
            legend
        );
    }

    fn next_id(&mut self, key: &str) -> String {
        self.charts += 1;
        format!("chart-{}-{}", self.charts, slug(key))
    }

    /// Draws a line chart; false (and nothing drawn) when it has no value other than zero.
    fn chart(&mut self, key: &str, title: &str, chart: &LineChart) -> bool {
        let id = self.next_id(key);
        match chart.to_svg(&id) {
            Some(svg) => {
                self.figure(key, title, &svg, &chart.legend_html(), "");
                true
            }
            None => {
                self.charts -= 1;
                false
            }
        }
    }

    /// Small multiples: one legend above, then a grid of small panels, sharing one y range
    /// when `share_y`. Returns how many were drawn (panels without a value other than zero
    /// are left out).
    fn multiples(&mut self, panels: Vec<(String, String, LineChart)>, share_y: bool) -> usize {
        let mut panels: Vec<(String, String, LineChart)> = panels
            .into_iter()
            .filter(|p| p.2.has_signal())
            .map(|(k, t, c)| (k, t, c.small()))
            .collect();
        if panels.is_empty() {
            return 0;
        }
        if share_y {
            let range = panels.iter().filter_map(|p| p.2.value_range()).fold(
                None,
                |acc: Option<(f64, f64)>, (lo, hi)| {
                    Some(acc.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))))
                },
            );
            for p in &mut panels {
                p.2.y_range = range;
            }
        }
        let legend = panels[0].2.legend_html();
        self.body
            .push_str(&legend.replace("class=\"legend\"", "class=\"legend shared\""));
        self.body.push_str(r#"<div class="multiples">"#);
        let mut drawn = 0;
        for (key, title, chart) in &panels {
            let id = self.next_id(key);
            if let Some(svg) = chart.to_svg(&id) {
                self.figure(key, title, &svg, "", "small");
                drawn += 1;
            } else {
                self.charts -= 1;
            }
        }
        self.body.push_str("</div>");
        drawn
    }

    fn header(&mut self) {
        let run = self.run;
        let m = &run.meta;
        let _ = write!(
            self.body,
            "<header><h1>bloc report: {}</h1><p class=\"meta\">",
            esc(&run.name())
        );
        let mut bits: Vec<String> = Vec::new();
        if let Some(b) = self.base {
            bits.push(format!("against <b>{}</b>", esc(&b.name())));
        } else {
            bits.push("no baseline given".into());
        }
        if let (Some(a), Some(b)) = (run.periods.first(), run.periods.last()) {
            bits.push(format!(
                "{} – {} ({} periods)",
                esc(a),
                esc(b),
                run.periods.len()
            ));
        }
        if let Some(v) = m.max_violation_usd_per_t {
            bits.push(format!(
                "largest equilibrium violation {} USD/t",
                esc(&fmt_compact(v))
            ));
        }
        self.body.push_str(&bits.join(" · "));
        self.body.push_str(
            "</p><details class=\"meta\"><summary>run details</summary><dl class=\"meta\">",
        );
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
        item("directory", Some(run.dir.display().to_string()));
        item(
            "baseline directory",
            self.base.map(|b| b.dir.display().to_string()),
        );
        self.body.push_str("</dl></details></header>");
        if !run.has_run {
            self.nodata("This directory holds a sweep's bands only (bands.csv, no indicators.csv): the single-run sections below have no data; the bands are drawn at the end.");
        }
    }

    // ---------------------------------------------------------------- the front page

    fn summary(&mut self) {
        let s = self.run.summary.clone();
        let title = match (&s, self.base) {
            (Some(s), _) => format!(
                "Summary: {} against {}",
                s.scenario.clone().unwrap_or_else(|| self.run.name()),
                s.baseline.clone().unwrap_or_else(|| "its baseline".into())
            ),
            (None, Some(b)) => format!("Summary: {} against {}", self.run.name(), b.name()),
            (None, None) => format!("Summary: {}", self.run.name()),
        };
        let _ = write!(
            self.body,
            r#"<section id="summary" class="front"><h2>{}</h2>"#,
            esc(&title)
        );
        match &s {
            Some(s) => self.summary_from_file(s),
            None => self.summary_from_indicators(),
        }
        self.body.push_str("</section>");
    }

    fn cards(&mut self, cards: &[(&str, Option<f64>)]) {
        self.body.push_str(r#"<div class="cards">"#);
        for (label, v) in cards {
            if let Some(v) = v {
                let _ = write!(
                    self.body,
                    r#"<div class="card"><div class="big">{}</div><div class="label">{}</div></div>"#,
                    esc(&fmt_usd(*v)),
                    esc(label)
                );
            }
        }
        self.body.push_str("</div>");
    }

    /// Bars with the largest `max − 1` kept and the rest summed into one (when `sum_rest`).
    fn bars(
        &mut self,
        key: &str,
        title: &str,
        mut bars: Vec<Bar>,
        max: usize,
        sum_rest: bool,
        format: fn(f64) -> String,
    ) -> bool {
        if bars.len() > max {
            let rest = bars.split_off(max - 1);
            if sum_rest {
                bars.push(Bar {
                    label: format!("{} others", rest.len()),
                    value: rest.iter().map(|b| b.value).sum(),
                    emphasis: false,
                });
            }
        }
        let chart = BarChart {
            bars,
            format,
            width: 640.0,
        };
        let id = self.next_id(key);
        match chart.to_svg(&id) {
            Some(svg) => {
                self.figure(key, title, &svg, "", "");
                true
            }
            None => {
                self.charts -= 1;
                false
            }
        }
    }

    fn summary_from_file(&mut self, s: &Summary) {
        let h = &s.headline;
        self.cards(&[
            (
                "members' consumer cost: extra spend of their buyers against the baseline",
                h.members_consumer_cost_usd,
            ),
            ("members' welfare change", h.members_welfare_change_usd),
            ("levy revenue", h.levy_revenue_usd),
            (
                "members' support cost (subsidies, guarantees)",
                h.members_support_cost_usd,
            ),
            (
                "members' stockpile cost (purchases − releases + storage)",
                h.members_stockpile_cost_usd,
            ),
        ]);
        let _ = write!(
            self.body,
            r#"<p class="intro">Sums over {}–{}, in USD of the scenario's base year (summary.json, written by <code>bloc run</code>). Bold: member regions.</p><div class="two">"#,
            esc(s.from.as_deref().unwrap_or("the first period")),
            esc(s.to.as_deref().unwrap_or("the last"))
        );
        // As summary.md: changes under $0.5 M hidden, unless that hides every region (a toy
        // world in dollars, not billions).
        let big = s
            .welfare_change_by_region
            .iter()
            .any(|w| w.usd.abs() >= 0.5e6);
        let welfare: Vec<Bar> = s
            .welfare_change_by_region
            .iter()
            .filter(|w| w.usd.abs() >= if big { 0.5e6 } else { f64::MIN_POSITIVE })
            .map(|w| Bar {
                label: w.region.clone(),
                value: w.usd,
                emphasis: w.member,
            })
            .collect();
        if !self.bars(
            "summary-welfare",
            "Who gains and who pays: welfare change by region, whole run",
            welfare,
            12,
            true,
            fmt_usd,
        ) {
            self.nodata("Welfare by region: no region's welfare changed.");
        }
        let prices: Vec<Bar> = s
            .members_price_changes
            .iter()
            .filter(|p| p.change.abs() >= 0.005)
            .take(12)
            .map(|p| Bar {
                label: format!(
                    "{} ({} → {})",
                    p.commodity,
                    fmt_compact(p.baseline_usd_per_t),
                    fmt_compact(p.run_usd_per_t)
                ),
                value: p.change,
                emphasis: false,
            })
            .collect();
        if !self.bars(
            "summary-prices",
            "Members' prices: largest changes against the baseline (mean over the run, USD/t)",
            prices,
            12,
            false,
            fmt_pct,
        ) {
            self.nodata("Members' prices: none changed by 0.5% or more.");
        }
        self.body.push_str(r#"</div><div class="tables">"#);
        self.floor_table(s);
        self.leakage_table(s);
        self.cover_table(s);
        self.share_table(s);
        self.projects_table(s);
        let top = |m: &BTreeMap<String, f64>| {
            let mut v: Vec<(String, f64)> = m
                .iter()
                .map(|(k, x)| (k.clone(), *x))
                .filter(|x| x.1 > 0.0)
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        self.list_table(
            "Capacity built inside the bloc (nameplate, t/yr)",
            "none built",
            &top(&s.members_capacity_built_t_per_yr),
        );
        self.list_table(
            "Members' demand left unserved (t, whole run)",
            "none: every member's buyer was served",
            &top(&s.members_unserved_t),
        );
        self.body.push_str("</div>");
    }

    fn table(&mut self, title: &str, head: &[&str], rows: &[Vec<String>], wide: bool) {
        let _ = write!(
            self.body,
            r#"<div class="tbl{}"><h3>{}</h3><table class="summary"><thead><tr>"#,
            if wide { " wide" } else { "" },
            esc(title)
        );
        for (i, h) in head.iter().enumerate() {
            let _ = write!(
                self.body,
                "<th{}>{}</th>",
                if i > 0 { r#" class="num""# } else { "" },
                esc(h)
            );
        }
        self.body.push_str("</tr></thead><tbody>");
        for r in rows {
            self.body.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                let class = if i == 0
                    || (i + 1 == r.len() && c.chars().any(char::is_alphabetic) && c.len() > 12)
                {
                    ""
                } else {
                    r#" class="num""#
                };
                let _ = write!(self.body, "<td{class}>{}</td>", esc(c));
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table></div>");
    }

    fn list_table(&mut self, title: &str, none: &str, items: &[(String, f64)]) {
        let mut rows: Vec<Vec<String>> = items
            .iter()
            .take(7)
            .map(|(c, x)| vec![c.clone(), fmt_compact(*x)])
            .collect();
        if items.len() > 7 {
            let rest: f64 = items[7..].iter().map(|x| x.1).sum();
            rows.push(vec![
                format!("{} others", items.len() - 7),
                fmt_compact(rest),
            ]);
        }
        if rows.is_empty() {
            rows.push(vec![none.to_string(), String::new()]);
        }
        self.table(title, &["commodity", "amount"], &rows, false);
    }

    fn floor_table(&mut self, s: &Summary) {
        if s.floors.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = s
            .floors
            .iter()
            .map(|f| {
                let why = f
                    .when_not_binding
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(code, n)| format!("{} ({n} of {})", status_words(code), f.periods))
                    .unwrap_or_else(|| "–".into());
                vec![
                    f.commodity.clone(),
                    fmt_compact(f.last_floor_usd_per_t),
                    f.members_price_over_floor_mean
                        .map(|r| format!("{r:.2}"))
                        .unwrap_or_else(|| "–".into()),
                    format!("{} of {}", f.periods_binding, f.periods),
                    why,
                ]
            })
            .collect();
        self.table(
            "Floors: does each bind, and if not, why not",
            &[
                "commodity",
                "floor (last, $/t)",
                "price ÷ floor",
                "periods binding",
                "when not binding, most often",
            ],
            &rows,
            true,
        );
    }

    fn leakage_table(&mut self, s: &Summary) {
        if s.export_control_leakage.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = s
            .export_control_leakage
            .iter()
            .map(|l| {
                vec![
                    format!("{} {} (#{})", l.exporter, l.kind, l.control),
                    fmt_compact(l.transshipped_t),
                    format!("{:.1}%", 100.0 * l.largest_leakage_share),
                ]
            })
            .collect();
        self.table(
            "Export controls: what went round them via third countries",
            &["control", "t, whole run", "largest share"],
            &rows,
            false,
        );
    }

    fn cover_table(&mut self, s: &Summary) {
        if s.stockpile_days_of_cover.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = s
            .stockpile_days_of_cover
            .iter()
            .map(|c| {
                vec![
                    c.stockpile.clone(),
                    format!("{:.0} ({})", c.most_days, c.most_at),
                    format!("{:.0} ({})", c.least_days_after, c.least_at),
                    fmt_compact(c.released_t),
                ]
            })
            .collect();
        self.table(
            "Stockpiles: days of cover (inventory over members' use a day)",
            &["stockpile", "most", "least after it", "released t"],
            &rows,
            false,
        );
    }

    fn share_table(&mut self, s: &Summary) {
        if s.china_share_by_stage.is_empty() {
            return;
        }
        const STAGES: [&str; 7] = [
            "mine",
            "concentrate",
            "refined",
            "separated",
            "metal",
            "material",
            "component",
        ];
        let mut keys: Vec<&String> = s.china_share_by_stage.keys().collect();
        keys.sort_by_key(|k| STAGES.iter().position(|s| s == k).unwrap_or(STAGES.len()));
        let rows: Vec<Vec<String>> = keys
            .into_iter()
            .map(|k| {
                let v = &s.china_share_by_stage[k];
                vec![
                    k.clone(),
                    format!("{:.1}%", 100.0 * v.first_year),
                    format!("{:.1}%", 100.0 * v.last_year),
                ]
            })
            .collect();
        self.table(
            "China's share of world output by value",
            &["stage", "first year", "last year"],
            &rows,
            false,
        );
    }

    fn projects_table(&mut self, s: &Summary) {
        if s.projects.is_empty() {
            return;
        }
        let rows: Vec<Vec<String>> = [("members", "members"), ("non_members", "non-members")]
            .iter()
            .filter_map(|(k, label)| {
                let g = s.projects.get(*k)?;
                Some(vec![
                    label.to_string(),
                    g.decided.to_string(),
                    fmt_usd(g.capital_usd),
                    g.stranded.to_string(),
                    fmt_usd(g.stranded_capital_usd),
                ])
            })
            .collect();
        self.table(
            "Projects that took their decision (stranded: NPV < 0 at the run's prices)",
            &["where", "decided", "capital", "stranded", "their capital"],
            &rows,
            false,
        );
    }

    /// Without `summary.json`: the same kind of figures from the run's indicators.
    fn summary_from_indicators(&mut self) {
        let rows = headlines(self.run);
        let pick = |ind: &str, scope: &str| {
            rows.iter()
                .find(|h| h.indicator == ind && h.scope == scope)
                .map(|h| h.value)
        };
        self.cards(&[
            (
                "members' consumer cost (consumer_cost_usd)",
                pick("consumer_cost_usd", "members"),
            ),
            (
                "members' welfare change",
                pick("welfare_change_usd", "members"),
            ),
            ("levy revenue", pick("levy_revenue_usd", "world")),
            ("guarantee payouts", pick("guarantee_payout_usd", "world")),
            ("stockpile spend", pick("stockpile_spend_usd", "world")),
        ]);
        self.note("No summary.json in this run directory (it is written by `bloc run` when the scenario has a baseline): the figures above are totals over the run from indicators.csv; the table of every headline indicator is folded below.");
        let Some(base) = self.base else {
            return;
        };
        // Members' mean prices, run against baseline, from the headline table of each.
        let before: BTreeMap<String, f64> = headlines(base)
            .into_iter()
            .filter(|h| h.indicator == "price_usd_per_t")
            .filter_map(|h| {
                h.scope
                    .strip_prefix("members:")
                    .map(|c| (c.to_string(), h.value))
            })
            .collect();
        let mut changes: Vec<(String, f64, f64)> = rows
            .iter()
            .filter(|h| h.indicator == "price_usd_per_t")
            .filter_map(|h| {
                let c = h.scope.strip_prefix("members:")?;
                let b = *before.get(c)?;
                (b > 0.0).then(|| (c.to_string(), b, h.value))
            })
            .filter(|(_, b, a)| (a / b - 1.0).abs() >= 0.005)
            .collect();
        changes.sort_by(|x, y| {
            (y.2 / y.1 - 1.0)
                .abs()
                .total_cmp(&(x.2 / x.1 - 1.0).abs())
                .then(x.0.cmp(&y.0))
        });
        let bars: Vec<Bar> = changes
            .iter()
            .map(|(c, b, a)| Bar {
                label: format!("{c} ({} → {})", fmt_compact(*b), fmt_compact(*a)),
                value: a / b - 1.0,
                emphasis: false,
            })
            .collect();
        if !self.bars(
            "summary-prices",
            "Members' prices: largest changes against the baseline (mean over the run, USD/t)",
            bars,
            12,
            false,
            fmt_pct,
        ) {
            self.nodata("Members' prices: none changed by 0.5% or more against the baseline.");
        }
    }

    // ---------------------------------------------------------------- prices by region

    /// Commodities a measure touches or whose price moved in some region, with each region's
    /// (run mean, baseline mean, change), ranked by the largest change in any region.
    fn touched(&self) -> Touched {
        let mut named: BTreeSet<String> = self
            .run
            .policy
            .iter()
            .filter(|r| r.floor_usd_per_t > 0.0)
            .map(|r| r.commodity.clone())
            .collect();
        named.extend(self.run.stockpile.iter().map(|r| r.commodity.clone()));
        let mut by: BTreeMap<String, Vec<(String, f64, f64, f64)>> = BTreeMap::new();
        for ((c, r), m) in &self.prices {
            let Some(b) = self.base_prices.get(&(c.clone(), r.clone())) else {
                continue;
            };
            if let Some((a, bm, ch)) = mean_change(m, b) {
                by.entry(c.clone())
                    .or_default()
                    .push((r.clone(), a, bm, ch));
            }
        }
        let peak = |v: &[(String, f64, f64, f64)]| v.iter().fold(0.0f64, |m, x| m.max(x.3.abs()));
        let mut out: Touched = by
            .into_iter()
            .filter(|(c, v)| peak(v) >= TOUCH_SHARE || (named.contains(c) && peak(v) >= 0.005))
            .collect();
        out.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)).then(a.0.cmp(&b.0)));
        out
    }

    fn members(&self) -> BTreeSet<String> {
        self.members.clone()
    }

    /// The baseline's price of `commodity` for the regions that are members of the run's bloc
    /// (`members`) or not: consumption-weighted over those regions each period (the plain mean
    /// where they buy none), as `summary.json`'s members' price and the run's own
    /// `price_usd_per_t` indicator are. Needed because a no-bloc baseline has no members: its
    /// own `members:` scope is missing and its `non_members:` scope is the whole world.
    fn base_group(&self, commodity: &str, members: bool) -> Option<Vec<Option<f64>>> {
        let regions: Vec<&String> = self
            .base_prices
            .keys()
            .filter(|(c, r)| c == commodity && self.members.contains(r) == members)
            .map(|(_, r)| r)
            .collect();
        if regions.is_empty() {
            return None;
        }
        Some(
            self.periods
                .iter()
                .map(|p| {
                    let (mut wp, mut w, mut sp, mut n) = (0.0, 0.0, 0.0, 0.0);
                    for r in &regions {
                        let key = (commodity.to_string(), (*r).clone());
                        let Some(price) = self.base_prices[&key].get(p) else {
                            continue;
                        };
                        let q = self
                            .base_bought
                            .get(&key)
                            .and_then(|m| m.get(p))
                            .copied()
                            .unwrap_or(0.0);
                        wp += q * price;
                        w += q;
                        sp += price;
                        n += 1.0;
                    }
                    if w > 0.0 {
                        Some(wp / w)
                    } else if n > 0.0 {
                        Some(sp / n)
                    } else {
                        None
                    }
                })
                .collect(),
        )
    }

    /// The front page's table: regions across, touched commodities down, each cell the
    /// region's mean price change against the baseline.
    fn regional_table(&mut self) {
        if self.base.is_none() {
            return;
        }
        let touched: Vec<_> = self
            .touched()
            .into_iter()
            .take(MAX_FRONT_COMMODITIES)
            .collect();
        if touched.is_empty() {
            return;
        }
        let members = self.members();
        let regions: BTreeSet<String> = touched
            .iter()
            .flat_map(|(_, v)| v.iter().filter(|x| x.3.abs() >= 0.005).map(|x| x.0.clone()))
            .collect();
        let mut regions: Vec<String> = regions.into_iter().collect();
        // Members first, then the rest, each alphabetical.
        regions.sort_by_key(|r| (!members.contains(r), r.clone()));
        let _ = write!(
            self.body,
            r#"<section id="regional-table" class="front"><h3>Where prices moved: each region's mean price against the baseline, for the {} a floor or stockpile covers or whose price moved by {}% or more somewhere (largest first; bold: members)</h3><div class="scroll"><table class="heat"><thead><tr><th>commodity</th>"#,
            count(touched.len(), "commodity"),
            (TOUCH_SHARE * 100.0) as u32
        );
        for r in &regions {
            let _ = write!(
                self.body,
                "<th{}>{}</th>",
                if members.contains(r) {
                    r#" class="member""#
                } else {
                    ""
                },
                esc(r)
            );
        }
        self.body.push_str("</tr></thead><tbody>");
        for (c, v) in &touched {
            let _ = write!(self.body, "<tr><th>{}</th>", esc(c));
            for r in &regions {
                match v.iter().find(|x| &x.0 == r) {
                    Some((_, a, b, ch)) if ch.abs() >= 0.005 => {
                        let alpha = (ch.abs().min(1.0) * 0.75 + 0.08).min(0.85);
                        let rgb = if *ch > 0.0 { "0,114,178" } else { "213,94,0" };
                        let _ = write!(
                            self.body,
                            r#"<td style="background:rgba({rgb},{alpha:.2})" title="{r} {c}: {} → {} USD/t">{}</td>"#,
                            esc(&fmt_compact(*b)),
                            esc(&fmt_compact(*a)),
                            esc(&fmt_pct(*ch))
                        );
                    }
                    Some(_) => self.body.push_str("<td class=\"flat\">·</td>"),
                    None => self.body.push_str("<td></td>"),
                }
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table></div><p class=\"intro\">Mean over the periods of the run, from prices.csv of both runs; · = within 0.5%. Hover a cell for the two prices. Open “Prices by region” below for each over time.</p></section>");
    }

    /// Per touched commodity, one small panel per region (the regions that moved most),
    /// run − baseline over time, on one scale.
    fn regional(&mut self) {
        let touched = if self.base.is_some() {
            self.touched()
        } else {
            vec![]
        };
        let no_base: Vec<String> = if self.base.is_none() {
            let mut named: BTreeSet<String> = self
                .run
                .policy
                .iter()
                .filter(|r| r.floor_usd_per_t > 0.0)
                .map(|r| r.commodity.clone())
                .collect();
            named.extend(self.run.stockpile.iter().map(|r| r.commodity.clone()));
            named.into_iter().collect()
        } else {
            vec![]
        };
        if touched.is_empty() && no_base.is_empty() {
            return;
        }
        let intro = if self.base.is_some() {
            "For each commodity of the table above: the regions whose price moved most, one panel each, price in the run minus the baseline's (USD/t), all panels of a commodity on one scale. Zero line: no change."
        } else {
            "For each commodity a floor or stockpile covers: each region's price (prices.csv), the seven highest drawn."
        };
        let n = touched.len() + no_base.len();
        self.fold("regional", "Prices by region, for the commodities the measures touch", intro, |p| {
            for (c, v) in &touched {
                let mut v = v.clone();
                v.sort_by(|a, b| b.3.abs().total_cmp(&a.3.abs()).then(a.0.cmp(&b.0)));
                let lead: Vec<String> = v.iter().take(3).map(|x| format!("{} {}", x.0, fmt_pct(x.3))).collect();
                let _ = write!(p.body, "<details class=\"sub\"><summary>{} <span class=\"what\">{}</span></summary>", esc(c), esc(&lead.join(", ")));
                let panels: Vec<(String, String, LineChart)> = v
                    .iter()
                    .take(MAX_PANELS)
                    .map(|(r, _, _, ch)| {
                        let key = (c.clone(), r.clone());
                        let a = p.on_periods(&p.prices[&key]);
                        let b = p.on_periods(&p.base_prices[&key]);
                        let mut chart = LineChart::new("USD/t", p.periods.clone());
                        chart.series = vec![Series { label: "run − baseline".into(), values: Page::diff(&a, &b), color: 0, dashed: false }];
                        (format!("region-{c}-{r}"), format!("{r}: {}", fmt_pct(*ch)), chart)
                    })
                    .collect();
                if p.multiples(panels, true) == 0 {
                    p.nodata(&format!("{c}: no region's price differs from the baseline's"));
                }
                p.body.push_str("</details>");
            }
            for c in &no_base {
                let series: Vec<Series> = p
                    .prices
                    .iter()
                    .filter(|((cc, _), _)| cc == c)
                    .map(|((_, r), m)| Series { label: r.clone(), values: p.on_periods(m), color: 0, dashed: false })
                    .collect();
                let (series, rest) = cap_series(series, MAX_LINES, Others::Drop);
                let mut chart = LineChart::new("USD/t", p.periods.clone());
                chart.series = series;
                chart.note = left_out_note(rest, Others::Drop);
                if !p.chart(&format!("region-{c}"), &format!("{c}: price by region (USD/t)"), &chart) {
                    p.nodata(&format!("{c}: no prices"));
                }
            }
            count(n, "commodity")
        });
    }

    // ---------------------------------------------------------------- prices by commodity

    fn prices(&mut self) {
        let commodities: Vec<String> = self
            .run
            .commodities()
            .into_iter()
            .filter(|c| {
                self.ind
                    .keys()
                    .any(|(i, s)| i == "price_usd_per_t" && s.ends_with(&format!(":{c}")))
            })
            .collect();
        let groups = [
            ("members", "members"),
            ("non_members", "non-members"),
            ("world", "world"),
        ];
        let has_base = self.base.is_some();
        let intro = if has_base {
            "Consumption-weighted mean price of each stage in the member and non-member regions (indicator price_usd_per_t), as the run minus the baseline, USD/t; each panel on its own scale. The baseline's price is taken over the same regions (the bloc's members at the run's end, from prices.csv and consumption.csv of the baseline), since a no-bloc baseline has no members of its own. The levels, run and baseline overlaid, are folded at the end."
        } else {
            "Consumption-weighted mean price of each stage in the member and non-member regions and the world (indicator price_usd_per_t), USD/t; each panel on its own scale."
        };
        self.fold("prices", "Prices by commodity: members and non-members", intro, |p| {
            if commodities.is_empty() {
                p.nodata("no price indicators in this run");
                return "none in this run".into();
            }
            let mut panels = Vec::new();
            let mut levels = Vec::new();
            let mut unchanged = Vec::new();
            for c in &commodities {
                let mut diff = LineChart::new("USD/t", p.periods.clone());
                let mut level = LineChart::new("USD/t", p.periods.clone());
                for (k, (g, label)) in groups.iter().enumerate() {
                    let scope = format!("{g}:{c}");
                    let a = p.series_of(&p.ind, "price_usd_per_t", &scope);
                    // The baseline over the run's own groups of regions, when the run says
                    // which are members; else the baseline's own scope.
                    let b = if k < 2 && !p.members.is_empty() {
                        p.base_group(c, k == 0)
                    } else {
                        p.series_of(&p.base_ind, "price_usd_per_t", &scope)
                    };
                    if let Some(a) = &a {
                        if !has_base || k < 2 {
                            level.series.push(Series { label: label.to_string(), values: a.clone(), color: k, dashed: false });
                        }
                    }
                    if let Some(b) = &b {
                        if k < 2 {
                            level.series.push(Series { label: format!("{label}, baseline"), values: b.clone(), color: k, dashed: true });
                        }
                    }
                    if let (Some(a), Some(b), true) = (&a, &b, k < 2) {
                        diff.series.push(Series { label: format!("{label}: run − baseline"), values: Page::diff(a, b), color: k, dashed: false });
                    }
                }
                if has_base {
                    if diff.has_signal() {
                        panels.push((format!("prices-{c}"), c.clone(), diff));
                    } else {
                        unchanged.push(c.clone());
                    }
                    levels.push((format!("prices-level-{c}"), c.clone(), level));
                } else {
                    panels.push((format!("prices-{c}"), c.clone(), level));
                }
            }
            let drawn = p.multiples(panels, false);
            if !unchanged.is_empty() {
                p.note(&format!("Unchanged against the baseline (not drawn): {}.", unchanged.join(", ")));
            }
            if has_base {
                p.body.push_str("<details class=\"sub\"><summary>Levels: run (solid) and baseline (dashed) overlaid</summary>");
                p.multiples(levels, false);
                p.body.push_str("</details>");
                format!("{} changed, {} unchanged", count(drawn, "commodity"), unchanged.len())
            } else {
                count(drawn, "commodity")
            }
        });
    }

    fn floor_levy(&mut self) {
        self.fold(
            "floor-levy",
            "Floor and levy over time",
            "The floor (policy.csv), the members' price, and the highest levy charged on any import route that period (flows.csv), USD/t; each panel on its own scale.",
            |p| {
                let mut panels = Vec::new();
                for c in p.run.commodities() {
                    let per = |f: &dyn Fn(&crate::run::PolicyRow) -> f64| -> Vec<Option<f64>> {
                        p.periods
                            .iter()
                            .map(|per| p.run.policy.iter().find(|r| &r.period == per && r.commodity == c).map(f))
                            .collect()
                    };
                    let floor = per(&|r| r.floor_usd_per_t);
                    let levy: Vec<Option<f64>> = p
                        .periods
                        .iter()
                        .map(|per| {
                            p.run
                                .flows
                                .iter()
                                .filter(|r| &r.period == per && r.commodity == c)
                                .map(|r| r.levy_usd_per_t)
                                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
                        })
                        .collect();
                    let has_floor = floor.iter().flatten().any(|v| *v > 0.0);
                    let has_levy = levy.iter().flatten().any(|v| *v > 0.0);
                    if !has_floor && !has_levy {
                        continue;
                    }
                    let mut chart = LineChart::new("USD/t", p.periods.clone());
                    chart.series.push(Series { label: "floor".into(), values: floor, color: 1, dashed: false });
                    if let Some(v) = p.series_of(&p.ind, "price_usd_per_t", &format!("members:{c}")) {
                        chart.series.push(Series { label: "members' price".into(), values: v, color: 0, dashed: false });
                    }
                    chart.series.push(Series { label: "highest levy on a route".into(), values: levy, color: 2, dashed: false });
                    panels.push((format!("floor-levy-{c}"), format!("{c}: floor and levy"), chart));
                }
                let n = p.multiples(panels, false);
                if n == 0 {
                    p.nodata("no floor and no levy in this run");
                    "no floor and no levy in this run".into()
                } else {
                    format!("{} with a floor or a levy", count(n, "commodity"))
                }
            },
        );
    }

    fn flows(&mut self) {
        self.fold(
            "flows",
            "Flows by stage",
            "Tonnes shipped from each exporting region (left) to each importing region (right), summed over the run (flows.csv); the six largest on each side, the rest as one. Hover a band for its tonnage.",
            |p| {
                let mut drawn = 0;
                let mut none = Vec::new();
                p.body.push_str(r#"<div class="grid2">"#);
                for c in p.run.commodities() {
                    let mut by: BTreeMap<(String, String), f64> = BTreeMap::new();
                    for r in p.run.flows.iter().filter(|r| r.commodity == c) {
                        *by.entry((r.origin.clone(), r.destination.clone())).or_default() += r.quantity_t;
                    }
                    let links: Vec<Link> = by
                        .into_iter()
                        .map(|((o, d), q)| Link { origin: o, destination: d, quantity: q })
                        .collect();
                    let id = p.next_id(&format!("flows-{c}"));
                    match sankey_svg(&id, &links) {
                        Some(svg) => {
                            drawn += 1;
                            p.figure(&format!("flows-{c}"), &format!("{c}: tonnes shipped, whole run"), &svg, "", "");
                        }
                        None => {
                            p.charts -= 1;
                            none.push(c);
                        }
                    }
                }
                p.body.push_str("</div>");
                if !none.is_empty() {
                    p.note(&format!("No trade between regions: {}.", none.join(", ")));
                }
                if drawn == 0 && p.run.commodities().is_empty() {
                    p.nodata("no flows in this run");
                }
                format!("{} traded", count(drawn, "commodity"))
            },
        );
    }

    fn stockpile(&mut self) {
        self.fold(
            "stockpile",
            "Stockpile: inventory and spend",
            "Inventory at the end of each period and spend in each period, per stockpile and commodity (stockpile.csv).",
            |p| {
                let mut keys: Vec<(String, String)> = p.run.stockpile.iter().map(|r| (r.stockpile.clone(), r.commodity.clone())).collect();
                keys.sort();
                keys.dedup();
                if keys.is_empty() {
                    p.nodata("no stockpile in this run");
                    return "no stockpile in this run".into();
                }
                let mut by: BTreeMap<(String, String), BTreeMap<String, (f64, f64)>> = BTreeMap::new();
                for r in &p.run.stockpile {
                    let e = by.entry((r.stockpile.clone(), r.commodity.clone())).or_default().entry(r.period.clone()).or_default();
                    e.0 += r.inventory_t;
                    e.1 += r.spent_usd;
                }
                let make = |f: fn(&(f64, f64)) -> f64| -> Vec<Series> {
                    by.iter()
                        .map(|((s, c), per)| Series {
                            label: if s.contains(c.as_str()) { s.clone() } else { format!("{s} {c}") },
                            values: p.periods.iter().map(|x| per.get(x).map(f)).collect(),
                            color: 0,
                            dashed: false,
                        })
                        .collect()
                };
                let inv = make(|t| t.0);
                let spend = make(|t| t.1);
                p.body.push_str(r#"<div class="grid2">"#);
                for (key, title, unit, series) in [("stockpile-inventory", "Inventory (t)", "t", inv), ("stockpile-spend", "Spend per period (USD)", "USD", spend)] {
                    let (series, rest) = cap_series(series, MAX_LINES, Others::Sum);
                    let mut chart = LineChart::new(unit, p.periods.clone());
                    chart.series = series;
                    chart.note = left_out_note(rest, Others::Sum);
                    if !p.chart(key, title, &chart) {
                        p.nodata(&format!("{title}: zero in every period"));
                    }
                }
                p.body.push_str("</div>");
                count(keys.len(), "stockpile")
            },
        );
    }

    // ---------------------------------------------------------------- indicator families

    /// The charts of one indicator: one per scope shape, lines capped, as run − baseline
    /// where the baseline has the indicator. Returns the charts and the shapes left out for
    /// being zero throughout.
    fn family(&self, indicator: &str) -> (Vec<(String, String, LineChart)>, Vec<String>) {
        let scopes: BTreeSet<String> = self
            .ind
            .keys()
            .filter(|(i, _)| i == indicator)
            .map(|(_, s)| s.clone())
            .collect();
        let in_base = self.base_ind.keys().any(|(i, _)| i == indicator);
        let mut by_shape: BTreeMap<(String, usize), Vec<Series>> = BTreeMap::new();
        for scope in &scopes {
            let Some(a) = self.series_of(&self.ind, indicator, scope) else {
                continue;
            };
            let values = if in_base {
                match self.series_of(&self.base_ind, indicator, scope) {
                    Some(b) => Page::diff(&a, &b),
                    None => continue,
                }
            } else {
                a
            };
            by_shape.entry(shape(scope)).or_default().push(Series {
                label: scope.clone(),
                values,
                color: 0,
                dashed: false,
            });
        }
        let others = others_for(indicator);
        let mut charts = Vec::new();
        let mut zero = Vec::new();
        let multi = by_shape.len() > 1;
        for (sh, series) in by_shape {
            let words = shape_words(&sh);
            let (series, rest) = cap_series(series, MAX_LINES, others);
            if series.is_empty() {
                zero.push(format!("{indicator} {words}"));
                continue;
            }
            let mut chart = LineChart::new(unit_of(indicator), self.periods.clone());
            chart.series = series;
            chart.note = left_out_note(rest, others);
            let key = if multi {
                format!("{indicator}-{}-{}", sh.0, sh.1)
            } else {
                indicator.to_string()
            };
            let title = format!(
                "{indicator} {words}{}",
                if in_base { ": run − baseline" } else { "" }
            );
            charts.push((key, title, chart));
        }
        (charts, zero)
    }

    /// Draws the charts of `indicators` in a two-column grid; returns (charts drawn, note of
    /// those left out).
    fn families(&mut self, indicators: &[String], key_prefix: &str) -> (usize, Vec<String>) {
        let mut drawn = 0;
        let mut zero = Vec::new();
        self.body.push_str(r#"<div class="grid2">"#);
        for f in indicators {
            let (charts, z) = self.family(f);
            zero.extend(z);
            for (key, title, chart) in charts {
                if self.chart(&format!("{key_prefix}{key}"), &title, &chart) {
                    drawn += 1;
                } else {
                    zero.push(title);
                }
            }
        }
        self.body.push_str("</div>");
        if !zero.is_empty() {
            self.note(&format!(
                "Zero throughout (not drawn): {}.",
                zero.join("; ")
            ));
        }
        (drawn, zero)
    }

    fn family_names(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        self.ind
            .keys()
            .map(|(i, _)| i.clone())
            .filter(|i| keep(i))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    fn concentration(&mut self) {
        self.fold(
            "concentration",
            "China's share and HHI by stage",
            "China's share of each stage's world output (0–1) and the Herfindahl–Hirschman index of output shares by region (0–10,000); with a baseline, the run minus the baseline.",
            |p| {
                let mut drawn = 0;
                for (name, none) in [
                    ("china_share", "China's share: not in this run (no region CHN, or nothing produced)"),
                    ("hhi", "HHI: not in this run (nothing produced)"),
                ] {
                    if !p.ind.keys().any(|(i, _)| i == name) {
                        p.nodata(none);
                        continue;
                    }
                    drawn += p.families(&[name.to_string()], "").0;
                }
                count(drawn, "chart")
            },
        );
    }

    fn unserved(&mut self) {
        let total: f64 = self.run.consumption.iter().map(|r| r.unserved_t).sum();
        self.fold(
            "unserved",
            "Unserved demand",
            "Demand left unmet at the choke price, tonnes per period, by group and stage (indicator unserved_t).",
            |p| {
                if !p.ind.keys().any(|(i, _)| i == "unserved_t") {
                    p.nodata("no unserved-demand indicator in this run");
                    return "no indicator".into();
                }
                if total == 0.0 {
                    p.nodata("no unserved demand in this run: every buyer was served in every period");
                }
                let (n, _) = p.families(&["unserved_t".to_string()], "");
                if total == 0.0 {
                    "none: every buyer served".into()
                } else {
                    format!("{} t over the run, {}", fmt_compact(total), count(n, "chart"))
                }
            },
        );
    }

    fn capacity(&mut self) {
        self.fold(
            "capacity",
            "Capacity built",
            "Capacity built inside the bloc (indicator capacity_built*), and the capacity of every stage in all regions (production.csv).",
            |p| {
                let fams = p.family_names(|i| i.starts_with("capacity_built"));
                if fams.is_empty() {
                    p.nodata("no capacity_built indicator in this run");
                }
                let (mut n, _) = p.families(&fams, "");
                let mut by: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
                for r in &p.run.production {
                    *by.entry(r.commodity.clone()).or_default().entry(r.period.clone()).or_default() += r.capacity_t;
                }
                if by.is_empty() {
                    p.nodata("no production in this run");
                } else {
                    let series: Vec<Series> = by.iter().map(|(c, m)| Series { label: c.clone(), values: p.on_periods(m), color: 0, dashed: false }).collect();
                    let (series, rest) = cap_series(series, MAX_LINES, Others::Sum);
                    let mut chart = LineChart::new("t per period", p.periods.clone());
                    chart.series = series;
                    chart.note = left_out_note(rest, Others::Sum);
                    if p.chart("capacity-all", "Capacity by stage, all regions (t per period)", &chart) {
                        n += 1;
                    }
                }
                count(n, "chart")
            },
        );
    }

    fn consumer_cost(&mut self) {
        self.fold(
            "consumer-cost",
            "Consumer cost against the baseline",
            "Extra spend by buyers against the baseline: the consumer_cost indicator when the run has it; otherwise, with a baseline, the buyers' spend (price × quantity bought, prices.csv × consumption.csv, all regions) minus the baseline's.",
            |p| {
                let fams = p.family_names(|i| i.starts_with("consumer_cost"));
                let had = !fams.is_empty();
                let (mut n, _) = p.families(&fams, "");
                match p.base {
                    Some(base) if !had => {
                        let a = spend(p.run);
                        let b = spend(base);
                        let comms: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                        let series: Vec<Series> = comms
                            .into_iter()
                            .map(|c| Series {
                                label: c.clone(),
                                values: p
                                    .periods
                                    .iter()
                                    .map(|per| Some(a.get(c)?.get(per)? - b.get(c)?.get(per)?))
                                    .collect(),
                                color: 0,
                                dashed: false,
                            })
                            .collect();
                        let (series, rest) = cap_series(series, MAX_LINES, Others::Sum);
                        let mut chart = LineChart::new("USD per period", p.periods.clone());
                        chart.series = series;
                        chart.note = left_out_note(rest, Others::Sum);
                        if p.chart("consumer-cost-derived", "Buyers' extra spend against the baseline (USD per period)", &chart) {
                            n += 1;
                        } else {
                            p.nodata("buyers' spend is the same as in the baseline in every period");
                        }
                    }
                    None if !had => p.nodata("no baseline given: run `bloc report RUN_DIR --baseline NO_BLOC_RUN_DIR` to see the consumer cost"),
                    _ => {}
                }
                count(n, "chart")
            },
        );
    }

    fn other_indicators(&mut self) {
        self.fold(
            "indicators",
            "Other indicators",
            "Every other indicator in indicators.csv: a chart per indicator and kind of scope, at most seven lines (largest first); with a baseline that has the indicator, the run minus the baseline.",
            |p| {
                let fams = p.family_names(|i| !is_named(i));
                if fams.is_empty() {
                    p.nodata("no other indicators in this run");
                }
                let (n, zero) = p.families(&fams, "indicator-");
                format!("{}, {}, {} zero throughout", count(fams.len(), "indicator"), count(n, "chart"), zero.len())
            },
        );
    }

    fn headline_table(&mut self) {
        let rows = headlines(self.run);
        if rows.is_empty() {
            return;
        }
        let base: BTreeMap<(String, String), Headline> = self
            .base
            .map(|b| {
                headlines(b)
                    .into_iter()
                    .map(|h| ((h.indicator.clone(), h.scope.clone()), h))
                    .collect()
            })
            .unwrap_or_default();
        let has_base = self.base.is_some();
        let n = rows.len();
        self.fold(
            "headlines",
            "Every headline indicator",
            "One number per indicator and scope for the whole run: flows (t, USD per period) are totals over the run, stocks (inventory, capacity) their value in the last period, and prices, shares and HHI the mean over the periods.",
            |p| {
                p.body.push_str(r#"<table class="summary full"><thead><tr><th>indicator</th><th>scope</th><th>over the run</th><th class="num">value</th>"#);
                if has_base {
                    p.body.push_str(r#"<th class="num">baseline</th><th class="num">change</th>"#);
                }
                p.body.push_str("<th>source</th></tr></thead><tbody>");
                for h in &rows {
                    let _ = write!(
                        p.body,
                        r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td>"#,
                        esc(&h.indicator),
                        esc(&h.scope),
                        h.how.label(),
                        esc(&fmt_compact(h.value))
                    );
                    if has_base {
                        match base.get(&(h.indicator.clone(), h.scope.clone())) {
                            Some(b) => {
                                let _ = write!(p.body, r#"<td class="num">{}</td><td class="num">{}</td>"#, esc(&fmt_compact(b.value)), esc(&fmt_compact(h.value - b.value)));
                            }
                            None => p.body.push_str(r#"<td class="num">–</td><td class="num">–</td>"#),
                        }
                    }
                    let _ = write!(p.body, "<td>{}</td></tr>", h.source);
                }
                p.body.push_str("</tbody></table>");
                count(n, "row")
            },
        );
    }

    fn bands(&mut self) {
        if self.run.bands.is_empty() {
            return;
        }
        let mut fam: BTreeMap<String, BTreeMap<String, BandMap>> = BTreeMap::new();
        for r in &self.run.bands {
            fam.entry(r.indicator.clone())
                .or_default()
                .entry(r.scope.clone())
                .or_default()
                .insert(r.period.clone(), (r.p5, r.p50, r.p95));
        }
        self.fold(
            "bands",
            "Uncertainty: P5–P95 bands over the sweep",
            "Shaded: 5th to 95th percentile over the sweep's samples; line: the median (bands.csv); at most seven scopes a chart, the widest first. Where this directory is also a run, its own values are drawn dashed.",
            |p| {
                let mut n = 0;
                p.body.push_str(r#"<div class="grid2">"#);
                for (f, scopes) in &fam {
                    // The widest bands first, seven at most, each its own colour.
                    let mut ranked: Vec<(&String, &BandMap)> = scopes.iter().collect();
                    let width = |m: &BandMap| m.values().map(|t| (t.2 - t.0).abs()).filter(|w| w.is_finite()).fold(0.0, f64::max);
                    ranked.sort_by(|a, b| width(b.1).total_cmp(&width(a.1)).then(a.0.cmp(b.0)));
                    let mut chart = LineChart::new(unit_of(f), p.periods.clone());
                    for (k, (scope, per)) in ranked.iter().take(MAX_LINES).enumerate() {
                        chart.bands.push(band_for(scope, per, &p.periods, k));
                        if let Some(v) = p.series_of(&p.ind, f, scope) {
                            chart.series.push(Series { label: format!("{scope} (this run)"), values: v, color: k, dashed: true });
                        }
                    }
                    if ranked.len() > MAX_LINES {
                        chart.note = Some(format!("{} narrower bands not drawn.", ranked.len() - MAX_LINES));
                    }
                    if p.chart(&format!("band-{f}"), &format!("{f}: P5–P95 over the sweep"), &chart) {
                        n += 1;
                    }
                }
                p.body.push_str("</div>");
                count(n, "indicator")
            },
        );
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
        s.push_str("<footer>Written by <code>bloc report</code>; every chart is SVG in this file, and the page loads nothing else. Colours: Okabe–Ito, readable with colour-blindness.</footer></body></html>\n");
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
    } else if indicator.ends_with("_t_per_yr") {
        "t/yr".into()
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

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1400px;padding:12px 24px;color:#222;box-sizing:border-box}\
h1{font-size:1.45em;margin:0 0 4px}h2{font-size:1.15em;margin:18px 0 8px}h3{font-size:.95em;margin:6px 0}\
p.meta{margin:0;color:#555;font-size:.9em}details.meta{font-size:.8em;color:#666}details.meta summary{cursor:pointer}\
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dl.meta dt{color:#666}dl.meta dd{margin:0}\
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0}.card{flex:1 1 200px;border:1px solid #ddd;border-radius:6px;padding:8px 12px;background:#fafafa}\
.card .big{font-size:1.5em;font-weight:650;font-variant-numeric:tabular-nums}.card .label{font-size:.8em;color:#555}\
.two,.grid2{display:flex;flex-wrap:wrap;gap:0 24px;align-items:flex-start}\
.tables{display:flex;flex-wrap:wrap;gap:6px 28px;align-items:flex-start}.tbl.wide{flex-basis:100%}\
table.summary{border-collapse:collapse;font-size:.8em}table.summary th,table.summary td{border-bottom:1px solid #eee;padding:2px 8px;text-align:left}\
table.summary th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}\
.scroll{overflow-x:auto}table.heat{border-collapse:collapse;font-size:.78em;font-variant-numeric:tabular-nums}\
table.heat th,table.heat td{padding:3px 5px;border:1px solid #fff;text-align:right;white-space:nowrap}table.heat th{font-weight:500;color:#444}\
table.heat th.member{font-weight:700;color:#000}table.heat tbody th{text-align:left}table.heat td.flat{color:#aaa;text-align:center}\
section{overflow:hidden}section.front{margin-bottom:8px}\
details.section{border-top:1px solid #ccc;padding:2px 0}details.section>summary{cursor:pointer;padding:6px 0}\
details.section>summary h2{display:inline;font-size:1.1em;margin:0}span.what{color:#666;font-size:.85em;margin-left:8px}\
details.sub{margin:4px 0 8px 12px}details.sub>summary{cursor:pointer;font-weight:600;font-size:.9em}\
figure.chart{display:inline-block;vertical-align:top;margin:6px 12px 12px 0}figure.chart.small{margin:4px 6px 6px 0}\
.multiples{display:flex;flex-wrap:wrap}\
figcaption{font-weight:600;font-size:.85em;margin-bottom:2px}svg.chart-svg{background:#fff;border:1px solid #eee;max-width:100%;height:auto}\
ul.legend{list-style:none;padding:0;margin:4px 0;font-size:.8em;display:flex;flex-wrap:wrap;gap:4px 14px;max-width:640px}p.legend-note{font-size:.75em;color:#666;margin:0;max-width:640px}\
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:4px}.swatch.dashed{border-top-style:dashed}\
.swatch.band{height:10px;border:none;opacity:.4}p.nodata{color:#8a5a00;background:#fff8e6;padding:4px 10px;border-left:3px solid #e6a700;font-size:.9em}\
p.intro{color:#555;font-size:.85em;max-width:1000px;margin:4px 0}footer{margin-top:24px;color:#888;font-size:.8em}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_shapes_read_as_words() {
        assert_eq!(count(1, "commodity"), "1 commodity");
        assert_eq!(count(3, "commodity"), "3 commodities");
        assert_eq!(count(0, "chart"), "0 charts");
        assert_eq!(shape("members"), ("group".to_string(), 0));
        assert_eq!(shape("region:JPN:ndpr_oxide"), ("region".to_string(), 2));
        assert_eq!(shape_words(&shape("region:JPN")), "by region");
        assert_eq!(
            shape_words(&shape("world")),
            "by members, non-members, world"
        );
        assert_eq!(others_for("unserved_t"), Others::Sum);
        assert_eq!(others_for("china_share"), Others::Drop);
    }

    #[test]
    fn differences_within_a_millionth_are_noise() {
        let d = Page::diff(
            &[Some(10_000.0), Some(10_000.001), None, Some(12.0)],
            &[Some(10_000.0), Some(10_000.0), Some(1.0), Some(10.0)],
        );
        assert_eq!(d, vec![Some(0.0), Some(0.0), None, Some(2.0)]);
    }

    #[test]
    fn a_mean_change_needs_both_runs_and_a_positive_baseline() {
        let m = |v: &[(&str, f64)]| -> BTreeMap<String, f64> {
            v.iter().map(|(p, x)| (p.to_string(), *x)).collect()
        };
        // By hand: means 45 and 42 over the two shared periods: 45 / 42 − 1 = +7.14%.
        let (a, b, ch) = mean_change(
            &m(&[("2026", 44.0), ("2027", 46.0), ("2028", 99.0)]),
            &m(&[("2026", 42.0), ("2027", 42.0)]),
        )
        .unwrap();
        assert_eq!((a, b), (45.0, 42.0));
        assert!((ch - 3.0 / 42.0).abs() < 1e-12);
        assert!(mean_change(&m(&[("2026", 1.0)]), &m(&[("2027", 1.0)])).is_none());
        assert!(mean_change(&m(&[("2026", 1.0)]), &m(&[("2026", 0.0)])).is_none());
    }
}
