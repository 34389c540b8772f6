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
    /// Whether A and B measure the same thing: false for a group's mean when the runs'
    /// groups hold different regions (see [`Groups`]).
    pub comparable: bool,
    /// How the row was made, when not as read (a group over the same regions).
    pub note: Option<String>,
}

impl CompareRow {
    /// B − A, when both runs have the indicator and it is comparable.
    pub fn diff(&self) -> Option<f64> {
        if !self.comparable {
            return None;
        }
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
    /// How the groups were compared, when the runs' members differ.
    pub groups: Option<Groups>,
}

/// When two runs have different members (`run.json`'s `members`), a group's figure in one
/// is not the same regions' figure in the other: with Indonesia joining, the members' welfare
/// rises by Indonesia's own. So a group's total (welfare, consumer cost, investment, grants:
/// sums of its regions' rows) is recomputed in both runs over **B's**
/// groups (the members of the scenario compared against A), and a group's mean (a price, a
/// share) is marked not comparable: compare its regions instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// A's members.
    pub a_members: Vec<String>,
    /// B's members.
    pub b_members: Vec<String>,
    /// Every region either run reports (`region:<r>` rows).
    pub regions: Vec<String>,
}

impl Groups {
    /// The regions of `group` (`members` or `non_members`) in B.
    fn regions_of(&self, group: &str) -> Vec<&str> {
        let member = |r: &str| self.b_members.iter().any(|m| m == r);
        self.regions
            .iter()
            .map(String::as_str)
            .filter(|r| member(r) == (group == "members"))
            .collect()
    }

    /// One line for the reader.
    pub fn describe(&self) -> String {
        let joined: Vec<&str> = self
            .b_members
            .iter()
            .filter(|m| !self.a_members.contains(m))
            .map(String::as_str)
            .collect();
        let left: Vec<&str> = self
            .a_members
            .iter()
            .filter(|m| !self.b_members.contains(m))
            .map(String::as_str)
            .collect();
        let mut change = Vec::new();
        if !joined.is_empty() {
            change.push(format!("members in B only: {}", joined.join(", ")));
        }
        if !left.is_empty() {
            change.push(format!("members in A only: {}", left.join(", ")));
        }
        format!(
            "The runs have different members (A {}, B {} regions; {}). Group totals are over B's \
             groups in both runs; group means are not comparable (–): compare the regions.",
            self.a_members.len(),
            self.b_members.len(),
            change.join("; ")
        )
    }
}

/// Group indicators that are the sum of their regions' rows (`region:<r>`), totalled over
/// the run (so a region without a row in a period counts 0).
fn sums_regions(indicator: &str) -> bool {
    indicator.starts_with("welfare_")
        || matches!(
            indicator,
            "consumer_cost_usd" | "investment_usd" | "capital_grant_usd"
        )
}

/// `(group, commodity)` of a group scope (`members`, `non_members:<c>`), else `None`.
fn group_scope(scope: &str) -> Option<(&str, Option<&str>)> {
    let (g, rest) = match scope.split_once(':') {
        Some((g, c)) => (g, Some(c)),
        None => (scope, None),
    };
    matches!(g, "members" | "non_members").then_some((g, rest))
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
                comparable: true,
                note: None,
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
                    comparable: true,
                    note: None,
                }),
        );
        let groups = match (&a.meta.members, &b.meta.members) {
            (Some(ma), Some(mb)) if ma != mb => {
                let mut regions: Vec<String> = ha
                    .iter()
                    .chain(&hb)
                    .filter_map(|h| h.scope.strip_prefix("region:"))
                    .map(|r| r.split(':').next().unwrap_or(r).to_string())
                    .collect();
                regions.sort();
                regions.dedup();
                Some(Groups {
                    a_members: ma.clone(),
                    b_members: mb.clone(),
                    regions,
                })
            }
            _ => None,
        };
        if let Some(g) = &groups {
            for row in &mut rows {
                regroup(row, g, &amap, &bmap);
            }
        }
        Comparison {
            a_name: a.name(),
            b_name: b.name(),
            rows,
            groups,
        }
    }

    fn cells(&self) -> Vec<[String; 8]> {
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
                    r.note.clone().unwrap_or_default(),
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
            "note".into(),
        ];
        let cells = self.cells();
        let mut w = [0usize; 8];
        for row in std::iter::once(&head).chain(cells.iter()) {
            for (i, c) in row.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        if let Some(g) = &self.groups {
            s.push_str(&g.describe());
            s.push_str("\n\n");
        }
        let line = |s: &mut String, row: &[String; 8]| {
            for (i, c) in row.iter().enumerate() {
                let pad = w[i] - c.chars().count();
                if (3..7).contains(&i) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i < 7 {
                        s.push_str(&" ".repeat(pad));
                    }
                }
                if i < 7 {
                    s.push_str("  ");
                }
            }
            let end = s.trim_end_matches(' ').len();
            s.truncate(end);
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

    /// CSV: `indicator,scope,aggregate,a,b,diff,pct_change,note`, full precision, empty when
    /// absent or not comparable.
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
            "note",
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
                r.note.clone().unwrap_or_default(),
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
        if let Some(g) = &self.groups {
            let _ = write!(s, "<p id=\"groups\">{}</p>", esc(&g.describe()));
        }
        s.push_str("<table id=\"compare\"><thead><tr><th>indicator</th><th>scope</th><th>over run</th><th>A</th><th>B</th><th>B − A</th><th>change</th><th>note</th></tr></thead><tbody>");
        for (r, c) in self.rows.iter().zip(self.cells()) {
            let class = match r.diff() {
                Some(d) if d > 0.0 => " up",
                Some(d) if d < 0.0 => " down",
                _ => "",
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{class}\">{}</td><td class=\"num{class}\">{}</td><td>{}</td></tr>",
                esc(&c[0]), esc(&c[1]), esc(&c[2]), esc(&c[3]), esc(&c[4]), esc(&c[5]), esc(&c[6]), esc(&c[7])
            );
        }
        s.push_str("</tbody></table></body></html>\n");
        s
    }
}

type HeadlineMap<'h> = BTreeMap<(String, String), &'h Headline>;

/// Makes a group row of runs with different members compare the same regions (see
/// [`Groups`]).
fn regroup(row: &mut CompareRow, g: &Groups, a: &HeadlineMap<'_>, b: &HeadlineMap<'_>) {
    let Some((group, commodity)) = group_scope(&row.scope) else {
        return;
    };
    let regions = g.regions_of(group);
    if sums_regions(&row.indicator) {
        let over = |m: &HeadlineMap<'_>| -> f64 {
            regions
                .iter()
                .map(|r| {
                    let scope = match commodity {
                        Some(c) => format!("region:{r}:{c}"),
                        None => format!("region:{r}"),
                    };
                    m.get(&(row.indicator.clone(), scope))
                        .map_or(0.0, |h| h.value)
                })
                .sum()
        };
        row.a = Some(over(a));
        row.b = Some(over(b));
        row.note = Some(format!(
            "over B's {} ({} regions) in both runs",
            group.replace('_', "-"),
            regions.len()
        ));
    } else {
        row.comparable = false;
        row.note = Some(format!(
            "not comparable: {} differ between the runs; compare the regions",
            group.replace('_', "-")
        ));
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
            comparable: true,
            note: None,
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

    fn run(members: &[&str], rows: &[(&str, &str, f64)]) -> Run {
        Run {
            meta: crate::run::RunMeta {
                members: Some(members.iter().map(|m| m.to_string()).collect()),
                ..Default::default()
            },
            indicators: rows
                .iter()
                .map(|&(indicator, scope, value)| crate::run::IndicatorRow {
                    period: "2026".into(),
                    indicator: indicator.into(),
                    scope: scope.into(),
                    value,
                })
                .collect(),
            has_run: true,
            periods: vec!["2026".into()],
            ..Default::default()
        }
    }

    /// By hand: in A only P is a member (welfare 10; Q, outside, 100); in B Q joins (P 12,
    /// Q 101). Read as written, members go from 10 to 113 (+103), Q's own welfare changing
    /// groups. Over B's members {P, Q} in both runs: 110 → 113, +3; B's non-members are none:
    /// 0 → 0. The members' mean price (20 → 25) is not the same regions' price: no change is
    /// given.
    #[test]
    fn groups_with_different_members_compare_the_same_regions() {
        let a = run(
            &["P"],
            &[
                ("welfare_total_usd", "region:P", 10.0),
                ("welfare_total_usd", "region:Q", 100.0),
                ("welfare_total_usd", "members", 10.0),
                ("welfare_total_usd", "non_members", 100.0),
                ("price_usd_per_t", "members:x", 20.0),
            ],
        );
        let b = run(
            &["P", "Q"],
            &[
                ("welfare_total_usd", "region:P", 12.0),
                ("welfare_total_usd", "region:Q", 101.0),
                ("welfare_total_usd", "members", 113.0),
                ("price_usd_per_t", "members:x", 25.0),
            ],
        );
        let c = Comparison::new(&a, &b);
        let row = |ind: &str, scope: &str| {
            c.rows
                .iter()
                .find(|r| r.indicator == ind && r.scope == scope)
                .unwrap_or_else(|| panic!("{ind} {scope}: {:?}", c.rows))
                .clone()
        };
        let m = row("welfare_total_usd", "members");
        assert_eq!((m.a, m.b, m.diff()), (Some(110.0), Some(113.0), Some(3.0)));
        assert_eq!(
            m.note.as_deref(),
            Some("over B's members (2 regions) in both runs")
        );
        let n = row("welfare_total_usd", "non_members");
        assert_eq!((n.a, n.b), (Some(0.0), Some(0.0)));
        let p = row("price_usd_per_t", "members:x");
        assert_eq!(
            (p.a, p.b, p.diff(), p.pct()),
            (Some(20.0), Some(25.0), None, None)
        );
        assert!(!p.comparable);
        // Regions are untouched.
        assert_eq!(row("welfare_total_usd", "region:Q").diff(), Some(1.0));
        let text = c.to_text();
        assert!(
            text.starts_with(
                "The runs have different members (A 1, B 2 regions; members in B only: Q)."
            ),
            "{text}"
        );
        assert!(c.to_csv().lines().next().unwrap().ends_with(",note"));
        // The same members: rows as read, no note.
        let same = Comparison::new(&a, &a);
        assert!(same.groups.is_none());
        assert!(same.rows.iter().all(|r| r.note.is_none() && r.comparable));
    }
}
