//! A result table as a Parquet file (`bloc run --format parquet`).
//!
//! Columns are typed from their cells: a column whose every cell is a number or empty is a
//! nullable DOUBLE (empty cells are nulls), one whose every cell is `true`, `false` or empty a
//! nullable BOOLEAN (as pandas reads such a CSV column), any other a nullable UTF8 (empty
//! cells are nulls, as pandas reads an empty CSV cell). A column with no cell at all (an
//! `indicators.csv` split column a run does not use) is a DOUBLE of nulls, as pandas reads it. Written with the `parquet` crate's column writer (no
//! Arrow), with pinned settings (fixed `created_by`, Snappy, no key-value metadata), so the
//! same table always gives the same bytes.

use crate::Table;
use parquet::basic::{Compression, ConvertedType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType};
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder, WriterVersion,
};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A column's Parquet type, from its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Every cell a number (or empty).
    Number,
    /// Every cell `true` or `false` (or empty).
    Bool,
    /// Anything else.
    Text,
}

/// The kind of column `c` of `t`. A column of empty cells only is a number column of nulls,
/// as pandas reads an all-empty CSV column (float NaN).
pub(crate) fn kind(t: &Table, c: usize) -> Kind {
    let (mut number, mut boolean, mut any) = (true, true, false);
    for r in &t.rows {
        let cell = r[c].as_str();
        if cell.is_empty() {
            continue;
        }
        any = true;
        number &= cell.parse::<f64>().is_ok();
        boolean &= cell == "true" || cell == "false";
        if !number && !boolean {
            return Kind::Text;
        }
    }
    match (any, number, boolean) {
        (false, _, _) | (true, true, _) => Kind::Number,
        (true, _, true) => Kind::Bool,
        _ => Kind::Text,
    }
}

/// The writer settings every Parquet file of bloc is written with, so that the same rows give
/// the same bytes: a fixed `created_by` (the writing crate and version, no time or host),
/// Parquet 1.0, Snappy, statistics per column chunk. Callers add what is theirs (row group
/// size) before `build()`.
pub fn pinned_properties(created_by: &str) -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_created_by(created_by.to_string())
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk)
}

fn err(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{}: {e}", path.display()))
}

/// Writes `t` to `path` as one row group.
pub(crate) fn write(path: &Path, t: &Table) -> io::Result<()> {
    let kinds: Vec<Kind> = (0..t.header.len()).map(|c| kind(t, c)).collect();
    let mut fields = Vec::with_capacity(kinds.len());
    for (name, k) in t.header.iter().zip(&kinds) {
        let field = match k {
            Kind::Number => Type::primitive_type_builder(name, Physical::DOUBLE),
            Kind::Bool => Type::primitive_type_builder(name, Physical::BOOLEAN),
            Kind::Text => Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
                .with_converted_type(ConvertedType::UTF8),
        }
        .with_repetition(Repetition::OPTIONAL)
        .build()
        .map_err(|e| err(path, e))?;
        fields.push(Arc::new(field));
    }
    let schema = Type::group_type_builder("table")
        .with_fields(fields)
        .build()
        .map_err(|e| err(path, e))?;
    let props =
        Arc::new(pinned_properties(&format!("bloc-results {}", env!("CARGO_PKG_VERSION"))).build());
    let file = std::fs::File::create(path)?;
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), props).map_err(|e| err(path, e))?;
    let mut rg = writer.next_row_group().map_err(|e| err(path, e))?;
    let mut c = 0;
    while let Some(mut col) = rg.next_column().map_err(|e| err(path, e))? {
        let cells = t.rows.iter().map(|r| r[c].as_str());
        let levels: Vec<i16> = cells.clone().map(|s| i16::from(!s.is_empty())).collect();
        let present = cells.filter(|s| !s.is_empty());
        match kinds[c] {
            Kind::Number => {
                let v = present
                    .map(|s| s.parse::<f64>().map_err(|e| err(path, e)))
                    .collect::<io::Result<Vec<f64>>>()?;
                col.typed::<DoubleType>()
                    .write_batch(&v, Some(&levels), None)
            }
            Kind::Bool => {
                let v: Vec<bool> = present.map(|s| s == "true").collect();
                col.typed::<BoolType>().write_batch(&v, Some(&levels), None)
            }
            Kind::Text => {
                let v: Vec<ByteArray> = present.map(ByteArray::from).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&v, Some(&levels), None)
            }
        }
        .map_err(|e| err(path, e))?;
        col.close().map_err(|e| err(path, e))?;
        c += 1;
    }
    rg.close().map_err(|e| err(path, e))?;
    writer.close().map_err(|e| err(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn table() -> Table {
        let mut t = Table::new(
            "prices.csv",
            &["period", "region", "price", "note", "binding"],
            2,
        );
        t.push(vec![
            "2026Q1".into(),
            "USA".into(),
            "12.5".into(),
            "".into(),
            "true".into(),
        ]);
        t.push(vec![
            "2026Q1".into(),
            "CHN".into(),
            "".into(),
            "a,b".into(),
            "".into(),
        ]);
        t.push(vec![
            "2026Q2".into(),
            "USA".into(),
            "-3".into(),
            "x".into(),
            "false".into(),
        ]);
        t
    }

    #[test]
    fn columns_are_typed_from_their_cells() {
        let t = table();
        let kinds: Vec<Kind> = (0..5).map(|c| kind(&t, c)).collect();
        assert_eq!(
            kinds,
            [Kind::Text, Kind::Text, Kind::Number, Kind::Text, Kind::Bool]
        );
        let mut empty = Table::new("e.csv", &["a"], 1);
        empty.push(vec![String::new()]);
        empty.push(vec![String::new()]);
        assert_eq!(kind(&empty, 0), Kind::Number);
    }

    #[test]
    fn cells_read_back_with_empty_cells_as_nulls_and_bytes_are_stable() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        write(&a, &table()).unwrap();
        write(&b, &table()).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let reader = SerializedFileReader::new(std::fs::File::open(&a).unwrap()).unwrap();
        let rows: Vec<Vec<Field>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| {
                r.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][2], Field::Double(12.5));
        assert_eq!(rows[0][3], Field::Null);
        assert_eq!(rows[1][2], Field::Null);
        assert_eq!(rows[1][3], Field::Str("a,b".into()));
        assert_eq!(rows[2][2], Field::Double(-3.0));
        assert_eq!(rows[0][4], Field::Bool(true));
        assert_eq!(rows[1][4], Field::Null);
        assert_eq!(rows[2][4], Field::Bool(false));
    }
}
