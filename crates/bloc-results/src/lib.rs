//! The result files of a run (design §4) and the sinks that write them.
//!
//! A run fills [`RunTables`] (tidy tables, one header row each) and a `run.json` value; a
//! [`ResultsSink`] writes them. [`RunDirSink`] writes a directory atomically: everything goes
//! into a temporary sibling directory that is renamed into place only once every file is
//! complete, so a failed run never leaves a directory that looks like a result.
#![deny(missing_docs)]

use std::fs;
use std::io;
use std::path::PathBuf;

mod bands;
pub mod out;
mod parquet_table;
pub mod schema;

pub use schema::Schema;

pub use parquet_table::pinned_properties;

pub use bands::BandRow;

/// One result table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File name (`prices.csv`).
    pub file: &'static str,
    /// Column names.
    pub header: &'static [&'static str],
    /// Rows, as formatted cells.
    pub rows: Vec<Vec<String>>,
    /// How many leading columns form the sort key (the rest are values).
    pub key_columns: usize,
}

impl Table {
    /// An empty table.
    pub fn new(file: &'static str, header: &'static [&'static str], key_columns: usize) -> Self {
        Table {
            file,
            header,
            rows: Vec::new(),
            key_columns,
        }
    }
    /// An empty table of a result file's layout.
    pub fn of(schema: &Schema) -> Self {
        Table::new(schema.file, schema.header, schema.key_columns)
    }
    /// Adds a row (cells in header order).
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len(), "{}", self.file);
        self.rows.push(row);
    }
    /// Sorts rows by period (numerically, by position) then the other key columns.
    pub fn sort(&mut self, period_order: &dyn Fn(&str) -> usize) {
        let k = self.key_columns;
        self.rows.sort_by(|a, b| {
            period_order(&a[0])
                .cmp(&period_order(&b[0]))
                .then_with(|| a[1..k].cmp(&b[1..k]))
        });
    }
    /// The file name when written as Parquet (`prices.parquet` for `prices.csv`).
    pub fn parquet_file(&self) -> String {
        let stem = self.file.strip_suffix(".csv").unwrap_or(self.file);
        format!("{stem}.parquet")
    }
    /// The table as CSV text.
    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        push_csv_row(&mut s, self.header.iter().copied());
        for r in &self.rows {
            push_csv_row(&mut s, r.iter().map(String::as_str));
        }
        s
    }
}

fn push_csv_row<'a>(s: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            s.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            s.push('"');
            s.push_str(&c.replace('"', "\"\""));
            s.push('"');
        } else {
            s.push_str(c);
        }
    }
    s.push('\n');
}

/// A number as written in result files: 9 significant digits (at most 6 decimals), trailing
/// zeros dropped, no `-0`. The solver's answers are exact to about 1e-9 relative, so more
/// digits would only print its noise. The same value always gives the same text.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let digits = if v == 0.0 {
        1
    } else {
        v.abs().log10().floor() as i64 + 1
    };
    let decimals = (9 - digits).clamp(0, 6) as usize;
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Every table of design §4.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTables {
    /// `prices.csv`.
    pub prices: Table,
    /// `flows.csv`.
    pub flows: Table,
    /// `class_prices.csv`: origin classes' prices where they differ from the region's
    /// (design §8; empty when nothing is followed by origin).
    pub class_prices: Table,
    /// `production.csv`.
    pub production: Table,
    /// `consumption.csv`.
    pub consumption: Table,
    /// `policy.csv`.
    pub policy: Table,
    /// `floors.csv`: per floor in force and period, what it met (the members' price, the
    /// levy, the members' trade with non-members) and whether it bound, and if not why not.
    pub floors: Table,
    /// `stockpile.csv`.
    pub stockpile: Table,
    /// `projects.csv`: per project that took its decision, its periods, capital, support,
    /// margin over the run, NPV and IRR at the run's prices and whether it is stranded.
    pub projects: Table,
    /// `indicators.csv`.
    pub indicators: Table,
    /// `strategy.csv`: per decision period of each `[[strategy]]`, the instruments chosen
    /// (and the bloc's floor ratios under `against = "bloc"`), the objective, the evaluations
    /// used and whether the search converged (design §10; empty without strategies).
    pub strategy: Table,
}

impl Default for RunTables {
    fn default() -> Self {
        RunTables {
            prices: Table::of(&schema::PRICES),
            flows: Table::of(&schema::FLOWS),
            class_prices: Table::of(&schema::CLASS_PRICES),
            production: Table::of(&schema::PRODUCTION),
            consumption: Table::of(&schema::CONSUMPTION),
            policy: Table::of(&schema::POLICY),
            floors: Table::of(&schema::FLOORS),
            stockpile: Table::of(&schema::STOCKPILE),
            projects: Table::of(&schema::PROJECTS),
            indicators: Table::of(&schema::INDICATORS),
            strategy: Table::of(&schema::STRATEGY),
        }
    }
}

impl RunTables {
    /// All tables, in file-name order.
    pub fn all(&self) -> [&Table; 11] {
        [
            &self.class_prices,
            &self.consumption,
            &self.floors,
            &self.flows,
            &self.indicators,
            &self.policy,
            &self.prices,
            &self.production,
            &self.projects,
            &self.stockpile,
            &self.strategy,
        ]
    }
    /// Sorts every table.
    pub fn sort(&mut self, period_order: &dyn Fn(&str) -> usize) {
        for t in [
            &mut self.prices,
            &mut self.flows,
            &mut self.class_prices,
            &mut self.production,
            &mut self.consumption,
            &mut self.policy,
            &mut self.floors,
            &mut self.stockpile,
            &mut self.indicators,
            &mut self.strategy,
        ] {
            t.sort(period_order);
        }
    }
}

/// Somewhere results go.
pub trait ResultsSink {
    /// Writes the tables and the run metadata.
    fn write(&mut self, tables: &RunTables, run_json: &serde_json::Value) -> io::Result<()>;
}

/// How a run directory's tables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `prices.csv`, … (the default, and what `bloc report` and `bloc compare` read).
    #[default]
    Csv,
    /// `prices.parquet`, …: typed columns (a column whose every cell is a number, or empty,
    /// is a nullable DOUBLE; any other column nullable UTF8), for pandas and Arrow.
    Parquet,
}

/// Writes a run directory atomically.
#[derive(Debug, Clone)]
pub struct RunDirSink {
    out: PathBuf,
    format: Format,
}

impl RunDirSink {
    /// A sink that will create `out`, or replace it if it is empty or holds an earlier bloc
    /// run (its [`out::MARKER`]); anything else is refused (see [`out::check_out_dir`]).
    pub fn new(out: impl Into<PathBuf>) -> Self {
        RunDirSink {
            out: out.into(),
            format: Format::Csv,
        }
    }

    /// Writes the tables in `format` (CSV by default).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

impl RunDirSink {
    /// Writes a failed run: the directory holds only `run.json` (whose `status` says
    /// `failed`, with the period and the reason) and the marker, so that nothing in it
    /// looks like a result table.
    pub fn write_failed(&mut self, run_json: &serde_json::Value) -> io::Result<()> {
        self.write_files(&[], run_json)
    }

    fn write_files(&mut self, tables: &[&Table], run_json: &serde_json::Value) -> io::Result<()> {
        let abs = out::check_out_dir(&self.out, out::OutKind::Run, &[])
            .map_err(|e| io::Error::new(io::ErrorKind::AlreadyExists, e))?;
        if let Some(parent) = abs.parent() {
            fs::create_dir_all(parent)?;
        }
        let tmp = out::temp_sibling(&abs, "partial");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        let result = (|| {
            fs::create_dir(&tmp)?;
            for t in tables {
                check_finite(t)?;
                match self.format {
                    Format::Csv => fs::write(tmp.join(t.file), t.to_csv())?,
                    Format::Parquet => parquet_table::write(&tmp.join(t.parquet_file()), t)?,
                }
            }
            let mut json = serde_json::to_string_pretty(run_json).map_err(io::Error::other)?;
            json.push('\n');
            fs::write(tmp.join("run.json"), json)?;
            fs::write(tmp.join(out::MARKER), out::OutKind::Run.marker_text())?;
            if abs.exists() {
                fs::remove_dir_all(&abs)?;
            }
            fs::rename(&tmp, &abs)
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }
}

/// A result table never holds NaN or an infinity: a value cell that is not a finite number
/// is an error naming the file, the row and the column (the run is then an internal failure).
fn check_finite(t: &Table) -> io::Result<()> {
    for (i, r) in t.rows.iter().enumerate() {
        for (c, cell) in r.iter().enumerate().skip(t.key_columns) {
            let bad = matches!(
                cell.to_ascii_lowercase().trim_start_matches(['-', '+']),
                "nan" | "inf" | "infinity"
            );
            if bad {
                return Err(io::Error::other(format!(
                    "{}: row {} column `{}` is `{cell}`, not a finite number; refusing to write it",
                    t.file,
                    i + 2,
                    t.header.get(c).copied().unwrap_or("?")
                )));
            }
        }
    }
    Ok(())
}

impl ResultsSink for RunDirSink {
    fn write(&mut self, tables: &RunTables, run_json: &serde_json::Value) -> io::Result<()> {
        let all: Vec<&Table> = tables.all().into_iter().collect();
        self.write_files(&all, run_json)
    }
}

/// A magnitude for people to read: `|x|` rounded to a whole number, with thousands
/// separators (`1,234,567`); the caller writes any sign. The summary and the report share it.
pub fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_whole_numbers() {
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(-999.6), "1,000");
        assert_eq!(thousands(12.0), "12");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(34.0), "34");
        assert_eq!(num(32.5), "32.5");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(1e6), "1000000");
        assert_eq!(num(4999.999995), "5000");
        assert_eq!(num(51121.499484), "51121.4995");
        assert_eq!(num(0.000123), "0.000123");
    }

    #[test]
    fn cells_with_commas_are_quoted() {
        let mut t = Table::new("t.csv", &["period", "a"], 1);
        t.push(vec!["2026".into(), "x,y".into()]);
        assert_eq!(t.to_csv(), "period,a\n2026,\"x,y\"\n");
    }

    #[test]
    fn directory_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let mut tables = RunTables::default();
        tables
            .prices
            .push(vec!["2026".into(), "A".into(), "x".into(), num(34.0)]);
        RunDirSink::new(&out)
            .write(&tables, &serde_json::json!({"ok": true}))
            .unwrap();
        assert!(out.join("prices.csv").exists() && out.join("run.json").exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary directory left: {names:?}");
        // Replacing an earlier run leaves only the new files.
        fs::write(out.join("stale.txt"), "old").unwrap();
        RunDirSink::new(&out)
            .write(&tables, &serde_json::json!({}))
            .unwrap();
        assert!(!out.join("stale.txt").exists());
        assert!(out.join(out::MARKER).exists());
    }

    #[test]
    fn a_directory_bloc_did_not_write_is_never_replaced() {
        // Before issue 15 this deleted `notes.txt` and put a run in its place.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
        let e = RunDirSink::new(dir.path())
            .write(&RunTables::default(), &serde_json::json!({}))
            .unwrap_err();
        assert!(e.to_string().contains("did not write"), "{e}");
        assert_eq!(
            fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
            "keep me"
        );
    }

    #[test]
    fn a_table_with_a_non_finite_value_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let mut tables = RunTables::default();
        tables.prices.push(vec![
            "2026".into(),
            "A".into(),
            "x".into(),
            format!("{}", f64::NAN),
        ]);
        let e = RunDirSink::new(&out)
            .write(&tables, &serde_json::json!({}))
            .unwrap_err();
        assert!(e.to_string().contains("not a finite number"), "{e}");
        assert!(!out.exists());
    }
}
