//! Reading a run directory (design §4) into typed rows.
//!
//! Every file but `indicators.csv` is optional: a run without a stockpile or a floor may lack
//! rows (or the file), and the report says so instead of failing. Columns are read by
//! name, so extra columns added later are ignored, and a missing or malformed column is an
//! error naming the file, line and field.

use crate::error::ReportError;
use crate::summary::Summary;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One row of `prices.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct PriceRow {
    /// Period label, e.g. `2026Q1`.
    pub period: String,
    /// Region id.
    pub region: String,
    /// Commodity (stage) id.
    pub commodity: String,
    /// Price, USD/t.
    pub price_usd_per_t: f64,
}

/// One row of `flows.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct FlowRow {
    /// Period label.
    pub period: String,
    /// Commodity id.
    pub commodity: String,
    /// Exporting region.
    pub origin: String,
    /// Importing region.
    pub destination: String,
    /// Tonnes shipped in the period.
    pub quantity_t: f64,
    /// Transport cost, USD/t.
    pub transport_usd_per_t: f64,
    /// Tariff, USD/t.
    pub tariff_usd_per_t: f64,
    /// Levy, USD/t.
    pub levy_usd_per_t: f64,
}

/// One row of `production.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductionRow {
    /// Period label.
    pub period: String,
    /// Region id.
    pub region: String,
    /// Process id.
    pub process: String,
    /// Output commodity.
    pub commodity: String,
    /// Output in the period, t.
    pub quantity_t: f64,
    /// Capacity in the period, t.
    pub capacity_t: f64,
}

/// One row of `consumption.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsumptionRow {
    /// Period label.
    pub period: String,
    /// Region id.
    pub region: String,
    /// Commodity id.
    pub commodity: String,
    /// Quantity bought, t.
    pub quantity_t: f64,
    /// Demand left unmet at the choke price, t.
    pub unserved_t: f64,
}

/// One row of `policy.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyRow {
    /// Period label.
    pub period: String,
    /// Commodity id.
    pub commodity: String,
    /// Reference price, USD/t.
    pub reference_price_usd_per_t: f64,
    /// Floor, USD/t.
    pub floor_usd_per_t: f64,
}

/// One row of `stockpile.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct StockpileRow {
    /// Period label.
    pub period: String,
    /// Stockpile name.
    pub stockpile: String,
    /// Commodity id.
    pub commodity: String,
    /// Bought in the period, t.
    pub bought_t: f64,
    /// Released in the period, t.
    pub released_t: f64,
    /// Inventory at the end of the period, t.
    pub inventory_t: f64,
    /// Spent in the period, USD.
    pub spent_usd: f64,
    /// Budget left, USD.
    pub budget_left_usd: f64,
}

/// One row of `indicators.csv` (tidy: one value per period, indicator and scope).
#[derive(Debug, Clone, Deserialize)]
pub struct IndicatorRow {
    /// Period label.
    pub period: String,
    /// Indicator name, e.g. `price_usd_per_t`.
    pub indicator: String,
    /// Scope, e.g. `members:ndpr_oxide`.
    pub scope: String,
    /// The value.
    pub value: f64,
}

/// One row of a sweep's `bands.csv` (the sweep's own row type: one schema for the writer
/// and the reader).
pub use bloc_results::BandRow;

/// What `run.json` says about the run (the fields the report shows; timings are left out).
#[derive(Debug, Clone, Default)]
pub struct RunMeta {
    /// Scenario name.
    pub scenario: Option<String>,
    /// Scenario hash.
    pub scenario_hash: Option<String>,
    /// Engine version.
    pub engine: Option<String>,
    /// Seed.
    pub seed: Option<String>,
    /// Solver.
    pub solver: Option<String>,
    /// Largest equilibrium violation, USD/t.
    pub max_violation_usd_per_t: Option<f64>,
    /// The regions that are members in some period (`None`: a `run.json` without the list).
    pub members: Option<Vec<String>>,
}

/// A run (or sweep) directory as read from disk.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The directory.
    pub dir: PathBuf,
    /// From `run.json`, when present.
    pub meta: RunMeta,
    /// Period labels in run order (first appearance across the files, which the engine
    /// writes in period order).
    pub periods: Vec<String>,
    /// `prices.csv`.
    pub prices: Vec<PriceRow>,
    /// `flows.csv`.
    pub flows: Vec<FlowRow>,
    /// `production.csv`.
    pub production: Vec<ProductionRow>,
    /// `consumption.csv`.
    pub consumption: Vec<ConsumptionRow>,
    /// `policy.csv`.
    pub policy: Vec<PolicyRow>,
    /// `stockpile.csv`.
    pub stockpile: Vec<StockpileRow>,
    /// `indicators.csv`.
    pub indicators: Vec<IndicatorRow>,
    /// `bands.csv` (a sweep directory), or the file given with `--bands`.
    pub bands: Vec<BandRow>,
    /// True when `indicators.csv` was present (a run, not only a sweep's bands).
    pub has_run: bool,
    /// `summary.json`: the headline answers `bloc run` wrote against the run's baseline.
    pub summary: Option<Summary>,
}

impl Run {
    /// Reads a run directory, or a sweep directory holding `bands.csv`.
    ///
    /// # Errors
    /// [`ReportError::NotARun`] when the directory holds neither `indicators.csv` nor
    /// `bands.csv`; a CSV or JSON error naming the file, line and field otherwise.
    pub fn load(dir: &Path) -> Result<Run, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            ));
        }
        let has_run = dir.join("indicators.csv").is_file();
        let has_bands = dir.join("bands.csv").is_file();
        if !has_run && !has_bands {
            return Err(ReportError::NotARun { dir: dir.into() });
        }
        let mut run = Run {
            dir: dir.into(),
            meta: read_meta(&dir.join("run.json"))?,
            prices: read_optional(&dir.join("prices.csv"))?,
            flows: read_optional(&dir.join("flows.csv"))?,
            production: read_optional(&dir.join("production.csv"))?,
            consumption: read_optional(&dir.join("consumption.csv"))?,
            policy: read_optional(&dir.join("policy.csv"))?,
            stockpile: read_optional(&dir.join("stockpile.csv"))?,
            indicators: read_optional(&dir.join("indicators.csv"))?,
            bands: read_optional(&dir.join("bands.csv"))?,
            has_run,
            summary: Summary::load(dir)?,
            periods: Vec::new(),
        };
        run.collect_periods();
        Ok(run)
    }

    /// Replaces the bands with those of `file` (`--bands FILE`).
    ///
    /// # Errors
    /// When the file cannot be read or a row is malformed.
    pub fn set_bands_from(&mut self, file: &Path) -> Result<(), ReportError> {
        if !file.is_file() {
            return Err(ReportError::io(
                file,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        self.bands = read_optional(file)?;
        self.collect_periods();
        Ok(())
    }

    fn collect_periods(&mut self) {
        let mut seen = std::collections::HashSet::new();
        let mut periods = Vec::new();
        let all = self
            .prices
            .iter()
            .map(|r| &r.period)
            .chain(self.indicators.iter().map(|r| &r.period))
            .chain(self.consumption.iter().map(|r| &r.period))
            .chain(self.production.iter().map(|r| &r.period))
            .chain(self.flows.iter().map(|r| &r.period))
            .chain(self.policy.iter().map(|r| &r.period))
            .chain(self.stockpile.iter().map(|r| &r.period))
            .chain(self.bands.iter().map(|r| &r.period));
        for p in all {
            if seen.insert(p.clone()) {
                periods.push(p.clone());
            }
        }
        // The engine's labels (`2026Q1`, `2026`) sort in time order as text; sorting makes
        // the order independent of which file happens to name a period first.
        periods.sort();
        self.periods = periods;
    }

    /// A short name for the run: the scenario name, else the directory name.
    pub fn name(&self) -> String {
        self.meta.scenario.clone().unwrap_or_else(|| {
            self.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.dir.display().to_string())
        })
    }

    /// Commodities in the run, sorted, from every file that names one.
    pub fn commodities(&self) -> Vec<String> {
        let mut c: Vec<String> = self
            .prices
            .iter()
            .map(|r| r.commodity.clone())
            .chain(self.production.iter().map(|r| r.commodity.clone()))
            .chain(self.consumption.iter().map(|r| r.commodity.clone()))
            .chain(self.flows.iter().map(|r| r.commodity.clone()))
            .collect();
        c.sort();
        c.dedup();
        c
    }
}

/// Reads a CSV file into rows; a missing file is an empty table.
fn read_optional<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read(path).map_err(|e| ReportError::io(path, e))?;
    parse_csv(path, &text)
}

/// Parses CSV bytes with a header row into rows, naming the line and field of a bad row.
pub(crate) fn parse_csv<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<T>, ReportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| csv_error(path, &e, None))?
        .clone();
    let mut rows = Vec::new();
    for rec in rdr.deserialize::<T>() {
        match rec {
            Ok(r) => rows.push(r),
            Err(e) => return Err(csv_error(path, &e, Some(&headers))),
        }
    }
    Ok(rows)
}

fn csv_error(path: &Path, e: &csv::Error, headers: Option<&csv::StringRecord>) -> ReportError {
    let line = e.position().map(|p| p.line()).unwrap_or(1);
    let (field, message) = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let field = err
                .field()
                .and_then(|i| headers.and_then(|h| h.get(i as usize)))
                .map(str::to_string);
            let msg = match err.kind() {
                csv::DeserializeErrorKind::ParseFloat(_) => {
                    "not a number; write a decimal number such as 1250 or 0.25".to_string()
                }
                other => {
                    let s = other.to_string();
                    if s.contains("missing field") {
                        format!("{s}; the header must name this column (design §4)")
                    } else {
                        s
                    }
                }
            };
            (field, msg)
        }
        _ => (None, e.to_string()),
    };
    ReportError::Csv {
        path: PathBuf::from(path),
        line,
        field,
        message,
    }
}

fn read_meta(path: &Path) -> Result<RunMeta, ReportError> {
    if !path.is_file() {
        return Ok(RunMeta::default());
    }
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| ReportError::Json {
        path: path.into(),
        message: e.to_string(),
    })?;
    let s = |k: &str| {
        v.get(k).and_then(|x| match x {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Ok(RunMeta {
        scenario: s("scenario"),
        scenario_hash: s("scenario_hash"),
        engine: s("engine"),
        seed: s("seed"),
        solver: s("solver"),
        max_violation_usd_per_t: v
            .get("max_equilibrium_violation_usd_per_t")
            .and_then(|x| x.as_f64()),
        members: v.get("members").and_then(|m| {
            m.as_array()?
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names a row struct reads: the `fields` serde passes to
    /// `deserialize_struct`, caught by a deserializer that does nothing else.
    fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
        #[derive(Debug)]
        struct Caught(&'static [&'static str]);
        impl std::fmt::Display for Caught {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "fields {:?}", self.0)
            }
        }
        impl std::error::Error for Caught {}
        impl serde::de::Error for Caught {
            fn custom<M: std::fmt::Display>(_: M) -> Self {
                Caught(&[])
            }
        }
        struct Fields;
        impl<'de> serde::Deserializer<'de> for Fields {
            type Error = Caught;
            fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
                Err(Caught(&[]))
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Caught> {
                Err(Caught(fields))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        match T::deserialize(Fields) {
            Err(Caught(f)) => f,
            Ok(_) => unreachable!("a row struct cannot be read from nothing"),
        }
    }

    #[test]
    fn every_column_the_report_reads_is_one_the_run_writes() {
        use bloc_results::schema::*;
        let pairs: [(&str, &[&str], Schema); 7] = [
            ("PriceRow", fields_of::<PriceRow>(), PRICES),
            ("FlowRow", fields_of::<FlowRow>(), FLOWS),
            ("ProductionRow", fields_of::<ProductionRow>(), PRODUCTION),
            ("ConsumptionRow", fields_of::<ConsumptionRow>(), CONSUMPTION),
            ("PolicyRow", fields_of::<PolicyRow>(), POLICY),
            ("StockpileRow", fields_of::<StockpileRow>(), STOCKPILE),
            ("IndicatorRow", fields_of::<IndicatorRow>(), INDICATORS),
        ];
        for (name, fields, schema) in pairs {
            assert!(!fields.is_empty(), "{name}: no fields caught");
            for f in fields {
                assert!(
                    schema.header.contains(f),
                    "{name} reads `{f}`, which {} does not have (its columns: {:?})",
                    schema.file,
                    schema.header
                );
            }
        }
        // The catch works: a struct with a column no file has is caught out.
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            period: String,
            price_usd_per_kg: f64,
        }
        assert!(!fields_of::<Wrong>()
            .iter()
            .all(|f| PRICES.header.contains(f)));
    }

    #[test]
    fn a_bad_number_names_file_line_and_field() {
        let text =
            b"period,indicator,scope,value\n2026,hhi,commodity:x,12\n2027,hhi,commodity:x,abc\n";
        let e = parse_csv::<IndicatorRow>(Path::new("indicators.csv"), text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "indicators.csv, line 3, field `value`: not a number; write a decimal number such as 1250 or 0.25"
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let text = b"period,indicator,value\n2026,hhi,12\n";
        let e = parse_csv::<IndicatorRow>(Path::new("indicators.csv"), text).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("indicators.csv, line 2"), "{s}");
        assert!(s.contains("missing field `scope`"), "{s}");
    }

    #[test]
    fn extra_columns_are_ignored() {
        let text = b"period,indicator,scope,value,note\n2026,hhi,commodity:x,12,hi\n";
        let rows = parse_csv::<IndicatorRow>(Path::new("i.csv"), text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value, 12.0);
    }
}
