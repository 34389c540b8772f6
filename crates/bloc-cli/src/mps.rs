//! Reads back the free-format MPS that `bloc_market::write_mps` writes, so `bloc bench` can
//! solve a dumped market cold from its file with another solver.

use anyhow::{bail, Context, Result};
use bloc_market::{Col, QpProblem, Row, RowKind};
use std::collections::HashMap;
use std::path::Path;

/// Reads the free-format MPS that `bloc_market::write_mps` writes (N/E/L rows; one or two
/// entries per COLUMNS or RHS line; FX/FR/MI/UP/LO bounds; a diagonal QUADOBJ) back into a
/// [`QpProblem`].
pub fn read_mps(path: &Path) -> Result<QpProblem> {
    let text = std::fs::read_to_string(path)?;
    let mut reader = MpsReader::default();
    let mut section = "";
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('*') {
            continue;
        }
        let f: Vec<&str> = raw.split_whitespace().collect();
        if !raw.starts_with(' ') {
            section = match f[0] {
                "NAME" => "NAME",
                "ROWS" => "ROWS",
                "COLUMNS" => "COLUMNS",
                "RHS" => "RHS",
                "BOUNDS" => "BOUNDS",
                "QUADOBJ" => "QUADOBJ",
                "ENDATA" => break,
                other => bail!("line {line}: unknown section {other}"),
            };
            continue;
        }
        reader.entry(line, section, &f, raw)?;
    }
    Ok(reader.qp)
}

/// The problem read so far and the names that index it.
#[derive(Default)]
struct MpsReader {
    qp: QpProblem,
    obj_row: String,
    row_of: HashMap<String, usize>,
    col_of: HashMap<String, usize>,
}

fn num(s: &str, line: usize) -> Result<f64> {
    s.parse::<f64>()
        .with_context(|| format!("line {line}: `{s}` is not a number"))
}

impl MpsReader {
    /// One data line `f` (its fields) of `section`.
    fn entry(&mut self, line: usize, section: &str, f: &[&str], raw: &str) -> Result<()> {
        match (section, f) {
            ("ROWS", ["N", name]) => self.obj_row = name.to_string(),
            ("ROWS", [kind @ ("E" | "L"), name]) => {
                let kind = if *kind == "E" {
                    RowKind::Eq
                } else {
                    RowKind::Le
                };
                let r = self.qp.add_row(Row {
                    name: name.to_string(),
                    kind,
                    rhs: 0.0,
                });
                self.row_of.insert(name.to_string(), r);
            }
            ("COLUMNS", [col, pairs @ ..]) if !pairs.is_empty() && pairs.len() % 2 == 0 => {
                self.column(line, col, pairs)?;
            }
            ("RHS", [_, pairs @ ..]) if !pairs.is_empty() && pairs.len() % 2 == 0 => {
                self.rhs(line, pairs)?;
            }
            ("BOUNDS", [kind, _, col, rest @ ..]) => self.bound(line, kind, col, rest, raw)?,
            ("QUADOBJ", [a, b, v]) if a == b => {
                let j = self.col(line, a)?;
                self.qp.cols[j].quad = num(v, line)?;
            }
            ("NAME", _) => {}
            _ => bail!(
                "line {line}: cannot read `{}` in section {section}",
                raw.trim()
            ),
        }
        Ok(())
    }

    fn row(&self, line: usize, name: &str) -> Result<usize> {
        self.row_of
            .get(name)
            .copied()
            .with_context(|| format!("line {line}: unknown row {name}"))
    }

    fn col(&self, line: usize, name: &str) -> Result<usize> {
        self.col_of
            .get(name)
            .copied()
            .with_context(|| format!("line {line}: unknown column {name}"))
    }

    /// A COLUMNS line: the column (added on first sight) and its objective and row entries.
    fn column(&mut self, line: usize, col: &str, pairs: &[&str]) -> Result<()> {
        let j = match self.col_of.get(col) {
            Some(&j) => j,
            None => {
                let j = self.qp.add_col(Col {
                    name: col.to_string(),
                    cost: 0.0,
                    quad: 0.0,
                    lower: 0.0,
                    upper: f64::INFINITY,
                });
                self.col_of.insert(col.to_string(), j);
                j
            }
        };
        for pair in pairs.chunks(2) {
            let v = num(pair[1], line)?;
            if pair[0] == self.obj_row {
                self.qp.cols[j].cost = v;
            } else {
                let r = self.row(line, pair[0])?;
                self.qp.set_coef(r, j, v);
            }
        }
        Ok(())
    }

    /// An RHS line: row right-hand sides, and the objective's constant (negated, as MPS has it).
    fn rhs(&mut self, line: usize, pairs: &[&str]) -> Result<()> {
        for pair in pairs.chunks(2) {
            let v = num(pair[1], line)?;
            if pair[0] == self.obj_row {
                self.qp.offset = -v;
            } else {
                let r = self.row(line, pair[0])?;
                self.qp.rows[r].rhs = v;
            }
        }
        Ok(())
    }

    fn bound(
        &mut self,
        line: usize,
        kind: &str,
        col: &str,
        rest: &[&str],
        raw: &str,
    ) -> Result<()> {
        let j = self.col(line, col)?;
        let v = rest.first().map(|s| num(s, line)).transpose()?;
        let c = &mut self.qp.cols[j];
        match (kind, v) {
            ("FX", Some(v)) => (c.lower, c.upper) = (v, v),
            ("FR", None) => (c.lower, c.upper) = (f64::NEG_INFINITY, f64::INFINITY),
            ("MI", None) => c.lower = f64::NEG_INFINITY,
            ("UP", Some(v)) => c.upper = v,
            ("LO", Some(v)) => c.lower = v,
            _ => bail!("line {line}: unsupported bound `{}`", raw.trim()),
        }
        Ok(())
    }
}
