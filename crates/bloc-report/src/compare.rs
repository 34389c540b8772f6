//! `bloc compare`: the difference in every headline indicator between two runs, as a
//! terminal table, a CSV file and an HTML page.

use crate::headline::{headlines, Aggregate, Headline};
use crate::run::Run;
use crate::svg::{esc, fmt_num};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One headline indicator in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    /// Indicator name.
    pub indicator: String,
    /// Scope.
    pub scope: String,
    /// How the periods were combined.
    pub how: Aggregate,
    /// Run A's value (`None`: not in run A).
    pub a: Option<f64>,
    /// Run B's value (`None`: not in run B).
    pub b: Option<f64>,
}

impl CompareRow {
    /// B − A, when both runs have the indicator.
    pub fn diff(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }

    /// (B − A) / |A| × 100, when both have it and A is not zero.
    pub fn pct(&self) -> Option<f64> {
        let a = self.a?;
        if a == 0.0 {
            return None;
        }
        Some(self.diff()? / a.abs() * 100.0)
    }
}

/// The comparison of two runs.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Name of run A.
    pub a_name: String,
    /// Name of run B.
    pub b_name: String,
    /// Every headline indicator of either run, in headline order (A's first, then B's extras).
    pub rows: Vec<CompareRow>,
}

impl Comparison {
    /// Compares the headline indicators of `a` and `b`.
    pub fn new(a: &Run, b: &Run) -> Comparison {
        let ha = headlines(a);
        let hb = headlines(b);
        let key = |h: &Headline| (h.indicator.clone(), h.scope.clone());
        let bmap: BTreeMap<_, _> = hb.iter().map(|h| (key(h), h)).collect();
        let amap: BTreeMap<_, _> = ha.iter().map(|h| (key(h), h)).collect();
        let mut rows: Vec<CompareRow> = ha
            .iter()
            .map(|h| CompareRow {
                indicator: h.indicator.clone(),
                scope: h.scope.clone(),
                how: h.how,
                a: Some(h.value),
                b: bmap.get(&key(h)).map(|x| x.value),
            })
            .collect();
        rows.extend(
            hb.iter()
                .filter(|h| !amap.contains_key(&key(h)))
                .map(|h| CompareRow {
                    indicator: h.indicator.clone(),
                    scope: h.scope.clone(),
                    how: h.how,
                    a: None,
                    b: Some(h.value),
                }),
        );
        Comparison {
            a_name: a.name(),
            b_name: b.name(),
            rows,
        }
    }

    fn cells(&self) -> Vec<[String; 7]> {
        let f = |v: Option<f64>| v.map(fmt_num).unwrap_or_else(|| "–".into());
        self.rows
            .iter()
            .map(|r| {
                [
                    r.indicator.clone(),
                    r.scope.clone(),
                    r.how.label().into(),
                    f(r.a),
                    f(r.b),
                    f(r.diff()),
                    r.pct()
                        .map(|p| format!("{p:+.1}%"))
                        .unwrap_or_else(|| "–".into()),
                ]
            })
            .collect()
    }

    /// An aligned text table for the terminal.
    pub fn to_text(&self) -> String {
        let head = [
            "indicator".to_string(),
            "scope".into(),
            "over run".into(),
            format!("A: {}", self.a_name),
            format!("B: {}", self.b_name),
            "B − A".into(),
            "change".into(),
        ];
        let cells = self.cells();
        let mut w = [0usize; 7];
        for row in std::iter::once(&head).chain(cells.iter()) {
            for (i, c) in row.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        let line = |s: &mut String, row: &[String; 7]| {
            for (i, c) in row.iter().enumerate() {
                let pad = w[i] - c.chars().count();
                if i >= 3 {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i < 6 {
                        s.push_str(&" ".repeat(pad));
                    }
                }
                if i < 6 {
                    s.push_str("  ");
                }
            }
            s.push('\n');
        };
        line(&mut s, &head);
        let rule: Vec<String> = w.iter().map(|n| "-".repeat(*n)).collect();
        s.push_str(rule.join("  ").as_str());
        s.push('\n');
        for r in &cells {
            line(&mut s, r);
        }
        s
    }

    /// CSV: `indicator,scope,aggregate,a,b,diff,pct_change`, full precision, empty when absent.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let f = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        let _ = w.write_record([
            "indicator",
            "scope",
            "aggregate",
            "a",
            "b",
            "diff",
            "pct_change",
        ]);
        for r in &self.rows {
            let _ = w.write_record([
                r.indicator.clone(),
                r.scope.clone(),
                r.how.label().to_string(),
                f(r.a),
                f(r.b),
                f(r.diff()),
                f(r.pct()),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// A self-contained HTML page with the table (increases and decreases coloured).
    pub fn to_html(&self) -> String {
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"generator\" content=\"bloc\">");
        s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        let _ = write!(
            s,
            "<title>bloc compare: {} vs {}</title><style>body{{font-family:system-ui,sans-serif;margin:16px 24px;color:#222}}table{{border-collapse:collapse;font-size:.85em}}th,td{{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}}td.num{{text-align:right;font-variant-numeric:tabular-nums}}.up{{color:#0a6b2d}}.down{{color:#a4161a}}</style></head><body>",
            esc(&self.a_name),
            esc(&self.b_name)
        );
        let _ = write!(
            s,
            "<h1>bloc compare</h1><p>A: <b>{}</b> &nbsp; B: <b>{}</b>. Flows are totals over the run, stocks their last value, prices, shares and HHI the mean over the periods.</p>",
            esc(&self.a_name),
            esc(&self.b_name)
        );
        s.push_str("<table id=\"compare\"><thead><tr><th>indicator</th><th>scope</th><th>over run</th><th>A</th><th>B</th><th>B − A</th><th>change</th></tr></thead><tbody>");
        for (r, c) in self.rows.iter().zip(self.cells()) {
            let class = match r.diff() {
                Some(d) if d > 0.0 => " up",
                Some(d) if d < 0.0 => " down",
                _ => "",
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{class}\">{}</td><td class=\"num{class}\">{}</td></tr>",
                esc(&c[0]), esc(&c[1]), esc(&c[2]), esc(&c[3]), esc(&c[4]), esc(&c[5]), esc(&c[6])
            );
        }
        s.push_str("</tbody></table></body></html>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_and_pct() {
        // By hand: B − A = 150 − 100 = 50, 50 / 100 = +50 %.
        let r = CompareRow {
            indicator: "x".into(),
            scope: "s".into(),
            how: Aggregate::Mean,
            a: Some(100.0),
            b: Some(150.0),
        };
        assert_eq!(r.diff(), Some(50.0));
        assert_eq!(r.pct(), Some(50.0));
        let r0 = CompareRow {
            a: Some(0.0),
            ..r.clone()
        };
        assert_eq!(r0.pct(), None);
        let rn = CompareRow { b: None, ..r };
        assert_eq!(rn.diff(), None);
    }
}
