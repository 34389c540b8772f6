//! `indicators.parquet`: one row per sample × period × indicator × scope.
//!
//! Written with the `parquet` crate's low-level column writer (no Arrow), with settings
//! pinned so the same rows always give the same bytes: a fixed `created_by`, Snappy
//! compression, row groups of a fixed number of rows, and no key-value metadata (the file
//! holds no time or host). Reading back (for `sweep merge`) gives the exact values written.

use crate::{IndicatorRow, SweepError};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::RowAccessor;
use parquet::schema::parser::parse_message_type;
use std::path::Path;
use std::sync::Arc;

/// The schema of `indicators.parquet`.
pub const SCHEMA: &str = "message indicators {
  REQUIRED INT64 sample;
  REQUIRED BYTE_ARRAY period (UTF8);
  REQUIRED BYTE_ARRAY indicator (UTF8);
  REQUIRED BYTE_ARRAY scope (UTF8);
  REQUIRED DOUBLE value;
}";

/// Rows per row group.
const ROW_GROUP: usize = 1 << 20;

fn perr(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes `rows` to `path`.
pub fn write(path: &Path, rows: &[IndicatorRow]) -> Result<(), SweepError> {
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(|e| perr(path, e))?);
    let props = Arc::new(
        bloc_results::pinned_properties(&format!("bloc-sweep {}", env!("CARGO_PKG_VERSION")))
            .set_max_row_group_size(ROW_GROUP)
            .build(),
    );
    let file = std::fs::File::create(path).map_err(|e| perr(path, e))?;
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(|e| perr(path, e))?;
    for chunk in rows.chunks(ROW_GROUP) {
        let mut rg = writer.next_row_group().map_err(|e| perr(path, e))?;
        let mut column = 0;
        while let Some(mut col) = rg.next_column().map_err(|e| perr(path, e))? {
            let text = |f: fn(&IndicatorRow) -> &str| -> Vec<ByteArray> {
                chunk.iter().map(|r| ByteArray::from(f(r))).collect()
            };
            match column {
                0 => {
                    let v: Vec<i64> = chunk.iter().map(|r| r.sample as i64).collect();
                    col.typed::<Int64Type>().write_batch(&v, None, None)
                }
                1 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&text(|r| &r.period), None, None),
                2 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&text(|r| &r.indicator), None, None),
                3 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&text(|r| &r.scope), None, None),
                _ => {
                    let v: Vec<f64> = chunk.iter().map(|r| r.value).collect();
                    col.typed::<DoubleType>().write_batch(&v, None, None)
                }
            }
            .map_err(|e| perr(path, e))?;
            col.close().map_err(|e| perr(path, e))?;
            column += 1;
        }
        rg.close().map_err(|e| perr(path, e))?;
    }
    writer.close().map_err(|e| perr(path, e))?;
    Ok(())
}

/// Reads every row of an `indicators.parquet`.
pub fn read(path: &Path) -> Result<Vec<IndicatorRow>, SweepError> {
    let file = std::fs::File::open(path).map_err(|e| perr(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| perr(path, e))?;
    let expected = parse_message_type(SCHEMA).map_err(|e| perr(path, e))?;
    if reader.metadata().file_metadata().schema() != &expected {
        return Err(perr(
            path,
            "this is not a bloc sweep indicators file (its columns differ)",
        ));
    }
    let mut out = Vec::with_capacity(reader.metadata().file_metadata().num_rows() as usize);
    for row in reader.get_row_iter(None).map_err(|e| perr(path, e))? {
        let row = row.map_err(|e| perr(path, e))?;
        let sample = row.get_long(0).map_err(|e| perr(path, e))?;
        out.push(IndicatorRow {
            sample: u64::try_from(sample).map_err(|e| perr(path, e))?,
            period: row.get_string(1).map_err(|e| perr(path, e))?.clone(),
            indicator: row.get_string(2).map_err(|e| perr(path, e))?.clone(),
            scope: row.get_string(3).map_err(|e| perr(path, e))?.clone(),
            value: row.get_double(4).map_err(|e| perr(path, e))?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_and_bytes_are_stable() {
        let rows: Vec<IndicatorRow> = (0..50)
            .map(|i| IndicatorRow {
                sample: i / 5,
                period: format!("2026Q{}", i % 4 + 1),
                indicator: "hhi".into(),
                scope: format!("commodity:c{}", i % 3),
                value: 1.0 / (i as f64 + 3.0),
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        write(&a, &rows).unwrap();
        write(&b, &rows).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert_eq!(read(&a).unwrap(), rows);
    }
}
