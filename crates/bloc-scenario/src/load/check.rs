//! Checks shared by the CSV tables and the TOML sections: id syntax, references to ids that
//! must exist, and period labels that must lie in the horizon. Each returns the message of
//! what is wrong and what would be right; the caller adds the file, line and field.

use crate::model::TimeAxis;
use bloc_units::{Period, Step};
use std::collections::BTreeSet;

/// Ids are letters, digits, `_` and `-`, so they can be written anywhere (CSV, TOML, file
/// names, column names of results) without quoting.
pub(crate) fn check_id_syntax(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty; write an id of letters, digits, `_` or `-`".to_string());
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "`{id}` is not a valid id: `{}` is not allowed; use only letters, digits, `_` and `-`, as `{}`",
            bad.escape_debug(),
            suggest_id(id)
        ));
    }
    Ok(())
}

/// `Nd Pr oxide` → `Nd_Pr_oxide`.
fn suggest_id(id: &str) -> String {
    let s: String = id
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "ndpr_oxide".to_string()
    } else {
        s
    }
}

/// The ids of one kind (regions, commodities, processes) that exist, for reference checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    /// `region`, `commodity`, `process`: what a message calls one.
    pub what: &'static str,
    /// The file that defines them (for messages).
    pub table: String,
    order: Vec<String>,
    set: BTreeSet<String>,
}

impl Known {
    pub fn new(what: &'static str, table: String, ids: impl IntoIterator<Item = String>) -> Self {
        let order: Vec<String> = ids.into_iter().collect();
        let set = order.iter().cloned().collect();
        Known {
            what,
            table,
            order,
            set,
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// The ids in file order.
    pub fn ids(&self) -> &[String] {
        &self.order
    }

    /// `Ok` when `id` exists; else a message that lists the ids (when few) or suggests the
    /// nearest.
    pub fn check(&self, id: &str) -> Result<(), String> {
        if self.contains(id) {
            return Ok(());
        }
        let what = self.what;
        let mut msg = if id.is_empty() {
            format!("the {what} is empty; name a {what} from {}", self.table)
        } else {
            format!("{what} `{id}` does not exist in {}", self.table)
        };
        msg.push_str("; ");
        msg.push_str(&self.hint(id));
        Err(msg)
    }

    /// `the regions are `A`, `B`` or `did you mean `USA`?`.
    pub fn hint(&self, id: &str) -> String {
        const FEW: usize = 8;
        if let Some(near) = nearest(id, &self.order) {
            return format!("did you mean `{near}`?");
        }
        if self.order.len() <= FEW {
            let list: Vec<String> = self.order.iter().map(|s| format!("`{s}`")).collect();
            if list.is_empty() {
                format!("{} defines none", self.table)
            } else {
                format!("the {} are {}", plural(self.what), list.join(", "))
            }
        } else {
            format!("see the ids in {}", self.table)
        }
    }
}

/// `region` → `regions`, `commodity` → `commodities`, `process` → `processes`.
fn plural(what: &str) -> String {
    match what {
        "commodity" => "commodities".to_string(),
        "process" => "processes".to_string(),
        w => format!("{w}s"),
    }
}

/// The candidate closest to `word` by edit distance (ignoring case), if close enough to be a
/// plausible typo.
pub(crate) fn nearest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    let w = word.to_lowercase();
    let limit = (w.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// Levenshtein distance over chars.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Reads a period label as a scenario of `step` writes it: `2027Q3` when quarterly; `2027`
/// (or `2027Q1`) when yearly.
pub(crate) fn parse_period_label(text: &str, step: Step) -> Result<Period, String> {
    let t = text.trim();
    let p = Period::parse(t).map_err(|e| e.to_string())?;
    let has_quarter = t.contains(['Q', 'q']);
    match step {
        Step::Quarter if !has_quarter => Err(format!(
            "`{t}` has no quarter; this scenario runs in quarters, so write `{t}Q1` (or Q2, Q3, Q4)"
        )),
        Step::Year if p.quarter != 1 => Err(format!(
            "`{t}` names a quarter, but this scenario runs in years; write `{}`",
            p.year
        )),
        _ => Ok(p),
    }
}

/// Whether a period starts something or ends it: an end (`to`, `offline`) may also be the
/// first period after the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    Start,
    End,
}

/// The horizon, as a person reads it: `2026Q1–2035Q4 (40 periods)`.
pub(crate) fn horizon(time: &TimeAxis) -> String {
    format!(
        "{}–{} ({} period{})",
        time.label(0),
        time.label(time.periods.saturating_sub(1)),
        time.periods,
        if time.periods == 1 { "" } else { "s" }
    )
}

/// A period label → its index into the horizon.
pub(crate) fn check_period(text: &str, time: &TimeAxis, edge: Edge) -> Result<usize, String> {
    let p = parse_period_label(text, time.step)?;
    let k = time.start.steps_to(p, time.step);
    let last = time.periods as i64 - 1;
    let max = match edge {
        Edge::Start => last,
        Edge::End => last + 1,
    };
    if k < 0 || k > max {
        let mut msg = format!(
            "`{}` lies outside the horizon {}; write a period from {} to {}",
            text.trim(),
            horizon(time),
            time.label(0),
            time.label(time.periods.saturating_sub(1))
        );
        if edge == Edge::End {
            msg.push_str(&format!(
                " (or {} for the end of the run)",
                time.label(time.periods)
            ));
        }
        return Err(msg);
    }
    Ok(k as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quarters() -> TimeAxis {
        TimeAxis {
            start: Period::parse("2026Q1").unwrap(),
            periods: 8,
            step: Step::Quarter,
        }
    }

    #[test]
    fn ids() {
        assert!(check_id_syntax("ndpr_oxide-2").is_ok());
        assert!(check_id_syntax("nd pr").unwrap_err().contains("`nd_pr`"));
        assert!(check_id_syntax("").is_err());
        assert!(check_id_syntax("é").is_err());
    }

    #[test]
    fn suggestions() {
        let k = Known::new(
            "region",
            "regions.csv".into(),
            ["USA".to_string(), "CHN".to_string()],
        );
        assert!(k.check("USA").is_ok());
        assert_eq!(
            k.check("USB").unwrap_err(),
            "region `USB` does not exist in regions.csv; did you mean `USA`?"
        );
        assert!(k
            .check("XYZABC")
            .unwrap_err()
            .ends_with("the regions are `USA`, `CHN`"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn periods_in_the_horizon() {
        let t = quarters();
        assert_eq!(check_period("2026Q1", &t, Edge::Start), Ok(0));
        assert_eq!(check_period("2027Q4", &t, Edge::Start), Ok(7));
        assert!(check_period("2028Q1", &t, Edge::Start).is_err());
        assert_eq!(check_period("2028Q1", &t, Edge::End), Ok(8));
        let e = check_period("2030Q1", &t, Edge::End).unwrap_err();
        assert!(e.contains("horizon 2026Q1–2027Q4 (8 periods)"), "{e}");
        assert!(check_period("2027", &t, Edge::Start)
            .unwrap_err()
            .contains("2027Q1"));
        let y = TimeAxis {
            step: Step::Year,
            ..t
        };
        assert_eq!(check_period("2027", &y, Edge::Start), Ok(1));
        assert_eq!(check_period("2027Q1", &y, Edge::Start), Ok(1));
        assert!(check_period("2027Q3", &y, Edge::Start).is_err());
    }
}
