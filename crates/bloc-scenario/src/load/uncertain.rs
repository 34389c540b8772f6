//! `[[uncertain]]`: reading and checking the declarations of uncertain inputs (the types are
//! in [`crate::uncertain`]). A declaration is checked against the scenario as written: its
//! table and column exist, its selector matches at least one row, its key exists, and its
//! distribution is well formed, so that a sweep fails before its first sample, not in each.

use super::csv_table::{parse_number, CsvTable, Row, Schema};
use super::de::{At, Located};
use super::scenario::TablesRaw;
use super::tables;
use super::tree::{Kind, Node};
use crate::source::FileSource;
use crate::uncertain::{Apply, Distribution, Draw, KeySegment, Target, Uncertain};
use crate::{Location, ScenarioError};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// One `[[uncertain]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UncertainRaw {
    pub name: Located<String>,
    pub table: Option<Located<String>>,
    pub column: Option<Located<String>>,
    #[serde(rename = "where")]
    pub select: Option<Located<BTreeMap<String, Located<String>>>>,
    pub key: Option<Located<String>>,
    pub apply: Option<Located<String>>,
    pub distribution: Located<String>,
    pub min: Option<Located<f64>>,
    pub max: Option<Located<f64>>,
    pub mean: Option<Located<f64>>,
    pub sd: Option<Located<f64>>,
    pub mu: Option<Located<f64>>,
    pub median: Option<Located<f64>>,
    pub sigma: Option<Located<f64>>,
    pub mode: Option<Located<f64>>,
    pub values: Option<Located<Vec<Located<ValueRaw>>>>,
    pub weights: Option<Located<Vec<Located<f64>>>>,
}

/// A value of a discrete set: a number or text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRaw(pub Draw);

impl<'de> Deserialize<'de> for ValueRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ValueRaw;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, as `1.5`, or a quoted string, as `\"2028Q1\"`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ValueRaw, E> {
                Ok(ValueRaw(Draw::Number(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValueRaw, E> {
                Ok(ValueRaw(Draw::Number(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueRaw, E> {
                Ok(ValueRaw(Draw::Text(v.trim().to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `[tables]` keys and their schemas.
fn schema_of<'a>(t: &'a TablesRaw, table: &str) -> Option<(Option<&'a Located<String>>, Schema)> {
    Some(match table {
        "regions" => (Some(&t.regions), tables::REGIONS),
        "commodities" => (Some(&t.commodities), tables::COMMODITIES),
        "processes" => (Some(&t.processes), tables::PROCESSES),
        "inputs" => (t.inputs.as_ref(), tables::INPUTS),
        "demand" => (Some(&t.demand), tables::DEMAND),
        "transport" => (t.transport.as_ref(), tables::TRANSPORT),
        "tariffs" => (t.tariffs.as_ref(), tables::TARIFFS),
        "projects" => (t.projects.as_ref(), super::dynamics::PROJECTS),
        _ => return None,
    })
}

const TABLES: &str =
    "`regions`, `commodities`, `processes`, `inputs`, `demand`, `transport`, `tariffs`, `projects`";

fn location(at: &At) -> Location {
    Location {
        file: at.file.clone(),
        line: Some(at.line),
        field: Some(at.field.clone()),
    }
}

/// Checks every `[[uncertain]]` against the scenario as written (`tree`: the merged TOML).
pub(crate) fn check_uncertain(
    raw: Option<&Vec<Located<UncertainRaw>>>,
    tree: &Node,
    t: &TablesRaw,
    files: &dyn FileSource,
) -> Result<Vec<Uncertain>, ScenarioError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut cells = CellTables {
        t,
        files,
        read: BTreeMap::new(),
    };
    for item in raw.into_iter().flatten() {
        let u = &item.value;
        let name = u.name.value.trim().to_string();
        super::check::check_id_syntax(&name).map_err(|m| u.name.error(m))?;
        if !names.insert(name.clone()) {
            return Err(u.name.error(format!(
                "another `[[uncertain]]` is already named `{name}`; give each a different name"
            )));
        }
        let apply = match &u.apply {
            None => Apply::Scale,
            Some(a) => match a.value.trim() {
                "scale" => Apply::Scale,
                "set" => Apply::Set,
                other => {
                    return Err(a.error(format!(
                        "`{other}` is not a way to apply a draw; write `apply = \"scale\"` (multiply the value written) or `apply = \"set\"` (replace it)"
                    )))
                }
            },
        };
        let distribution = check_distribution(u, &item.at)?;
        let text_draws = matches!(&distribution, Distribution::Discrete { values, .. } if values.iter().any(|v| matches!(v, Draw::Text(_))));
        if text_draws && apply == Apply::Scale {
            return Err(u.distribution.error(
                "a discrete set of text values cannot scale a value; add `apply = \"set\"`",
            ));
        }
        let target = match (&u.table, &u.key) {
            (Some(table), None) => cells.check_target(u, table, apply, text_draws)?,
            (None, Some(key)) => {
                if u.column.is_some() || u.select.is_some() {
                    let k = u.column.as_ref().map(|c| &c.at).or(u.select.as_ref().map(|s| &s.at));
                    return Err(k.unwrap_or(&key.at).error(
                        "`column` and `where` belong to a table input; a `key` input names one TOML value and takes neither",
                    ));
                }
                check_key_target(key, tree, apply, text_draws)?
            }
            (Some(table), Some(_)) => {
                return Err(table.error(
                    "an uncertain input names either a table cell (`table`, `column`, `where`) or a TOML `key`, not both; remove one",
                ))
            }
            (None, None) => {
                return Err(item.error(
                    "say what is uncertain: a table column, as `table = \"demand\"` with `column = \"quantity_t_per_yr\"`, or a TOML key, as `key = \"export_control[0].from\"`",
                ))
            }
        };
        out.push(Uncertain {
            name,
            target,
            apply,
            distribution,
            declared: location(&item.at),
        });
    }
    Ok(out)
}

/// The tables `[tables]` names, each read once when an uncertain input first names it.
struct CellTables<'a> {
    t: &'a TablesRaw,
    files: &'a dyn FileSource,
    read: BTreeMap<PathBuf, CsvTable>,
}

impl CellTables<'_> {
    /// The table `table` names: its file, its schema, and the table read.
    fn table(
        &mut self,
        table: &Located<String>,
    ) -> Result<(PathBuf, Schema, &CsvTable), ScenarioError> {
        let name = table.value.trim();
        let Some((path, schema)) = schema_of(self.t, name) else {
            return Err(table.error(format!("`{name}` is not a table; write one of {TABLES}")));
        };
        let Some(path) = path else {
            return Err(table.error(format!(
                "the scenario names no `{name}` table in `[tables]`; add it there or choose another table"
            )));
        };
        let file = PathBuf::from(&path.value);
        if !self.read.contains_key(&file) {
            let bytes = self.files.read(&file).map_err(|e| ScenarioError::Io {
                path: file.clone(),
                reason: e.to_string(),
            })?;
            self.read
                .insert(file.clone(), CsvTable::read(&file, &bytes, schema)?);
        }
        let csv = &self.read[&file];
        Ok((file, schema, csv))
    }

    /// A table input: its table, column and selector, checked against the table as written
    /// (the selector matches a row; a number is drawn only for cells that hold one).
    fn check_target(
        &mut self,
        u: &UncertainRaw,
        table: &Located<String>,
        apply: Apply,
        text_draws: bool,
    ) -> Result<Target, ScenarioError> {
        let name = table.value.trim();
        let (file, schema, csv) = self.table(table)?;
        let columns: Vec<&'static str> = schema.columns.iter().map(|c| c.name).collect();
        let known = |c: &str| columns.iter().copied().find(|k| *k == c);
        let Some(column_at) = &u.column else {
            return Err(table.error(format!(
                "name the column to vary, as `column = \"{}\"`",
                columns.get(3).unwrap_or(&columns[0])
            )));
        };
        let listed = || {
            columns
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let column = known(column_at.value.trim()).ok_or_else(|| {
            column_at.error(format!(
                "the `{name}` table has no column `{}`; its columns are {}",
                column_at.value.trim(),
                listed()
            ))
        })?;
        let mut select = Vec::new();
        if let Some(s) = &u.select {
            for (k, v) in &s.value {
                let c = known(k.trim()).ok_or_else(|| {
                    v.error(format!(
                        "the `{name}` table has no column `{}` to select rows by; its columns are {}",
                        k.trim(),
                        listed()
                    ))
                })?;
                select.push((c, v));
            }
        }
        let rows = selected_rows(u, table, (&file, csv), &select)?;
        if apply == Apply::Scale || !text_draws {
            for r in &rows {
                let cell = csv.cell(r, column);
                parse_number(cell.text).map_err(|m| {
                    cell.error(format!(
                        "uncertain input `{}` draws a number for this cell, but {m}",
                        u.name.value.trim()
                    ))
                })?;
            }
        }
        Ok(Target::Cell {
            table: name.to_string(),
            column: column.to_string(),
            select: select
                .into_iter()
                .map(|(c, v)| (c.to_string(), v.value.trim().to_string()))
                .collect(),
            rows: rows.len(),
            file,
        })
    }
}

/// The rows of `csv` (read from `file`) that match every `(column, value)` of `select`; at
/// least one.
fn selected_rows<'c>(
    u: &UncertainRaw,
    table: &Located<String>,
    (file, csv): (&Path, &'c CsvTable),
    select: &[(&'static str, &Located<String>)],
) -> Result<Vec<&'c Row>, ScenarioError> {
    let rows: Vec<&Row> = csv
        .rows
        .iter()
        .filter(|r| {
            select
                .iter()
                .all(|(c, v)| csv.cell(r, c).text == v.value.trim())
        })
        .collect();
    if rows.is_empty() {
        let at = u.select.as_ref().map_or(&table.at, |s| &s.at);
        return Err(at.error(format!(
            "no row of `{}` matches this selector; check the values against the table",
            file.display()
        )));
    }
    Ok(rows)
}

/// `a.b[0].c` → segments.
fn parse_key(path: &str) -> Option<Vec<KeySegment>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        out.push(KeySegment::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            out.push(KeySegment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(out)
}

fn check_key_target(
    key: &Located<String>,
    tree: &Node,
    apply: Apply,
    text_draws: bool,
) -> Result<Target, ScenarioError> {
    let path = key.value.trim();
    let segments = parse_key(path).ok_or_else(|| {
        key.error(format!(
            "`{path}` is not a key path; write dotted keys with array indexes, as `export_control[0].from`"
        ))
    })?;
    if let Some(KeySegment::Key(first)) = segments.first() {
        if matches!(first.as_str(), "uncertain" | "tables" | "name" | "extends") {
            return Err(key.error(format!(
                "`{first}` cannot be uncertain; vary a value of the model (a date, a ratio, a budget)"
            )));
        }
    }
    let mut node = tree;
    for (n, s) in segments.iter().enumerate() {
        let next = match (s, &node.kind) {
            (KeySegment::Key(k), Kind::Table(entries)) => {
                entries.iter().find(|(ek, _)| ek == k).map(|(_, v)| v)
            }
            (KeySegment::Index(i), Kind::Array(items)) => items.get(*i),
            _ => None,
        };
        // An optional key left out (an export control's `from`) may be set: its table
        // exists, and the loader checks the key and the value drawn in every sample.
        if next.is_none()
            && n + 1 == segments.len()
            && apply == Apply::Set
            && matches!((s, &node.kind), (KeySegment::Key(_), Kind::Table(_)))
        {
            return Ok(Target::Key {
                path: path.to_string(),
                segments,
                file: node.at.file.to_path_buf(),
                integer: false,
            });
        }
        node = next.ok_or_else(|| {
            key.error(format!(
                "the scenario has no value at `{path}`; name a key that is written in it, or a key of a table that is written with `apply = \"set\"` (arrays count from 0)"
            ))
        })?;
    }
    let integer = match &node.kind {
        Kind::Int(_) => true,
        Kind::Float(_) => false,
        Kind::Str(_) if text_draws && apply == Apply::Set => false,
        Kind::Str(_) => {
            return Err(key.error(format!(
                "`{path}` holds text; draw it from a discrete set of text values with `apply = \"set\"`"
            )))
        }
        _ => {
            return Err(key.error(format!(
                "`{path}` is not a number or text value; name a single value, not a table, array or boolean"
            )))
        }
    };
    if text_draws && !matches!(node.kind, Kind::Str(_)) {
        return Err(key.error(format!(
            "`{path}` holds a number but the values drawn are text; give numbers"
        )));
    }
    Ok(Target::Key {
        path: path.to_string(),
        segments,
        file: node.at.file.to_path_buf(),
        integer,
    })
}

/// The parameters each distribution takes.
fn params(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "uniform" => &["min", "max"],
        "normal" => &["mean", "sd"],
        "lognormal" => &["mu", "median", "sigma"],
        "triangular" => &["min", "mode", "max"],
        "discrete" => &["values", "weights"],
        _ => return None,
    })
}

fn check_distribution(u: &UncertainRaw, item: &At) -> Result<Distribution, ScenarioError> {
    let kind = u.distribution.value.trim();
    let allowed = params(kind).ok_or_else(|| {
        u.distribution.error(format!(
            "`{kind}` is not a distribution; write `uniform` (min, max), `normal` (mean, sd), `lognormal` (mu or median, sigma), `triangular` (min, mode, max) or `discrete` (values, weights)"
        ))
    })?;
    check_params(u, kind, allowed)?;
    Ok(match kind {
        "uniform" => {
            let (min, max) = (
                need(u, &u.min, "min", "0.8")?,
                need(u, &u.max, "max", "1.2")?,
            );
            if min >= max {
                return Err(at_of(&u.max, item)
                    .error(format!("max ({max}) must be larger than min ({min})")));
            }
            Distribution::Uniform { min, max }
        }
        "normal" => {
            let (mean, sd) = (
                need(u, &u.mean, "mean", "1.0")?,
                need(u, &u.sd, "sd", "0.1")?,
            );
            if sd <= 0.0 {
                return Err(at_of(&u.sd, item).error(format!(
                    "sd = {sd}: the standard deviation must be larger than 0, as `sd = 0.1`"
                )));
            }
            Distribution::Normal { mean, sd }
        }
        "lognormal" => check_lognormal(u, item)?,
        "triangular" => {
            let min = need(u, &u.min, "min", "0.8")?;
            let mode = need(u, &u.mode, "mode", "1.0")?;
            let max = need(u, &u.max, "max", "1.3")?;
            if !(min < max && min <= mode && mode <= max) {
                return Err(at_of(&u.mode, item).error(format!(
                    "min = {min}, mode = {mode}, max = {max}: a triangular distribution needs min <= mode <= max and min < max"
                )));
            }
            Distribution::Triangular { min, mode, max }
        }
        _ => check_discrete(u)?,
    })
}

/// Every parameter given is one `kind` takes.
fn check_params(u: &UncertainRaw, kind: &str, allowed: &[&str]) -> Result<(), ScenarioError> {
    let given: [(&str, Option<&At>); 10] = [
        ("min", u.min.as_ref().map(|x| &x.at)),
        ("max", u.max.as_ref().map(|x| &x.at)),
        ("mean", u.mean.as_ref().map(|x| &x.at)),
        ("sd", u.sd.as_ref().map(|x| &x.at)),
        ("mu", u.mu.as_ref().map(|x| &x.at)),
        ("median", u.median.as_ref().map(|x| &x.at)),
        ("sigma", u.sigma.as_ref().map(|x| &x.at)),
        ("mode", u.mode.as_ref().map(|x| &x.at)),
        ("values", u.values.as_ref().map(|x| &x.at)),
        ("weights", u.weights.as_ref().map(|x| &x.at)),
    ];
    for (k, at) in given {
        if let Some(at) = at {
            if !allowed.contains(&k) {
                return Err(at.error(format!(
                    "`{k}` is not a parameter of a {kind} distribution; it takes {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// The value of a parameter the distribution needs.
fn need(
    u: &UncertainRaw,
    v: &Option<Located<f64>>,
    k: &str,
    example: &str,
) -> Result<f64, ScenarioError> {
    let kind = u.distribution.value.trim();
    v.as_ref().map(|x| x.value).ok_or_else(|| {
        u.distribution.error(format!(
            "a {kind} distribution needs `{k}`; add it, as `{k} = {example}`"
        ))
    })
}

/// `lognormal`: `sigma` and one of `mu` and `median`.
fn check_lognormal(u: &UncertainRaw, item: &At) -> Result<Distribution, ScenarioError> {
    let sigma = need(u, &u.sigma, "sigma", "0.2")?;
    if sigma <= 0.0 {
        return Err(at_of(&u.sigma, item).error(format!(
                "sigma = {sigma}: the standard deviation of the logarithm must be larger than 0, as `sigma = 0.2`"
            )));
    }
    let mu = match (&u.mu, &u.median) {
            (Some(mu), None) => mu.value,
            (None, Some(m)) if m.value > 0.0 => m.value.ln(),
            (None, Some(m)) => {
                return Err(m.error(format!(
                    "median = {}: a log-normal median must be larger than 0, as `median = 1.0`",
                    m.value
                )))
            }
            (Some(_), Some(m)) => {
                return Err(m.error(
                    "give `mu` (the mean of the logarithm) or `median` (= exp(mu)), not both",
                ))
            }
            (None, None) => {
                return Err(u.distribution.error(
                    "a lognormal distribution needs `median` (as `median = 1.0`) or `mu` (the mean of the logarithm, as `mu = 0.0`)",
                ))
            }
        };
    Ok(Distribution::LogNormal { mu, sigma })
}

/// `discrete`: values all numbers or all text, and a non-negative weight each (by default
/// equal).
fn check_discrete(u: &UncertainRaw) -> Result<Distribution, ScenarioError> {
    let Some(values) = &u.values else {
        return Err(u.distribution.error(
            "a discrete distribution needs `values`, as `values = [\"2027Q1\", \"2028Q1\"]`",
        ));
    };
    if values.value.is_empty() {
        return Err(values.error("`values` is empty; give at least one value"));
    }
    let texts = values
        .value
        .iter()
        .filter(|v| matches!(v.value.0, Draw::Text(_)))
        .count();
    if texts != 0 && texts != values.value.len() {
        return Err(
            values.error("`values` mixes numbers and text; give all numbers or all quoted text")
        );
    }
    let weights = match &u.weights {
        None => vec![1.0; values.value.len()],
        Some(w) => {
            if w.value.len() != values.value.len() {
                return Err(w.error(format!(
                    "{} weights for {} values; give one weight per value",
                    w.value.len(),
                    values.value.len()
                )));
            }
            for x in &w.value {
                if x.value < 0.0 {
                    return Err(x.error(format!(
                        "weight {} is negative; weights are 0 or more",
                        x.value
                    )));
                }
            }
            if w.value.iter().map(|x| x.value).sum::<f64>() <= 0.0 {
                return Err(w.error("the weights sum to 0; give at least one positive weight"));
            }
            w.value.iter().map(|x| x.value).collect()
        }
    };
    Ok(Distribution::Discrete {
        values: values.value.iter().map(|v| v.value.0.clone()).collect(),
        weights,
    })
}

fn at_of<'a>(v: &'a Option<Located<f64>>, fallback: &'a At) -> &'a At {
    v.as_ref().map_or(fallback, |x| &x.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths() {
        assert_eq!(
            parse_key("export_control[0].from"),
            Some(vec![
                KeySegment::Key("export_control".into()),
                KeySegment::Index(0),
                KeySegment::Key("from".into())
            ])
        );
        assert_eq!(parse_key("bloc.floor[1].ratio").map(|s| s.len()), Some(4));
        assert_eq!(parse_key("a..b"), None);
        assert_eq!(parse_key("a[x]"), None);
        assert_eq!(parse_key("a[0]b"), None);
    }
}
