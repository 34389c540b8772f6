//! SVG charts drawn in Rust: line charts over periods (full size or small multiples, with
//! optional P5–P95 bands), diverging bar charts for ranked changes, and a Sankey diagram of
//! flows. The output is plain text with fixed number formatting, so the same data gives the
//! same bytes, and the page needs no script and no network.
//!
//! Three rules keep every chart readable, whatever the run:
//! - **No clipped text.** Margins are computed from the labels they must hold (numbers come
//!   from [`crate::format`], so their width is bounded), x labels are thinned to what fits
//!   (quarterly runs are labelled by year), and no label is centred on the plot's edge.
//! - **No repeated colour.** The palette is Okabe–Ito without its yellow (seven colours that
//!   colour-blind readers tell apart, all visible on white); a chart holds at most seven
//!   coloured lines, the rest go to one grey "others" line ([`cap_series`]).
//! - **No empty chart.** A chart whose every value is zero or missing is not drawn
//!   ([`LineChart::to_svg`] gives `None`), and the report names it in one line instead.
//!
//! Every drawn data element carries the class `mark`, so a test (or a reader's browser)
//! can count what was drawn; every data element has a `<title>`, the browser's tooltip.

use crate::format::{axis_labels, fmt_compact, text_width};
use std::fmt::Write;

/// Colours for series, by index: Okabe–Ito (blue, vermillion, bluish green, reddish purple,
/// orange, sky blue, black), readable by colour-blind readers; its yellow is left out, being
/// too pale on white.
pub const PALETTE: [&str; 7] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
];

/// The grey of "others" and of context lines (the baseline in an overlay).
pub const GREY: &str = "#8c8c8c";

/// The palette index that means [`GREY`].
pub const GREY_INDEX: usize = usize::MAX;

/// A colour from the palette; any index past its end is [`GREY`], never a repeat.
pub fn color(i: usize) -> &'static str {
    PALETTE.get(i).copied().unwrap_or(GREY)
}

/// One line: a value (or a gap) per period.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// One entry per period of the chart; `None` is a gap.
    pub values: Vec<Option<f64>>,
    /// Palette index ([`GREY_INDEX`] for grey).
    pub color: usize,
    /// Dashed (used for the baseline run).
    pub dashed: bool,
}

impl Series {
    /// The largest absolute finite value, 0 when there is none.
    pub fn peak(&self) -> f64 {
        self.values
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }

    /// True when the series has a finite value other than zero.
    pub fn has_signal(&self) -> bool {
        self.peak() > 0.0
    }
}

/// What [`cap_series`] does with the series past the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Others {
    /// Add them into one grey "others" line (for tonnes and dollars, which add up).
    Sum,
    /// Leave them out and say how many in the legend (for prices, shares and indices).
    Drop,
}

/// At most `max` lines, largest (by peak absolute value) first, each its own colour: zero-only
/// series are dropped, and past `max − 1` the rest become one grey line (`Others::Sum`) or are
/// left out (`Others::Drop`). Returns the lines and the number of series not drawn on their
/// own.
pub fn cap_series(series: Vec<Series>, max: usize, others: Others) -> (Vec<Series>, usize) {
    let mut live: Vec<Series> = series.into_iter().filter(Series::has_signal).collect();
    live.sort_by(|a, b| b.peak().total_cmp(&a.peak()).then(a.label.cmp(&b.label)));
    let max = max.clamp(1, PALETTE.len() + 1);
    let mut rest = 0;
    if live.len() > max {
        let tail = live.split_off(max - 1);
        rest = tail.len();
        if others == Others::Sum {
            let n = tail.iter().map(|s| s.values.len()).max().unwrap_or(0);
            let values = (0..n)
                .map(|i| {
                    let v: Vec<f64> = tail
                        .iter()
                        .filter_map(|s| s.values.get(i).copied().flatten())
                        .collect();
                    (!v.is_empty()).then(|| v.iter().sum())
                })
                .collect();
            live.push(Series {
                label: format!("{rest} others"),
                values,
                color: GREY_INDEX,
                dashed: false,
            });
        }
    }
    for (i, s) in live.iter_mut().enumerate() {
        if s.color != GREY_INDEX {
            s.color = i;
        }
    }
    (live, rest)
}

/// A P5–P95 band with its median, one entry per period.
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend text.
    pub label: String,
    /// 5th percentile.
    pub p5: Vec<Option<f64>>,
    /// Median.
    pub p50: Vec<Option<f64>>,
    /// 95th percentile.
    pub p95: Vec<Option<f64>>,
    /// Palette index.
    pub color: usize,
}

/// A line chart over the periods.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Unit shown on the y axis.
    pub y_label: String,
    /// Period labels along the x axis.
    pub periods: Vec<String>,
    /// Lines.
    pub series: Vec<Series>,
    /// Bands (drawn under the lines).
    pub bands: Vec<Band>,
    /// Width of the drawing, px.
    pub width: f64,
    /// Height of the drawing, px.
    pub height: f64,
    /// The y range to cover (small multiples share one); `None`: the data's own.
    pub y_range: Option<(f64, f64)>,
    /// A line under the legend (e.g. how many series were left out).
    pub note: Option<String>,
}

const FONT: f64 = 11.0;
const MT: f64 = 10.0;
const MB: f64 = 30.0;

/// Periods labelled `YYYYQn`: the year and the quarter.
fn quarter(p: &str) -> Option<(&str, u8)> {
    let (y, q) = p.split_once('Q')?;
    let q: u8 = q.parse().ok()?;
    (y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()) && (1..=4).contains(&q))
        .then_some((y, q))
}

/// The x ticks of a chart `plot_w` px wide: (period index, label), as many as fit without
/// overlap. A quarterly run with more than eight periods is labelled by year, at each Q1.
pub fn x_ticks(periods: &[String], plot_w: f64) -> Vec<(usize, String)> {
    let n = periods.len();
    if n == 0 {
        return vec![];
    }
    let by_year = n > 8 && periods.iter().all(|p| quarter(p).is_some());
    let candidates: Vec<(usize, String)> = if by_year {
        periods
            .iter()
            .enumerate()
            .filter(|(_, p)| quarter(p).is_some_and(|(_, q)| q == 1))
            .map(|(i, p)| {
                (
                    i,
                    quarter(p).map(|(y, _)| y.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    } else {
        periods.iter().cloned().enumerate().collect()
    };
    let widest = candidates
        .iter()
        .map(|(_, l)| text_width(l, FONT))
        .fold(0.0, f64::max);
    let spacing = if n > 1 {
        plot_w / (n - 1) as f64
    } else {
        plot_w
    };
    // Index distance between two candidates that keeps labels apart by a gap of 10 px.
    let gap_idx = ((widest + 10.0) / spacing).ceil().max(1.0) as usize;
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, l) in candidates {
        if out.last().is_none_or(|(j, _)| i - j >= gap_idx) {
            out.push((i, l));
        }
    }
    out
}

impl LineChart {
    /// A full-size chart (640 × 280) with no series yet.
    pub fn new(y_label: impl Into<String>, periods: Vec<String>) -> LineChart {
        LineChart {
            y_label: y_label.into(),
            periods,
            series: vec![],
            bands: vec![],
            width: 640.0,
            height: 280.0,
            y_range: None,
            note: None,
        }
    }

    /// The same chart as a small multiple (320 × 180).
    pub fn small(mut self) -> LineChart {
        self.width = 320.0;
        self.height = 180.0;
        self
    }

    /// True when a series or band has a finite value other than zero.
    pub fn has_signal(&self) -> bool {
        self.series.iter().any(Series::has_signal)
            || self.bands.iter().any(|b| {
                b.p5.iter()
                    .chain(&b.p50)
                    .chain(&b.p95)
                    .flatten()
                    .any(|v| v.is_finite() && *v != 0.0)
            })
    }

    /// The smallest and largest finite value drawn, `None` when there is none.
    pub fn value_range(&self) -> Option<(f64, f64)> {
        let vals = self
            .series
            .iter()
            .flat_map(|s| s.values.iter())
            .chain(
                self.bands
                    .iter()
                    .flat_map(|b| b.p5.iter().chain(b.p95.iter()).chain(b.p50.iter())),
            )
            .filter_map(|v| *v)
            .filter(|v| v.is_finite());
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in vals {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        lo.is_finite().then_some((lo, hi))
    }

    /// The axis range (round numbers, zero included) and its ticks.
    fn axis(&self) -> Option<(f64, f64, Vec<f64>)> {
        let (mut lo, mut hi) = match self.y_range {
            Some(r) => r,
            None => self.value_range()?,
        };
        lo = lo.min(0.0);
        hi = hi.max(0.0);
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            hi = lo + 1.0;
        }
        let ticks = nice_ticks(lo, hi, if self.height < 200.0 { 4 } else { 5 });
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        let hi = if hi > lo { hi } else { lo + step };
        Some((
            lo,
            hi,
            nice_ticks(lo, hi, if self.height < 200.0 { 4 } else { 5 }),
        ))
    }

    /// The chart as an `<svg>` element, or `None` when no series has a finite value other
    /// than zero (an empty chart is left out).
    pub fn to_svg(&self, id: &str) -> Option<String> {
        if !self.has_signal() {
            return None;
        }
        let (lo, hi, ticks) = self.axis()?;
        let (w, h) = (self.width, self.height);
        let labels = axis_labels(&ticks);
        let label_w = labels
            .iter()
            .map(|l| text_width(l, FONT))
            .fold(0.0, f64::max);
        let ml = 20.0 + label_w + 8.0;
        // Room on the right for half of a year label centred on the last tick.
        let mr = 6.0 + text_width("2035Q4", FONT) / 2.0;
        let plot = Plot {
            w,
            h,
            ml,
            mr,
            pw: w - ml - mr,
            ph: h - MT - MB,
            n: self.periods.len().max(1),
            lo,
            hi,
        };
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart-svg" id="{}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" font-size="{FONT}">"#,
            esc(id)
        );
        plot.y_axis(&mut s, &ticks, &labels);
        plot.x_axis(&mut s, &self.periods);
        plot.unit(&mut s, &self.y_label);
        for b in &self.bands {
            plot.band(&mut s, b);
            plot.line(
                &mut s,
                &b.p50,
                &Stroke {
                    color: color(b.color),
                    dashed: false,
                    label: &format!("{} P50", b.label),
                },
                &self.periods,
            );
        }
        for ser in &self.series {
            plot.line(
                &mut s,
                &ser.values,
                &Stroke {
                    color: color(ser.color),
                    dashed: ser.dashed,
                    label: &ser.label,
                },
                &self.periods,
            );
        }
        s.push_str("</svg>");
        Some(s)
    }

    /// The legend, as HTML (swatches and labels), and the note under it. Empty when the chart
    /// has a single unlabelled line.
    pub fn legend_html(&self) -> String {
        let mut s = String::from(r#"<ul class="legend">"#);
        for b in &self.bands {
            let _ = write!(
                s,
                r#"<li><span class="swatch band" style="background:{}"></span>{} (P5–P95, P50)</li>"#,
                color(b.color),
                esc(&b.label)
            );
        }
        for ser in self.series.iter().filter(|s| !s.label.is_empty()) {
            let _ = write!(
                s,
                r#"<li><span class="swatch{}" style="border-color:{}"></span>{}</li>"#,
                if ser.dashed { " dashed" } else { "" },
                color(ser.color),
                esc(&ser.label)
            );
        }
        s.push_str("</ul>");
        if let Some(n) = &self.note {
            let _ = write!(s, r#"<p class="legend-note">{}</p>"#, esc(n));
        }
        s
    }
}

/// Runs of consecutive indices where `f` gives a value.
fn segments<T>(n: usize, f: impl Fn(usize) -> Option<T>) -> Vec<Vec<(usize, T)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for i in 0..n {
        match f(i) {
            Some(v) => cur.push((i, v)),
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A line chart's drawing area (px) and value range: where period `i` and value `v` land.
struct Plot {
    w: f64,
    h: f64,
    /// Left and right margins.
    ml: f64,
    mr: f64,
    /// The plot's width and height inside the margins.
    pw: f64,
    ph: f64,
    /// Periods on the x axis (at least 1).
    n: usize,
    lo: f64,
    hi: f64,
}

/// How one line is drawn.
struct Stroke<'a> {
    color: &'a str,
    dashed: bool,
    label: &'a str,
}

impl Plot {
    fn x(&self, i: usize) -> f64 {
        if self.n == 1 {
            self.ml + self.pw / 2.0
        } else {
            self.ml + self.pw * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        MT + self.ph * (1.0 - (v - self.lo) / (self.hi - self.lo))
    }

    /// Grid lines at the value ticks, with their labels.
    fn y_axis(&self, s: &mut String, ticks: &[f64], labels: &[String]) {
        for (t, l) in ticks.iter().zip(labels) {
            let _ = write!(
                s,
                r##"<line class="grid" x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                self.ml,
                self.w - self.mr,
                self.y(*t),
                self.y(*t),
                if *t == 0.0 { "#777" } else { "#e3e3e3" },
                self.ml - 6.0,
                self.y(*t) + 4.0,
                esc(l)
            );
        }
    }

    /// Tick marks and labels under the plot at the periods [`x_ticks`] picks.
    fn x_axis(&self, s: &mut String, periods: &[String]) {
        let (h, x) = (self.h, |i| self.x(i));
        for (i, l) in x_ticks(periods, self.pw) {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                x(i),
                x(i),
                h - MB,
                h - MB + 4.0,
                x(i),
                h - MB + 16.0,
                esc(&l)
            );
        }
    }

    /// The unit, turned, shortened to the plot's height if need be.
    fn unit(&self, s: &mut String, y_label: &str) {
        let room = (self.ph / (FONT * 0.62)).floor() as usize;
        let unit: String = if y_label.chars().count() > room {
            let mut u: String = y_label.chars().take(room.saturating_sub(1)).collect();
            u.push('…');
            u
        } else {
            y_label.to_string()
        };
        let _ = write!(
            s,
            r##"<text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle" fill="#555">{}</text>"##,
            MT + self.ph / 2.0,
            MT + self.ph / 2.0,
            esc(&unit)
        );
    }

    /// A band's P5–P95 area, one path per run of periods where both ends are finite.
    fn band(&self, s: &mut String, b: &Band) {
        for seg in segments(self.n, |i| match (b.p5[i], b.p95[i]) {
            (Some(l), Some(h)) if l.is_finite() && h.is_finite() => Some((l, h)),
            _ => None,
        }) {
            let mut d = String::new();
            for (k, (i, (_, h))) in seg.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if k == 0 { "M" } else { "L" },
                    self.x(*i),
                    self.y(*h)
                );
            }
            for (i, (l, _)) in seg.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1}", self.x(*i), self.y(*l));
            }
            d.push('Z');
            let _ = write!(
                s,
                r#"<path class="mark band" d="{d}" fill="{}" fill-opacity="0.2" stroke="none"><title>{} P5–P95</title></path>"#,
                color(b.color),
                esc(&b.label)
            );
        }
    }

    /// A series as paths over its runs of finite values, and as points (with their values as
    /// tooltips) when there are few periods, or where a value stands alone.
    fn line(
        &self,
        s: &mut String,
        values: &[Option<f64>],
        stroke: &Stroke<'_>,
        periods: &[String],
    ) {
        let at = |i: usize| values.get(i).copied().flatten().filter(|v| v.is_finite());
        let (col, label) = (stroke.color, stroke.label);
        let dash = if stroke.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        for seg in segments(self.n, at) {
            if seg.len() == 1 {
                continue;
            }
            let mut d = String::new();
            for (k, (i, v)) in seg.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if k == 0 { "M" } else { "L" },
                    self.x(*i),
                    self.y(*v)
                );
            }
            let _ = write!(
                s,
                r#"<path class="mark line" d="{d}" fill="none" stroke="{col}" stroke-width="2"{dash}><title>{}</title></path>"#,
                esc(label)
            );
        }
        for seg in segments(self.n, at) {
            if self.n <= 24 || seg.len() == 1 {
                for (i, v) in seg {
                    let _ = write!(
                        s,
                        r#"<circle class="mark point" cx="{:.1}" cy="{:.1}" r="2.5" fill="{col}"><title>{} {}: {}</title></circle>"#,
                        self.x(i),
                        self.y(v),
                        esc(label),
                        esc(periods.get(i).map(String::as_str).unwrap_or("")),
                        esc(&fmt_compact(v))
                    );
                }
            }
        }
    }
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bar {
    /// The row's label (a region, a commodity).
    pub label: String,
    /// The value; negative bars go left of zero.
    pub value: f64,
    /// Drawn in bold (e.g. a member region).
    pub emphasis: bool,
}

/// Horizontal bars from a zero line, one row each, largest first as given: the shape for a
/// ranked change (who gains and who pays, which prices moved). Gains are blue, losses
/// vermillion; each bar's value is written at its end.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Rows, top to bottom.
    pub bars: Vec<Bar>,
    /// How a value is written.
    pub format: fn(f64) -> String,
    /// Width of the drawing, px.
    pub width: f64,
}

impl BarChart {
    /// The chart as an `<svg>` element, or `None` when no bar is finite and non-zero.
    pub fn to_svg(&self, id: &str) -> Option<String> {
        let bars: Vec<&Bar> = self.bars.iter().filter(|b| b.value.is_finite()).collect();
        if !bars.iter().any(|b| b.value != 0.0) {
            return None;
        }
        let row = 20.0;
        let (top, bottom) = (6.0, 6.0);
        let h = top + bottom + row * bars.len() as f64;
        let w = self.width;
        // Bold text is wider: 10% more room.
        let label_w = bars
            .iter()
            .map(|b| text_width(&b.label, FONT) * if b.emphasis { 1.1 } else { 1.0 })
            .fold(0.0, f64::max)
            + 10.0;
        let texts: Vec<String> = bars.iter().map(|b| (self.format)(b.value)).collect();
        let room = |neg: bool| {
            bars.iter()
                .zip(&texts)
                .filter(|(b, _)| (b.value < 0.0) == neg)
                .map(|(_, t)| text_width(t, FONT) + 6.0)
                .fold(0.0, f64::max)
        };
        let (left_room, right_room) = (room(true), room(false) + 4.0);
        let lo = bars.iter().fold(0.0f64, |m, b| m.min(b.value));
        let hi = bars.iter().fold(0.0f64, |m, b| m.max(b.value));
        let x0 = label_w + left_room;
        let pw = (w - x0 - right_room).max(40.0);
        let scale = pw / (hi - lo).max(f64::MIN_POSITIVE);
        let zero = x0 - lo * scale;
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart-svg bars" id="{}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" font-size="{FONT}">"#,
            esc(id)
        );
        for (k, (b, t)) in bars.iter().zip(&texts).enumerate() {
            let yc = top + row * k as f64 + row / 2.0;
            let len = (b.value.abs() * scale).max(if b.value != 0.0 { 1.0 } else { 0.0 });
            let (bx, fill) = if b.value < 0.0 {
                (zero - len, PALETTE[1])
            } else {
                (zero, PALETTE[0])
            };
            let _ = write!(
                s,
                r#"<text x="4" y="{:.1}"{}>{}</text><rect class="mark bar" x="{bx:.1}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{fill}"><title>{}: {}</title></rect>"#,
                yc + 4.0,
                if b.emphasis {
                    r#" font-weight="bold""#
                } else {
                    ""
                },
                esc(&b.label),
                yc - row * 0.35,
                row * 0.7,
                esc(&b.label),
                esc(t)
            );
            let (tx, anchor) = if b.value < 0.0 {
                (bx - 4.0, "end")
            } else {
                (zero + len + 4.0, "start")
            };
            let _ = write!(
                s,
                r#"<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                yc + 4.0,
                esc(t)
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{zero:.1}" x2="{zero:.1}" y1="{top}" y2="{:.1}" stroke="#555"/></svg>"##,
            h - bottom
        );
        Some(s)
    }
}

/// Formats a number for people: thousands separators, few decimals (the tables of `bloc
/// compare`; charts use [`crate::format`]).
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 1000.0 {
        group(format!("{:.0}", v))
    } else if a >= 10.0 {
        format!("{:.1}", v)
    } else if a >= 0.01 {
        format!("{:.3}", v)
    } else {
        format!("{:.2e}", v)
    };
    if s == "-0" || s == "-0.0" || s == "-0.000" {
        "0".into()
    } else {
        s
    }
}

fn group(digits: String) -> String {
    let (sign, d) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest.to_string()),
        None => ("", digits),
    };
    let mut out = String::new();
    for (i, ch) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// About `n` round tick values (1, 2 or 5 × 10^k apart) covering `lo..=hi`.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut t = Vec::new();
    let mut k = 0;
    loop {
        let v = first + k as f64 * step;
        if v > hi + step * 1e-9 {
            break;
        }
        if v >= lo - step * 1e-9 {
            t.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        }
        k += 1;
        if k > 1000 {
            break;
        }
    }
    t
}

/// One origin → destination flow of a Sankey diagram.
#[derive(Debug, Clone)]
pub struct Link {
    /// Exporting region.
    pub origin: String,
    /// Importing region.
    pub destination: String,
    /// Tonnes.
    pub quantity: f64,
}

/// Most nodes on a side of a Sankey diagram; the smaller ones are merged into "others".
pub const SANKEY_NODES: usize = 7;

/// Totals by name, largest first; past `SANKEY_NODES − 1` names, the rest are one node
/// named `n others`. Returns the nodes and a map from each name to its node's name.
fn sankey_side(
    links: &[&Link],
    key: fn(&Link) -> &str,
) -> (
    Vec<(String, f64)>,
    std::collections::BTreeMap<String, String>,
) {
    let mut totals: Vec<(String, f64)> = Vec::new();
    for l in links {
        add(&mut totals, key(l), l.quantity);
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut rename = std::collections::BTreeMap::new();
    if totals.len() > SANKEY_NODES {
        let tail = totals.split_off(SANKEY_NODES - 1);
        let name = format!("{} others", tail.len());
        let sum = tail.iter().map(|t| t.1).sum();
        for (n, _) in tail {
            rename.insert(n, name.clone());
        }
        totals.push((name, sum));
    }
    for (n, _) in &totals {
        rename.entry(n.clone()).or_insert_with(|| n.clone());
    }
    (totals, rename)
}

/// A two-column Sankey diagram (exporters left, importers right; widths ∝ tonnes), or
/// `None` when nothing flows. At most [`SANKEY_NODES`] nodes a side, so labels never overlap.
pub fn sankey_svg(id: &str, links: &[Link]) -> Option<String> {
    let live: Vec<&Link> = links
        .iter()
        .filter(|l| l.quantity > 0.0 && l.quantity.is_finite())
        .collect();
    if live.is_empty() {
        return None;
    }
    let (left, lmap) = sankey_side(&live, |l| &l.origin);
    let (right, rmap) = sankey_side(&live, |l| &l.destination);
    let merged = merged_links(&live, (&left, &lmap), (&right, &rmap));
    let lw = |side: &[(String, f64)]| {
        side.iter()
            .map(|n| text_width(&node_label(n), 12.0))
            .fold(0.0, f64::max)
            + 10.0
    };
    let total: f64 = live.iter().map(|l| l.quantity).sum();
    let (w, h) = (640.0, 300.0);
    let (top, gap) = (10.0, 10.0);
    let nodes = left.len().max(right.len()) as f64;
    let scale = (h - 2.0 * top - gap * (nodes - 1.0).max(0.0)) / total;
    let nw = 14.0;
    let (xl, xr) = (lw(&left), w - nw - lw(&right));
    let place = |side: &[(String, f64)]| {
        let mut y = top;
        side.iter()
            .map(|(_, q)| {
                let p = (y, q * scale);
                y += q * scale + gap;
                p
            })
            .collect::<Vec<_>>()
    };
    let layout = SankeyLayout {
        lp: place(&left),
        rp: place(&right),
        left,
        right,
        xl,
        xr,
        nw,
        h,
        scale,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart-svg" id="{}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">"#,
        esc(id)
    );
    layout.links(&mut s, merged);
    layout.nodes(&mut s);
    s.push_str("</svg>");
    Some(s)
}

type SankeySide<'a> = (
    &'a [(String, f64)],
    &'a std::collections::BTreeMap<String, String>,
);

/// Links between the (merged) nodes, in the order of the left, then the right nodes: each
/// (left node, right node, tonnes).
fn merged_links(
    live: &[&Link],
    (left, lmap): SankeySide<'_>,
    (right, rmap): SankeySide<'_>,
) -> Vec<(usize, usize, f64)> {
    let mut merged: Vec<(usize, usize, f64)> = Vec::new();
    for l in live {
        let i = left
            .iter()
            .position(|n| n.0 == lmap[&l.origin])
            .expect("node");
        let j = right
            .iter()
            .position(|n| n.0 == rmap[&l.destination])
            .expect("node");
        match merged.iter_mut().find(|m| m.0 == i && m.1 == j) {
            Some(m) => m.2 += l.quantity,
            None => merged.push((i, j, l.quantity)),
        }
    }
    merged.sort_by_key(|a| (a.0, a.1));
    merged
}

fn node_label((name, q): &(String, f64)) -> String {
    format!("{name} ({})", fmt_compact(*q))
}

/// Where a Sankey diagram's nodes stand: each side's nodes with their (top, height), px.
struct SankeyLayout {
    left: Vec<(String, f64)>,
    right: Vec<(String, f64)>,
    lp: Vec<(f64, f64)>,
    rp: Vec<(f64, f64)>,
    /// x of the left nodes and of the right nodes; node width; drawing height.
    xl: f64,
    xr: f64,
    nw: f64,
    h: f64,
    /// px per tonne.
    scale: f64,
}

impl SankeyLayout {
    /// The links, each leaving its left node and entering its right node below the ones
    /// before it.
    fn links(&self, s: &mut String, merged: Vec<(usize, usize, f64)>) {
        let (left, right) = (&self.left, &self.right);
        let mut lo: Vec<f64> = self.lp.iter().map(|p| p.0).collect();
        let mut ro: Vec<f64> = self.rp.iter().map(|p| p.0).collect();
        for (i, j, q) in merged {
            let t = q * self.scale;
            let y0 = lo[i] + t / 2.0;
            let y1 = ro[j] + t / 2.0;
            lo[i] += t;
            ro[j] += t;
            let (x0, x1) = (self.xl + self.nw, self.xr);
            let mx = (x0 + x1) / 2.0;
            let col = if left[i].0.ends_with(" others") {
                GREY
            } else {
                color(i)
            };
            let _ = write!(
                s,
                r#"<path class="mark link" d="M{x0:.1},{y0:.1}C{mx:.1},{y0:.1} {mx:.1},{y1:.1} {x1:.1},{y1:.1}" fill="none" stroke="{col}" stroke-opacity="0.45" stroke-width="{:.2}"><title>{} → {}: {} t</title></path>"#,
                t.max(0.5),
                esc(&left[i].0),
                esc(&right[j].0),
                esc(&fmt_compact(q))
            );
        }
    }

    /// The nodes with their labels: exporters coloured as their links, importers grey.
    fn nodes(&self, s: &mut String) {
        let (left, right, h, nw) = (&self.left, &self.right, self.h, self.nw);
        let (xl, xr) = (self.xl, self.xr);
        for (k, (y, hgt)) in self.lp.iter().enumerate() {
            let col = if left[k].0.ends_with(" others") {
                GREY
            } else {
                color(k)
            };
            let _ = write!(
                s,
                r#"<rect class="mark node" x="{xl:.1}" y="{y:.1}" width="{nw}" height="{:.1}" fill="{col}"><title>{} exports {} t</title></rect><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12">{}</text>"#,
                hgt.max(1.0),
                esc(&left[k].0),
                esc(&fmt_compact(left[k].1)),
                xl - 6.0,
                (y + hgt / 2.0 + 4.0).clamp(14.0, h - 4.0),
                esc(&node_label(&left[k]))
            );
        }
        for (k, (y, hgt)) in self.rp.iter().enumerate() {
            let _ = write!(
                s,
                r##"<rect class="mark node" x="{xr:.1}" y="{y:.1}" width="{nw}" height="{:.1}" fill="#555"><title>{} imports {} t</title></rect><text x="{:.1}" y="{:.1}" font-size="12">{}</text>"##,
                hgt.max(1.0),
                esc(&right[k].0),
                esc(&fmt_compact(right[k].1)),
                xr + nw + 6.0,
                (y + hgt / 2.0 + 4.0).clamp(14.0, h - 4.0),
                esc(&node_label(&right[k]))
            );
        }
    }
}

fn add(side: &mut Vec<(String, f64)>, name: &str, q: f64) {
    match side.iter_mut().find(|n| n.0 == name) {
        Some(n) => n.1 += q,
        None => side.push((name.to_string(), q)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(label: &str, values: &[f64]) -> Series {
        Series {
            label: label.into(),
            values: values.iter().map(|v| Some(*v)).collect(),
            color: 0,
            dashed: false,
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(1234567.4), "1,234,567");
        assert_eq!(fmt_num(-1234.0), "-1,234");
        assert_eq!(fmt_num(45.25), "45.2");
        assert_eq!(fmt_num(0.25), "0.250");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0001), "-1.00e-4");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            nice_ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
    }

    #[test]
    fn the_palette_never_repeats_a_colour() {
        let mut seen = std::collections::BTreeSet::new();
        for c in PALETTE {
            assert!(seen.insert(c.to_ascii_lowercase()), "{c} twice");
            assert_ne!(c, GREY);
        }
        // Okabe–Ito's yellow is too pale on white.
        assert!(!seen.contains("#f0e442"));
        assert_eq!(color(PALETTE.len()), GREY);
        assert_eq!(color(GREY_INDEX), GREY);
    }

    #[test]
    fn legends_are_capped_with_the_rest_summed_or_dropped() {
        let many: Vec<Series> = (0..12)
            .map(|k| series(&format!("s{k:02}"), &[k as f64, 2.0 * k as f64]))
            .chain([series("zero", &[0.0, 0.0])])
            .collect();
        let (kept, rest) = cap_series(many.clone(), 7, Others::Sum);
        // s00 is all zero too: 11 live series, the 6 largest kept, 5 summed.
        assert_eq!(rest, 5);
        assert_eq!(kept.len(), 7);
        assert_eq!(kept[0].label, "s11");
        assert_eq!(kept[6].label, "5 others");
        assert_eq!(kept[6].color, GREY_INDEX);
        // By hand: s01..s05 at period 2 are 2 + 4 + 6 + 8 + 10 = 30.
        assert_eq!(kept[6].values, vec![Some(15.0), Some(30.0)]);
        let colours: std::collections::BTreeSet<usize> = kept.iter().map(|s| s.color).collect();
        assert_eq!(colours.len(), 7, "each line its own colour");
        let (kept, rest) = cap_series(many, 7, Others::Drop);
        assert_eq!((kept.len(), rest), (6, 5));
        assert!(kept.iter().all(|s| s.color < PALETTE.len()));
        let (few, rest) = cap_series(
            vec![series("a", &[1.0]), series("b", &[0.0])],
            7,
            Others::Sum,
        );
        assert_eq!((few.len(), rest), (1, 0));
    }

    #[test]
    fn a_chart_without_values_or_with_only_zeros_is_none() {
        let mut c = LineChart::new("t", vec!["2026".into(), "2027".into()]);
        c.series = vec![Series {
            label: "a".into(),
            values: vec![None, None],
            color: 0,
            dashed: false,
        }];
        assert!(c.to_svg("x").is_none());
        c.series = vec![series("a", &[0.0, 0.0])];
        assert!(c.to_svg("x").is_none());
        c.series = vec![series("a", &[0.0, 1e9])];
        let svg = c.to_svg("x").unwrap();
        assert!(svg.contains(">1.0 bn<"), "{svg}");
        assert!(!svg.contains("000,000"), "{svg}");
    }

    #[test]
    fn quarterly_axes_are_labelled_by_year_and_fit() {
        let periods: Vec<String> = (2026..2036)
            .flat_map(|y| (1..=4).map(move |q| format!("{y}Q{q}")))
            .collect();
        let ticks = x_ticks(&periods, 500.0);
        assert_eq!(ticks[0], (0, "2026".to_string()));
        assert!(ticks
            .iter()
            .all(|(i, l)| periods[*i].starts_with(l.as_str())));
        // No "2035Q4" centred on the right edge.
        assert!(ticks.iter().all(|(_, l)| l.len() == 4));
        // A small multiple has room for fewer labels, each at least its width apart.
        let small = x_ticks(&periods, 220.0);
        assert!(small.len() < ticks.len() && small.len() >= 3, "{small:?}");
        let px = 220.0 / 39.0;
        for w in small.windows(2) {
            assert!((w[1].0 - w[0].0) as f64 * px >= text_width("2026", 11.0) + 10.0);
        }
        let yearly: Vec<String> = (2026..2032).map(|y| y.to_string()).collect();
        assert_eq!(x_ticks(&yearly, 500.0).len(), 6);
    }

    #[test]
    fn a_band_is_drawn_with_its_median() {
        let mut c = LineChart::new("USD/t", vec!["2026".into(), "2027".into()]);
        c.bands = vec![Band {
            label: "price".into(),
            p5: vec![Some(1.0), Some(2.0)],
            p50: vec![Some(2.0), Some(3.0)],
            p95: vec![Some(3.0), Some(4.0)],
            color: 0,
        }];
        let svg = c.to_svg("b").unwrap();
        assert_eq!(svg.matches(r#"class="mark band""#).count(), 1);
        assert_eq!(svg.matches(r#"class="mark line""#).count(), 1);
    }

    #[test]
    fn bars_diverge_from_zero_with_their_values() {
        let b = BarChart {
            bars: vec![
                Bar {
                    label: "CHN".into(),
                    value: -2.5e9,
                    emphasis: false,
                },
                Bar {
                    label: "JPN".into(),
                    value: 4e8,
                    emphasis: true,
                },
            ],
            format: crate::format::fmt_usd,
            width: 600.0,
        };
        let svg = b.to_svg("w").unwrap();
        assert_eq!(svg.matches(r#"class="mark bar""#).count(), 2);
        assert!(
            svg.contains("−$2.50 bn") && svg.contains("$400.0 M"),
            "{svg}"
        );
        assert!(svg.contains(PALETTE[1]) && svg.contains(PALETTE[0]));
        let zero = BarChart {
            bars: vec![Bar {
                label: "x".into(),
                value: 0.0,
                emphasis: false,
            }],
            ..b
        };
        assert!(zero.to_svg("z").is_none());
    }

    #[test]
    fn sankey_draws_a_link_per_flow_and_merges_small_nodes() {
        let links = vec![
            Link {
                origin: "CHN".into(),
                destination: "USA".into(),
                quantity: 10.0,
            },
            Link {
                origin: "AUS".into(),
                destination: "USA".into(),
                quantity: 5.0,
            },
            Link {
                origin: "AUS".into(),
                destination: "JPN".into(),
                quantity: 0.0,
            },
        ];
        let svg = sankey_svg("s", &links).unwrap();
        assert_eq!(svg.matches(r#"class="mark link""#).count(), 2);
        assert!(svg.contains("USA (15.0)"));
        assert!(sankey_svg("e", &[]).is_none());
        // Twelve exporters to one importer: six drawn, six merged into one node.
        let many: Vec<Link> = (0..12)
            .map(|k| Link {
                origin: format!("R{k:02}"),
                destination: "USA".into(),
                quantity: 1.0 + k as f64,
            })
            .collect();
        let svg = sankey_svg("m", &many).unwrap();
        assert_eq!(
            svg.matches(r#"class="mark node""#).count(),
            SANKEY_NODES + 1
        );
        // By hand: R00..R05 carry 1 + 2 + … + 6 = 21 t.
        assert!(svg.contains("6 others (21.0)"), "{svg}");
    }
}
