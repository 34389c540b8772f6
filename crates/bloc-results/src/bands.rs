//! `bands.csv` of a sweep: one row type, written by `bloc-sweep` and read by `bloc-report`.

use crate::num;
use serde::{Deserialize, Serialize};

/// One band: an indicator's 5th, 50th and 95th percentile over a sweep's samples in one
/// period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    /// Period label.
    pub period: String,
    /// Indicator name.
    pub indicator: String,
    /// Its scope (`commodity:ndpr_oxide`, `region:USA`, …).
    pub scope: String,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// How many samples gave a finite value (not a column of the file).
    #[serde(skip)]
    pub samples: usize,
}

impl BandRow {
    /// The header of `bands.csv`.
    pub const HEADER: [&'static str; 6] = ["period", "indicator", "scope", "p5", "p50", "p95"];

    /// The row's cells as `bands.csv` holds them (numbers as [`num`] writes them).
    pub fn record(&self) -> [String; 6] {
        [
            self.period.clone(),
            self.indicator.clone(),
            self.scope.clone(),
            num(self.p5),
            num(self.p50),
            num(self.p95),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer writes, the reader reads back (the header names the fields).
    #[test]
    fn a_written_row_reads_back() {
        let row = BandRow {
            period: "2027Q1".into(),
            indicator: "consumer_cost_usd".into(),
            scope: "members".into(),
            p5: 1.5e9,
            p50: 2.25e9,
            p95: -3.0,
            samples: 20,
        };
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(BandRow::HEADER).unwrap();
        w.write_record(row.record()).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert!(
            text.starts_with("period,indicator,scope,p5,p50,p95\n"),
            "{text}"
        );
        let back: Vec<BandRow> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, vec![BandRow { samples: 0, ..row }]);
    }
}
