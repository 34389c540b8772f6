//! Free-format MPS dumps of a [`QpProblem`] (for `--dump-lp` and for checking a period's
//! market in another solver), and, with the `highs` feature, solving such a file with HiGHS.
//!
//! The file reproduces the problem exactly:
//! - the objective row is `N`-type; `RHS` on it holds **minus** the offset (the HiGHS / CPLEX
//!   convention: the objective is `cᵀx − rhs_obj`);
//! - `QUADOBJ` holds the diagonal Hessian, read as `½ xᵀQx`, so `Q_jj = quad_j`;
//! - numbers are written in Rust's shortest round-trip form, so every value reads back
//!   bit-for-bit;
//! - names have whitespace replaced by `_`; empty, number-like or duplicate names are made
//!   unique with a `~index` suffix; the objective row is `OBJ` (or `OBJ~`… if a row is
//!   already called that).
//!
//! The same problem always gives the same bytes.

use crate::qp::{QpProblem, RowKind};
use std::collections::HashSet;
use std::io::{self, Write};

/// Writes `problem` as free-format MPS named `name`.
pub fn write_mps(problem: &QpProblem, name: &str, out: &mut impl Write) -> io::Result<()> {
    let mut used = HashSet::new();
    let row_names: Vec<String> = problem
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| unique(&r.name, 'R', i, &mut used))
        .collect();
    let mut obj = String::from("OBJ");
    while used.contains(&obj) {
        obj.push('~');
    }
    used.insert(obj.clone());
    let mut used_cols = HashSet::new();
    let col_names: Vec<String> = problem
        .cols
        .iter()
        .enumerate()
        .map(|(j, c)| unique(&c.name, 'C', j, &mut used_cols))
        .collect();

    let mut w = io::BufWriter::new(out);
    let title = sanitize(name);
    writeln!(w, "NAME {}", if title.is_empty() { "bloc" } else { &title })?;
    writeln!(w, "ROWS")?;
    writeln!(w, " N  {obj}")?;
    for (r, rn) in problem.rows.iter().zip(&row_names) {
        let kind = match r.kind {
            RowKind::Eq => 'E',
            RowKind::Le => 'L',
        };
        writeln!(w, " {kind}  {rn}")?;
    }

    writeln!(w, "COLUMNS")?;
    let (starts, index, values) = problem.csc();
    for (j, (c, cn)) in problem.cols.iter().zip(&col_names).enumerate() {
        let entries = starts[j]..starts[j + 1];
        // A column is declared by its first line: write the cost even if zero when the column
        // has no matrix entries.
        if c.cost != 0.0 || entries.is_empty() {
            writeln!(w, "    {cn}  {obj}  {}", num(c.cost))?;
        }
        for k in entries {
            writeln!(w, "    {cn}  {}  {}", row_names[index[k]], num(values[k]))?;
        }
    }

    writeln!(w, "RHS")?;
    if problem.offset != 0.0 {
        writeln!(w, "    RHS  {obj}  {}", num(-problem.offset))?;
    }
    for (r, rn) in problem.rows.iter().zip(&row_names) {
        if r.rhs != 0.0 {
            writeln!(w, "    RHS  {rn}  {}", num(r.rhs))?;
        }
    }

    writeln!(w, "BOUNDS")?;
    for (c, cn) in problem.cols.iter().zip(&col_names) {
        let (lo, up) = (c.lower, c.upper);
        if lo == up {
            writeln!(w, " FX BND  {cn}  {}", num(lo))?;
            continue;
        }
        match (lo == f64::NEG_INFINITY, up == f64::INFINITY) {
            (true, true) => writeln!(w, " FR BND  {cn}")?,
            (true, false) => {
                writeln!(w, " MI BND  {cn}")?;
                writeln!(w, " UP BND  {cn}  {}", num(up))?;
            }
            (false, up_inf) => {
                if lo != 0.0 {
                    writeln!(w, " LO BND  {cn}  {}", num(lo))?;
                }
                if !up_inf {
                    writeln!(w, " UP BND  {cn}  {}", num(up))?;
                }
            }
        }
    }

    if problem.cols.iter().any(|c| c.quad != 0.0) {
        writeln!(w, "QUADOBJ")?;
        for (c, cn) in problem.cols.iter().zip(&col_names) {
            if c.quad != 0.0 {
                writeln!(w, "    {cn}  {cn}  {}", num(c.quad))?;
            }
        }
    }
    writeln!(w, "ENDATA")?;
    w.flush()
}

/// Whitespace to `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|ch| if ch.is_whitespace() { '_' } else { ch })
        .collect()
}

/// A sanitized name not yet in `used`: `prefix index` if empty, `name~index` if it reads as a
/// number (a reader could take it for a value) or is taken.
fn unique(name: &str, prefix: char, index: usize, used: &mut HashSet<String>) -> String {
    let mut s = sanitize(name);
    if s.is_empty() {
        s = format!("{prefix}{index}");
    } else if s.parse::<f64>().is_ok() || used.contains(&s) {
        s = format!("{s}~{index}");
    }
    while !used.insert(s.clone()) {
        s.push('~');
    }
    s
}

/// Shortest decimal that reads back to the same `f64`.
fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Reads an MPS (or LP) file with HiGHS and solves it: `(status, objective, time to read and
/// solve)`. For checking `--dump-lp` files and for benchmarks.
#[cfg(feature = "highs")]
pub fn highs_solve_mps_file(
    path: &std::path::Path,
) -> Result<(crate::SolveStatus, f64, std::time::Duration), crate::SolverError> {
    crate::highs_backend::solve_model_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for v in [
            0.0,
            1.0,
            -2.5,
            0.1,
            1e-10,
            123456789.123,
            1e300,
            -3.0e-7,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(num(v).parse::<f64>().ok(), Some(v), "{v}");
        }
    }

    #[test]
    fn names_are_unique_and_spaceless() {
        let mut used = HashSet::new();
        let a = unique("a b", 'C', 0, &mut used);
        let b = unique("a_b", 'C', 1, &mut used);
        let c = unique("", 'C', 2, &mut used);
        let d = unique("1.5", 'C', 3, &mut used);
        assert_eq!((a.as_str(), b.as_str()), ("a_b", "a_b~1"));
        assert_eq!((c.as_str(), d.as_str()), ("C2", "1.5~3"));
    }
}
