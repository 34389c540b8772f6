//! Uncertain inputs (`[[uncertain]]`) and the overlay that applies one sample of them.
//!
//! A Monte Carlo sweep must not re-implement the loader's checks for each sampled value, so a
//! sample is applied to the scenario's *files*: an [`Overlay`] is a [`FileSource`] that serves
//! the scenario's files with the sampled cells and keys rewritten, and the ordinary loader
//! reads and validates it like any other scenario. A drawn value that makes the scenario
//! invalid (a negative capacity) then fails exactly as a hand-written one would, with the
//! same message.
//!
//! The declarations are read and checked by [`crate::load_with_uncertain`]: each names a
//! table column (with an optional row selector) or a TOML key, and a distribution.

use crate::load::csv_table::split_records;
use crate::source::{normalize, FileSource};
use crate::{Location, ScenarioError};
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// One `[[uncertain]]` input, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    /// Its `name` (unique in the scenario): the column of its draws in a sweep's samples.
    pub name: String,
    /// What it changes.
    pub target: Target,
    /// How the draw changes it.
    pub apply: Apply,
    /// Where the draws come from.
    pub distribution: Distribution,
    /// Where it was declared.
    pub declared: Location,
}

/// What an uncertain input changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Cells of one column of a table, in the rows the selector matches.
    Cell {
        /// The `[tables]` key (`demand`).
        table: String,
        /// The CSV file, as the loader resolved it.
        file: PathBuf,
        /// The column.
        column: String,
        /// `column = value` pairs a row must all match (none: every row).
        select: Vec<(String, String)>,
        /// How many rows matched in the scenario as written.
        rows: usize,
    },
    /// One value in the scenario TOML.
    Key {
        /// The dotted path as written (`export_control[0].from`).
        path: String,
        /// Its parsed segments.
        segments: Vec<KeySegment>,
        /// The TOML file that wrote the value (in an `extends` chain, the one that wins).
        file: PathBuf,
        /// Whether the value is a whole number (a numeric draw is then rounded).
        integer: bool,
    },
}

/// One step of a dotted key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySegment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// How a draw changes its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Multiply the value written by the draw (`apply = "scale"`, the default).
    Scale,
    /// Replace the value written by the draw (`apply = "set"`).
    Set,
}

/// A distribution to draw from.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Log-normal: `exp(N(mu, sigma))` (so the median is `exp(mu)`).
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm (> 0).
        sigma: f64,
    },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular {
        /// Lower end.
        min: f64,
        /// Peak.
        mode: f64,
        /// Upper end.
        max: f64,
    },
    /// One of a set of values, with weights (equal when none are given).
    Discrete {
        /// The values.
        values: Vec<Draw>,
        /// Their weights (same length, each >= 0, sum > 0).
        weights: Vec<f64>,
    },
}

/// One drawn value.
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    /// A number.
    Number(f64),
    /// Text (a period label, an id), from a discrete set.
    Text(String),
}

impl fmt::Display for Draw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Draw::Number(v) => write!(f, "{v}"),
            Draw::Text(s) => f.write_str(s),
        }
    }
}

/// The scenario's files with one sample's draws written in; read it with
/// [`crate::load_from`].
#[derive(Debug)]
pub struct Overlay<'a, S: FileSource + ?Sized> {
    base: &'a S,
    changed: BTreeMap<PathBuf, Vec<u8>>,
}

impl<'a, S: FileSource + ?Sized> Overlay<'a, S> {
    /// `base` with `draws[k]` applied to `uncertain[k]`, in order (two inputs on one cell
    /// compose: two scales multiply; a set after a scale wins).
    ///
    /// Fails when a file cannot be read or rewritten (a scaled cell that is not a number,
    /// text drawn for a number): the error names the input.
    pub fn new(
        base: &'a S,
        uncertain: &[Uncertain],
        draws: &[Draw],
    ) -> Result<Self, ScenarioError> {
        let mut changed: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
        for (u, d) in uncertain.iter().zip(draws) {
            let file = match &u.target {
                Target::Cell { file, .. } | Target::Key { file, .. } => normalize(file),
            };
            let bytes = match changed.remove(&file) {
                Some(b) => b,
                None => base.read(&file).map_err(|e| ScenarioError::Io {
                    path: file.clone(),
                    reason: e.to_string(),
                })?,
            };
            let fail = |m: String| ScenarioError::Invalid {
                at: u.declared.clone(),
                message: format!("uncertain input `{}`: {m}", u.name),
            };
            let new = match &u.target {
                Target::Cell { column, select, .. } => {
                    rewrite_csv(&bytes, column, select, u.apply, d).map_err(fail)?
                }
                Target::Key {
                    segments, integer, ..
                } => rewrite_toml(&bytes, segments, *integer, u.apply, d).map_err(fail)?,
            };
            changed.insert(file, new);
        }
        Ok(Overlay { base, changed })
    }

    /// The rewritten files, by path.
    pub fn changed(&self) -> impl Iterator<Item = (&Path, &[u8])> {
        self.changed
            .iter()
            .map(|(p, b)| (p.as_path(), b.as_slice()))
    }
}

impl<S: FileSource + ?Sized> FileSource for Overlay<'_, S> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.changed.get(&normalize(path)) {
            Some(b) => Ok(b.clone()),
            None => self.base.read(path),
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
}

/// The new value of a cell or key written as `old`.
fn new_value(old: Option<f64>, apply: Apply, d: &Draw) -> Result<Draw, String> {
    match (apply, d) {
        (Apply::Set, d) => Ok(d.clone()),
        (Apply::Scale, Draw::Number(x)) => match old {
            Some(v) => Ok(Draw::Number(v * x)),
            None => Err("`apply = \"scale\"` needs a number to scale".to_string()),
        },
        (Apply::Scale, Draw::Text(t)) => Err(format!(
            "cannot scale by the text `{t}`; use `apply = \"set\"` for text values"
        )),
    }
}

/// Text for a CSV cell or TOML value: numbers in Rust's shortest exact form (never an
/// exponent, which keeps them plain decimals).
fn number_text(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v}")
    }
}

/// Rewrites `column` in the rows matching `select`, keeping every record on its line (blank
/// lines and multi-line cells are kept as line breaks), so that messages about the rewritten
/// file still point at the line of the file as written.
fn rewrite_csv(
    bytes: &[u8],
    column: &str,
    select: &[(String, String)],
    apply: Apply,
    d: &Draw,
) -> Result<Vec<u8>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let records = split_records(body);
    let text = |c: &[u8]| String::from_utf8_lossy(c).trim().to_string();
    let Some((_, header)) = records.first() else {
        return Err("the table is empty".to_string());
    };
    let header: Vec<String> = header.iter().map(|c| text(c)).collect();
    let pos = |name: &str| header.iter().position(|h| h == name);
    let col = pos(column).ok_or_else(|| format!("the table has no column `{column}`"))?;
    let sel: Vec<(usize, &str)> = select
        .iter()
        .map(|(c, v)| {
            pos(c)
                .map(|i| (i, v.as_str()))
                .ok_or_else(|| format!("the table has no column `{c}`"))
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut line = 1;
    for (i, (start, cells)) in records.iter().enumerate() {
        while line < *start {
            out.push(b'\n');
            line += 1;
        }
        let mut cells: Vec<Vec<u8>> = cells.clone();
        let matches = i > 0
            && sel
                .iter()
                .all(|(c, v)| cells.get(*c).is_some_and(|x| text(x) == *v));
        if matches {
            if let Some(cell) = cells.get_mut(col) {
                let old = text(cell).parse::<f64>().ok();
                let new = match new_value(old, apply, d)? {
                    Draw::Number(v) => number_text(v),
                    Draw::Text(t) => t,
                };
                *cell = new.into_bytes();
            }
        }
        for (k, c) in cells.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            let needs_quotes = c.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
            if needs_quotes {
                out.push(b'"');
                for &b in c {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
                line += c.iter().filter(|&&b| b == b'\n').count();
            } else {
                out.extend_from_slice(c);
            }
        }
        out.push(b'\n');
        line += 1;
    }
    Ok(out)
}

/// Rewrites the value at `segments` in one TOML file, keeping everything else as written.
fn rewrite_toml(
    bytes: &[u8],
    segments: &[KeySegment],
    integer: bool,
    apply: Apply,
    d: &Draw,
) -> Result<Vec<u8>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|_| "the file is not UTF-8".to_string())?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let mut item: &mut toml_edit::Item = doc.as_item_mut();
    for (n, s) in segments.iter().enumerate() {
        let last = n + 1 == segments.len();
        item = match s {
            // A key left out of its table is added (only `set` gets here; see the checks).
            KeySegment::Key(k) if last && item.get(k.as_str()).is_none() => {
                let table = item
                    .as_table_like_mut()
                    .ok_or_else(|| "the key's table is not written in this file".to_string())?;
                table.insert(k, toml_edit::Item::Value(toml_edit::Value::from(false)));
                table.get_mut(k)
            }
            KeySegment::Key(k) => item.get_mut(k.as_str()),
            KeySegment::Index(i) => item.get_mut(*i),
        }
        .ok_or_else(|| "the key is not written in this file".to_string())?;
    }
    let old = match item.as_value() {
        Some(toml_edit::Value::Integer(i)) => Some(*i.value() as f64),
        Some(toml_edit::Value::Float(f)) => Some(*f.value()),
        _ => None,
    };
    let value = match new_value(old, apply, d)? {
        Draw::Number(v) if integer => {
            let r = v.round();
            if r.abs() >= 9.0e15 {
                return Err(format!("{v} is too large for a whole number"));
            }
            toml_edit::Value::from(r as i64)
        }
        Draw::Number(v) => toml_edit::Value::from(v),
        Draw::Text(t) => toml_edit::Value::from(t),
    };
    *item = toml_edit::Item::Value(value);
    Ok(doc.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rewrite_keeps_lines_and_quotes() {
        let csv = b"region,commodity,quantity,source\n\nA,x,10,\"a, b\"\nB,x,20,s\nA,y,30,s\n";
        let out = rewrite_csv(
            csv,
            "quantity",
            &[("region".into(), "A".into())],
            Apply::Scale,
            &Draw::Number(1.5),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "region,commodity,quantity,source\n\nA,x,15,\"a, b\"\nB,x,20,s\nA,y,45,s\n"
        );
    }

    #[test]
    fn toml_rewrite_sets_a_key_in_an_array_of_tables() {
        let t = b"name = \"x\"\n\n[[export_control]]\nfrom = \"2027Q1\"\n# kept\n";
        let out = rewrite_toml(
            t,
            &[
                KeySegment::Key("export_control".into()),
                KeySegment::Index(0),
                KeySegment::Key("from".into()),
            ],
            false,
            Apply::Set,
            &Draw::Text("2028Q3".into()),
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("from = \"2028Q3\""), "{s}");
        assert!(s.contains("# kept"), "{s}");
    }

    #[test]
    fn scaling_text_is_refused() {
        let e = rewrite_csv(
            b"a,b\n1,2\n",
            "a",
            &[],
            Apply::Scale,
            &Draw::Text("q".into()),
        )
        .unwrap_err();
        assert!(e.contains("use `apply = \"set\"`"), "{e}");
    }
}
