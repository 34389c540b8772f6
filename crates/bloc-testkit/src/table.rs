//! A CSV file read whole, as text cells, for tests that look at result and input tables.

use std::path::Path;

/// A CSV table: its header and its rows, every cell as text (RFC 4180 quoting, as the
/// result writer writes it). Every row has as many cells as the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The column names, in order.
    pub header: Vec<String>,
    /// The rows below the header; row `i` is line `i + 2` of the file.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV text; `Err` says what is wrong: no header, a row whose cell count is not
    /// the header's (with its line), or text the CSV reader refuses.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            None => return Err("the file is empty (no header)".to_string()),
            Some(r) => r
                .map_err(|e| e.to_string())?
                .iter()
                .map(str::to_string)
                .collect(),
        };
        let mut rows = Vec::new();
        for (i, r) in records.enumerate() {
            let row: Vec<String> = r
                .map_err(|e| e.to_string())?
                .iter()
                .map(str::to_string)
                .collect();
            if row.len() != header.len() {
                return Err(format!(
                    "line {} has {} cells, the header {}",
                    i + 2,
                    row.len(),
                    header.len()
                ));
            }
            rows.push(row);
        }
        Ok(Table { header, rows })
    }

    /// Reads and parses the file at `path`; panics naming the file when it cannot.
    pub fn read(path: &Path) -> Table {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Table::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The index of the column `name`; panics naming the column and the header when there is
    /// no such column.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cells_are_read_whole_and_crlf_is_a_line_end() {
        let t = Table::parse("a,b\r\nx,\"y,\"\"z\"\"\"\r\n").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows, [["x", "y,\"z\""]]);
        assert_eq!(t.column("b"), 1);
    }

    #[test]
    fn a_short_row_and_an_empty_file_are_errors() {
        assert_eq!(
            Table::parse("a,b\n1,2\n3\n").unwrap_err(),
            "line 3 has 1 cells, the header 2"
        );
        assert_eq!(
            Table::parse("").unwrap_err(),
            "the file is empty (no header)"
        );
    }
}
