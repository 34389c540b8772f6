//! SVG charts drawn in Rust: line charts over periods (with optional P5–P95 bands) and a
//! Sankey diagram of flows. The output is plain text with fixed number formatting, so the
//! same data gives the same bytes, and the page needs no script and no network.
//!
//! Every drawn data element carries the class `mark`, so a test (or a reader's browser)
//! can count what was drawn.

use std::fmt::Write;

/// Colours for series, by index (Okabe–Ito, readable by colour-blind readers).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
];

/// A colour from the palette.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// One line: a value (or a gap) per period.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// One entry per period of the chart; `None` is a gap.
    pub values: Vec<Option<f64>>,
    /// Palette index.
    pub color: usize,
    /// Dashed (used for the baseline run).
    pub dashed: bool,
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
}

const W: f64 = 640.0;
const H: f64 = 280.0;
const ML: f64 = 78.0;
const MR: f64 = 12.0;
const MT: f64 = 12.0;
const MB: f64 = 42.0;

/// Formats a number for people: thousands separators, few decimals.
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

impl LineChart {
    fn y_range(&self) -> Option<(f64, f64)> {
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
        if !lo.is_finite() {
            return None;
        }
        lo = lo.min(0.0);
        hi = hi.max(0.0);
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            hi = lo + 1.0;
        }
        let ticks = nice_ticks(lo, hi, 5);
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        Some((lo, if hi > lo { hi } else { lo + step }))
    }

    /// The chart as an `<svg>` element, or `None` when no series has a finite value.
    pub fn to_svg(&self, id: &str) -> Option<String> {
        let (lo, hi) = self.y_range()?;
        let n = self.periods.len().max(1);
        let pw = W - ML - MR;
        let ph = H - MT - MB;
        let x = |i: usize| {
            if n == 1 {
                ML + pw / 2.0
            } else {
                ML + pw * i as f64 / (n - 1) as f64
            }
        };
        let y = |v: f64| MT + ph * (1.0 - (v - lo) / (hi - lo));
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart-svg" id="{}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">"#,
            esc(id)
        );
        // Axes and grid.
        for t in nice_ticks(lo, hi, 5) {
            let _ = write!(
                s,
                r##"<line class="grid" x1="{ML}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"##,
                W - MR,
                y(t),
                y(t),
                ML - 6.0,
                y(t) + 4.0,
                esc(&fmt_num(t))
            );
        }
        let every = n.div_ceil(8).max(1);
        for (i, p) in self.periods.iter().enumerate() {
            if i % every == 0 || i + 1 == n {
                let _ = write!(
                    s,
                    r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
                    x(i),
                    x(i),
                    H - MB,
                    H - MB + 4.0,
                    x(i),
                    H - MB + 17.0,
                    esc(p)
                );
            }
        }
        let _ = write!(
            s,
            r##"<line x1="{ML}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#333"/><text x="14" y="{:.1}" font-size="11" transform="rotate(-90 14 {:.1})" text-anchor="middle">{}</text>"##,
            W - MR,
            H - MB,
            H - MB,
            MT + ph / 2.0,
            MT + ph / 2.0,
            esc(&self.y_label)
        );
        for b in &self.bands {
            for seg in segments(n, |i| match (b.p5[i], b.p95[i]) {
                (Some(l), Some(h)) if l.is_finite() && h.is_finite() => Some((l, h)),
                _ => None,
            }) {
                let mut d = String::new();
                for (k, (i, (_, h))) in seg.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1}",
                        if k == 0 { "M" } else { "L" },
                        x(*i),
                        y(*h)
                    );
                }
                for (i, (l, _)) in seg.iter().rev() {
                    let _ = write!(d, "L{:.1},{:.1}", x(*i), y(*l));
                }
                d.push('Z');
                let _ = write!(
                    s,
                    r#"<path class="mark band" d="{d}" fill="{}" fill-opacity="0.2" stroke="none"><title>{} P5–P95</title></path>"#,
                    color(b.color),
                    esc(&b.label)
                );
            }
            line(
                &mut s,
                &b.p50,
                n,
                &x,
                &y,
                color(b.color),
                false,
                &format!("{} P50", b.label),
                &self.periods,
            );
        }
        for ser in &self.series {
            line(
                &mut s,
                &ser.values,
                n,
                &x,
                &y,
                color(ser.color),
                ser.dashed,
                &ser.label,
                &self.periods,
            );
        }
        s.push_str("</svg>");
        Some(s)
    }

    /// The legend, as HTML (swatches and labels).
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
        for ser in &self.series {
            let _ = write!(
                s,
                r#"<li><span class="swatch{}" style="border-color:{}"></span>{}</li>"#,
                if ser.dashed { " dashed" } else { "" },
                color(ser.color),
                esc(&ser.label)
            );
        }
        s.push_str("</ul>");
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

#[allow(clippy::too_many_arguments)]
fn line(
    s: &mut String,
    values: &[Option<f64>],
    n: usize,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
    col: &str,
    dashed: bool,
    label: &str,
    periods: &[String],
) {
    let at = |i: usize| values.get(i).copied().flatten().filter(|v| v.is_finite());
    let dash = if dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    for seg in segments(n, at) {
        if seg.len() == 1 {
            continue;
        }
        let mut d = String::new();
        for (k, (i, v)) in seg.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if k == 0 { "M" } else { "L" },
                x(*i),
                y(*v)
            );
        }
        let _ = write!(
            s,
            r#"<path class="mark line" d="{d}" fill="none" stroke="{col}" stroke-width="2"{dash}><title>{}</title></path>"#,
            esc(label)
        );
    }
    // Points (with their values as tooltips) when there are few periods, or a lone point.
    for seg in segments(n, at) {
        if n <= 24 || seg.len() == 1 {
            for (i, v) in seg {
                let _ = write!(
                    s,
                    r#"<circle class="mark point" cx="{:.1}" cy="{:.1}" r="2.5" fill="{col}"><title>{} {}: {}</title></circle>"#,
                    x(i),
                    y(v),
                    esc(label),
                    esc(periods.get(i).map(String::as_str).unwrap_or("")),
                    esc(&fmt_num(v))
                );
            }
        }
    }
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

/// A two-column Sankey diagram (exporters left, importers right; widths ∝ tonnes), or
/// `None` when nothing flows.
pub fn sankey_svg(id: &str, links: &[Link]) -> Option<String> {
    let links: Vec<&Link> = links
        .iter()
        .filter(|l| l.quantity > 0.0 && l.quantity.is_finite())
        .collect();
    if links.is_empty() {
        return None;
    }
    let mut left: Vec<(String, f64)> = Vec::new();
    let mut right: Vec<(String, f64)> = Vec::new();
    for l in &links {
        add(&mut left, &l.origin, l.quantity);
        add(&mut right, &l.destination, l.quantity);
    }
    let total: f64 = links.iter().map(|l| l.quantity).sum();
    let (w, h) = (640.0, 300.0);
    let (top, gap) = (10.0, 10.0);
    let nodes = left.len().max(right.len()) as f64;
    let scale = (h - 2.0 * top - gap * (nodes - 1.0).max(0.0)) / total;
    let (xl, xr, nw) = (150.0, w - 150.0, 14.0);
    let place = |side: &[(String, f64)]| {
        let mut y = top;
        side.iter()
            .map(|(name, q)| {
                let p = (name.clone(), y, q * scale);
                y += q * scale + gap;
                p
            })
            .collect::<Vec<_>>()
    };
    let lp = place(&left);
    let rp = place(&right);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart-svg" id="{}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">"#,
        esc(id)
    );
    let mut lo: Vec<f64> = lp.iter().map(|p| p.1).collect();
    let mut ro: Vec<f64> = rp.iter().map(|p| p.1).collect();
    for l in &links {
        let i = left.iter().position(|n| n.0 == l.origin).expect("added");
        let j = right
            .iter()
            .position(|n| n.0 == l.destination)
            .expect("added");
        let t = l.quantity * scale;
        let y0 = lo[i] + t / 2.0;
        let y1 = ro[j] + t / 2.0;
        lo[i] += t;
        ro[j] += t;
        let (x0, x1) = (xl + nw, xr);
        let mx = (x0 + x1) / 2.0;
        let _ = write!(
            s,
            r#"<path class="mark link" d="M{x0:.1},{y0:.1}C{mx:.1},{y0:.1} {mx:.1},{y1:.1} {x1:.1},{y1:.1}" fill="none" stroke="{}" stroke-opacity="0.45" stroke-width="{:.2}"><title>{} → {}: {} t</title></path>"#,
            color(i),
            t.max(0.5),
            esc(&l.origin),
            esc(&l.destination),
            esc(&fmt_num(l.quantity))
        );
    }
    for (k, (name, y, hgt)) in lp.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect class="mark node" x="{xl}" y="{y:.1}" width="{nw}" height="{:.1}" fill="{}"><title>{} exports {} t</title></rect><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12">{} ({})</text>"#,
            hgt.max(1.0),
            color(k),
            esc(name),
            esc(&fmt_num(left[k].1)),
            xl - 6.0,
            y + hgt / 2.0 + 4.0,
            esc(name),
            esc(&fmt_num(left[k].1))
        );
    }
    for (k, (name, y, hgt)) in rp.iter().enumerate() {
        let _ = write!(
            s,
            r##"<rect class="mark node" x="{xr}" y="{y:.1}" width="{nw}" height="{:.1}" fill="#555"><title>{} imports {} t</title></rect><text x="{:.1}" y="{:.1}" font-size="12">{} ({})</text>"##,
            hgt.max(1.0),
            esc(name),
            esc(&fmt_num(right[k].1)),
            xr + nw + 6.0,
            y + hgt / 2.0 + 4.0,
            esc(name),
            esc(&fmt_num(right[k].1))
        );
    }
    s.push_str("</svg>");
    Some(s)
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
    fn a_chart_without_values_is_none() {
        let c = LineChart {
            y_label: "t".into(),
            periods: vec!["2026".into()],
            series: vec![Series {
                label: "a".into(),
                values: vec![None],
                color: 0,
                dashed: false,
            }],
            bands: vec![],
        };
        assert!(c.to_svg("x").is_none());
    }

    #[test]
    fn a_band_is_drawn_with_its_median() {
        let c = LineChart {
            y_label: "USD/t".into(),
            periods: vec!["2026".into(), "2027".into()],
            series: vec![],
            bands: vec![Band {
                label: "price".into(),
                p5: vec![Some(1.0), Some(2.0)],
                p50: vec![Some(2.0), Some(3.0)],
                p95: vec![Some(3.0), Some(4.0)],
                color: 0,
            }],
        };
        let svg = c.to_svg("b").unwrap();
        assert_eq!(svg.matches(r#"class="mark band""#).count(), 1);
        assert_eq!(svg.matches(r#"class="mark line""#).count(), 1);
    }

    #[test]
    fn sankey_draws_a_link_per_flow() {
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
    }
}
