//! Reading one CSV table against its schema: the header names columns in any order, a column
//! outside the schema is an error unless its name starts with `note`, a missing required
//! column is an error. Cells are trimmed; every cell knows its file, line and column, so a
//! check can say exactly where a value is wrong.

use crate::ScenarioError;
use std::path::{Path, PathBuf};

/// One column of a table's schema: its name, whether it is required, and all else said of it
/// anywhere. A number column's bound and example are the ones its messages give
/// ([`CsvTable::number`]); the README's format tables are generated from the rest
/// ([`markdown_table`]), so the two cannot drift apart. (On top of the bound, a number must lie
/// within the limits of the unit its name ends in, `limits.rs`.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub required: bool,
    /// The unit (`t/yr`, `USD/t`, `period`), or "" for ids, text and plain numbers.
    pub unit: &'static str,
    /// The range a number must lie in; `None` for a column that is not a number.
    pub bound: Option<Bound>,
    /// A value as written in the file (`1200`, `CHN`).
    pub example: &'static str,
    /// What the column means and any rule beyond its bound, in one line.
    pub doc: &'static str,
}

/// A required column (describe it with [`Column::number`] or [`Column::text`], then
/// [`Column::doc`]).
pub(crate) const fn req(name: &'static str) -> Column {
    Column {
        name,
        required: true,
        unit: "",
        bound: None,
        example: "",
        doc: "",
    }
}

/// An optional column.
pub(crate) const fn opt(name: &'static str) -> Column {
    Column {
        required: false,
        ..req(name)
    }
}

impl Column {
    /// A number in `unit` within `bound`, as `example`.
    pub(crate) const fn number(
        self,
        unit: &'static str,
        bound: Bound,
        example: &'static str,
    ) -> Column {
        Column {
            unit,
            bound: Some(bound),
            example,
            ..self
        }
    }

    /// Text (an id, a name, a period) in `unit` ("" for none), as `example`.
    pub(crate) const fn text(self, unit: &'static str, example: &'static str) -> Column {
        Column {
            unit,
            bound: None,
            example,
            ..self
        }
    }

    /// What the column means.
    pub(crate) const fn doc(self, doc: &'static str) -> Column {
        Column { doc, ..self }
    }

    /// The name as the README writes it: `` `name` ``, or `` `[name]` `` when optional.
    fn shown(&self) -> String {
        if self.required {
            format!("`{}`", self.name)
        } else {
            format!("`[{}]`", self.name)
        }
    }
}

/// The columns of one table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    /// The `[tables]` key that names the file (`processes`).
    pub table: &'static str,
    pub columns: &'static [Column],
}

impl Schema {
    /// The column `name`. Naming a column outside the schema is a programming error (see
    /// [`CsvTable::cell`]).
    fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The README's format table of one CSV table, made from its schema: one row per column with
/// its unit, range, example and meaning (`[x]` marks an optional column). A test checks that
/// README.md holds exactly this text for every table.
// Only the README test calls it; the attribute keeps the fields it alone reads alive.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn markdown_table(schema: &Schema) -> String {
    let mut out = format!(
        "`{}`:\n\n| column | unit | range | example | meaning |\n| --- | --- | --- | --- | --- |\n",
        schema.table
    );
    for c in schema.columns {
        let range = c.bound.map(Bound::symbol).unwrap_or_default();
        let example = if c.example.is_empty() {
            String::new()
        } else {
            format!("`{}`", c.example)
        };
        let cells = [
            c.shown(),
            c.unit.to_string(),
            range,
            example,
            c.doc.to_string(),
        ];
        out.push('|');
        for cell in cells {
            if cell.is_empty() {
                out.push_str(" |");
            } else {
                out.push_str(&format!(" {cell} |"));
            }
        }
        out.push('\n');
    }
    out
}

/// A table read against its schema.
#[derive(Debug)]
pub(crate) struct CsvTable {
    pub file: PathBuf,
    pub schema: Schema,
    /// For each schema column, its position in the file's rows (None: optional and absent).
    index: Vec<Option<usize>>,
    /// The line of the header (1 unless blank lines precede it).
    header_line: usize,
    pub rows: Vec<Row>,
}

/// One data row: its 1-based line and trimmed cells.
#[derive(Debug)]
pub(crate) struct Row {
    pub line: usize,
    cells: Vec<String>,
}

/// One cell, with its place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell<'a> {
    pub file: &'a Path,
    pub line: usize,
    pub column: &'static str,
    pub text: &'a str,
    /// The column's bound (`None`: not a number column) and example, from the schema.
    bound: Option<Bound>,
    example: &'static str,
}

/// A numeric range a cell must lie in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bound {
    /// `>= x`
    AtLeast(f64),
    /// `> x`
    Above(f64),
    /// `< x`
    Below(f64),
}

impl Bound {
    fn holds(self, v: f64) -> bool {
        match self {
            Bound::AtLeast(x) => v >= x,
            Bound::Above(x) => v > x,
            Bound::Below(x) => v < x,
        }
    }
    /// The bound as the README writes it (`≥ 0`, `> −1`).
    fn symbol(self) -> String {
        let (op, x) = match self {
            Bound::AtLeast(x) => ("≥", x),
            Bound::Above(x) => (">", x),
            Bound::Below(x) => ("<", x),
        };
        format!("{op} {}", format!("{x}").replace('-', "−"))
    }
    fn describe(self) -> String {
        match self {
            Bound::AtLeast(0.0) => "zero or more (not negative)".to_string(),
            Bound::AtLeast(x) => format!("at least {x}"),
            Bound::Above(0.0) => "greater than 0".to_string(),
            Bound::Above(x) => format!("greater than {x}"),
            Bound::Below(0.0) => "negative (less than 0)".to_string(),
            Bound::Below(x) => format!("less than {x}"),
        }
    }
}

impl Cell<'_> {
    /// An error at this cell.
    pub fn error(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError::invalid(
            self.file.to_path_buf(),
            Some(self.line),
            Some(self.column),
            message,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// A required number within the column's bound; a message gives the column's example.
    ///
    /// Only for a number column of the schema (one with a bound): anything else is a
    /// programming error, which `every_column_read_is_in_a_schema` checks the loaders for.
    pub fn number(&self) -> Result<f64, ScenarioError> {
        let Some(bound) = self.bound else {
            panic!(
                "programming error: `{}` is read as a number but its schema gives it no bound",
                self.column
            )
        };
        self.number_in(bound, self.example)
    }

    /// An optional number within the column's bound (empty: `None`).
    pub fn opt_number(&self) -> Result<Option<f64>, ScenarioError> {
        if self.text.is_empty() {
            Ok(None)
        } else {
            self.number().map(Some)
        }
    }

    /// A required number in `bound`; a message gives `example`.
    fn number_in(&self, bound: Bound, example: &str) -> Result<f64, ScenarioError> {
        if self.text.is_empty() {
            return Err(self.error(format!(
                "the cell is empty; write a number that is {}, as `{example}`",
                bound.describe()
            )));
        }
        let v = parse_number(self.text).map_err(|m| self.error(format!("{m}, as `{example}`")))?;
        if !bound.holds(v) {
            return Err(self.error(format!(
                "`{}` is out of range: {} must be {}, as `{example}`",
                self.text,
                self.column,
                bound.describe()
            )));
        }
        super::limits::check(self.column, v)
            .map_err(|m| self.error(format!("{m}; as `{example}`")))?;
        Ok(v)
    }
}

/// Plain decimals and exponents (`12.5`, `-3`, `1e6`); never NaN or infinities.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    let lower = text.to_ascii_lowercase();
    if lower.contains("nan") || lower.contains("inf") {
        return Err(format!(
            "`{text}` is not allowed: NaN and infinities are not numbers here; write a finite plain decimal"
        ));
    }
    match text.parse::<f64>() {
        Ok(v) if plain && v.is_finite() => Ok(v),
        Ok(_) if plain => Err(format!(
            "`{text}` is too large; write a finite plain decimal"
        )),
        _ => Err(format!(
            "`{text}` is not a number; write a plain decimal (`1e6` is allowed)"
        )),
    }
}

impl CsvTable {
    /// Reads `bytes` (UTF-8, with or without a BOM; LF or CRLF) as the table `schema`.
    pub fn read(file: &Path, bytes: &[u8], schema: Schema) -> Result<CsvTable, ScenarioError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let at = |line: usize, field: Option<&str>, msg: String| {
            ScenarioError::invalid(file.to_path_buf(), Some(line), field, msg)
        };
        let mut records = split_records(bytes).into_iter();
        let expected: Vec<&str> = schema.columns.iter().map(|c| c.name).collect();
        let Some((header_line, header_cells)) = records.next() else {
            return Err(at(
                1,
                None,
                format!(
                    "the file is empty; it needs a header row: `{}`",
                    expected.join(",")
                ),
            ));
        };
        let header = Row {
            line: header_line,
            cells: decode_cells(&header_cells).map_err(|i| {
                at(
                    header_line,
                    None,
                    format!(
                        "column name {} is not valid UTF-8 text; save the file as UTF-8",
                        i + 1
                    ),
                )
            })?,
        };
        let index = check_header(file, &header, schema)?;
        let width = header.cells.len();
        let mut data = Vec::new();
        for (line, raw) in records {
            let cells = decode_cells(&raw).map_err(|i| {
                let column = header
                    .cells
                    .get(i)
                    .map(String::as_str)
                    .filter(|c| !c.is_empty());
                at(
                    line,
                    column,
                    "this cell is not valid UTF-8 text; save the file as UTF-8".to_string(),
                )
            })?;
            let row = Row { line, cells };
            if row.cells.iter().all(|c| c.is_empty()) {
                continue; // a blank line, or one of only commas
            }
            if row.cells.len() != width {
                return Err(at(
                    row.line,
                    None,
                    format!(
                        "this row has {} cells but the header has {} columns; give every row one cell per column",
                        row.cells.len(),
                        width
                    ),
                ));
            }
            data.push(row);
        }
        Ok(CsvTable {
            file: file.to_path_buf(),
            schema,
            index,
            header_line: header.line,
            rows: data,
        })
    }

    /// Whether the file has a column (always true for required ones).
    #[cfg(test)]
    pub fn has(&self, column: &str) -> bool {
        self.position(column).is_some()
    }

    fn position(&self, column: &str) -> Option<usize> {
        self.schema
            .columns
            .iter()
            .position(|c| c.name == column)
            .and_then(|i| self.index.get(i).copied().flatten())
    }

    /// The cell of `row` in `column` (empty when an optional column is absent).
    ///
    /// `column` must be a column of the table's schema: a misspelt name would read as an
    /// absent optional column, silently. That is a programming error: it fails every debug
    /// build (so every test) that reads such a table, and `every_column_read_is_in_a_schema`
    /// checks the loaders' source for it.
    pub fn cell<'a>(&'a self, row: &'a Row, column: &'static str) -> Cell<'a> {
        let spec = self.schema.column(column);
        debug_assert!(
            spec.is_some(),
            "programming error: `{column}` is not a column of the `{}` schema",
            self.schema.table
        );
        let text = self
            .position(column)
            .and_then(|i| row.cells.get(i))
            .map_or("", String::as_str);
        Cell {
            file: &self.file,
            line: row.line,
            column,
            text,
            bound: spec.and_then(|c| c.bound),
            example: spec.map_or("", |c| c.example),
        }
    }

    /// The number in `row`'s `column`, within the bound and with the example the schema gives
    /// that column ([`Cell::number`]).
    pub fn number(&self, row: &Row, column: &'static str) -> Result<f64, ScenarioError> {
        self.cell(row, column).number()
    }

    /// The number in `row`'s `column`, or `None` when the cell is empty ([`Cell::opt_number`]).
    pub fn opt_number(
        &self,
        row: &Row,
        column: &'static str,
    ) -> Result<Option<f64>, ScenarioError> {
        self.cell(row, column).opt_number()
    }

    /// An error for the whole table (at its header).
    pub fn error(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError::invalid(self.file.clone(), Some(self.header_line), None, message)
    }
}

/// Cells as trimmed text, or the index of the first that is not UTF-8.
fn decode_cells(raw: &[Vec<u8>]) -> Result<Vec<String>, usize> {
    raw.iter()
        .enumerate()
        .map(|(i, c)| {
            std::str::from_utf8(c)
                .map(|t| t.trim().to_string())
                .map_err(|_| i)
        })
        .collect()
}

/// Splits CSV bytes into records of raw cells, each with the 1-based line it starts on.
///
/// RFC 4180 with the usual leniency: a record ends at LF, CRLF or a lone CR outside quotes;
/// a quoted cell may hold commas, line breaks and doubled quotes (`""`); a quote inside an
/// unquoted cell is kept as text. Empty lines yield no record. (Written here rather than
/// taken from the `csv` crate because its reported line numbers skip blank lines, and a
/// message must point at the right line.)
pub(crate) fn split_records(bytes: &[u8]) -> Vec<(usize, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        // At the start of a record.
        if bytes[i] == b'\n' || bytes[i] == b'\r' {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            i += 1;
            line += 1;
            continue; // an empty line
        }
        let start_line = line;
        let mut cells = Vec::new();
        let mut cell = Vec::new();
        let mut quoted = false;
        let mut at_cell_start = true;
        while i < n {
            let b = bytes[i];
            if quoted {
                match b {
                    b'"' if bytes.get(i + 1) == Some(&b'"') => {
                        cell.push(b'"');
                        i += 2;
                        continue;
                    }
                    b'"' => quoted = false,
                    b'\n' => {
                        line += 1;
                        cell.push(b);
                    }
                    _ => cell.push(b),
                }
                i += 1;
                continue;
            }
            match b {
                b'"' if at_cell_start => {
                    quoted = true;
                    at_cell_start = false;
                }
                b',' => {
                    cells.push(std::mem::take(&mut cell));
                    at_cell_start = true;
                    i += 1;
                    continue;
                }
                b'\n' | b'\r' => break,
                b' ' | b'\t' if at_cell_start => cell.push(b),
                _ => {
                    cell.push(b);
                    at_cell_start = false;
                }
            }
            i += 1;
        }
        cells.push(cell);
        out.push((start_line, cells));
        // The record's terminator.
        if i < n {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            i += 1;
            line += 1;
        }
    }
    out
}

/// Checks the header against the schema: every column known (or a `note…` column), none
/// twice, every required one present. Returns, per schema column, its position.
fn check_header(
    file: &Path,
    header: &Row,
    schema: Schema,
) -> Result<Vec<Option<usize>>, ScenarioError> {
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name).collect();
    let list = || {
        schema
            .columns
            .iter()
            .map(|c| {
                if c.required {
                    c.name.to_string()
                } else {
                    format!("[{}]", c.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let err = |field: &str, msg: String| {
        ScenarioError::invalid(file.to_path_buf(), Some(header.line), Some(field), msg)
    };
    let mut index = vec![None; schema.columns.len()];
    for (pos, name) in header.cells.iter().enumerate() {
        if name.starts_with("note") {
            continue;
        }
        match names.iter().position(|n| n == name) {
            Some(i) => {
                if index[i].is_some() {
                    return Err(err(
                        name,
                        format!("column `{name}` appears twice in the header; keep one"),
                    ));
                }
                index[i] = Some(pos);
            }
            None => {
                let owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
                let hint = match super::check::nearest(name, &owned) {
                    Some(n) => format!("did you mean `{n}`? "),
                    None => String::new(),
                };
                let shown = if name.is_empty() {
                    "(empty)"
                } else {
                    name.as_str()
                };
                return Err(err(
                    shown,
                    format!(
                        "unknown column `{shown}`; {hint}the columns of {} are {} (a column whose name starts with `note` is ignored)",
                        schema.table,
                        list()
                    ),
                ));
            }
        }
    }
    for (i, c) in schema.columns.iter().enumerate() {
        if c.required && index[i].is_none() {
            return Err(err(
                c.name,
                format!(
                    "the required column `{}` is missing from the header; the columns of {} are {}",
                    c.name,
                    schema.table,
                    list()
                ),
            ));
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schema = Schema {
        table: "demo",
        columns: &[
            req("id").text("", "a").doc("an id"),
            req("value")
                .number("t/yr", Bound::AtLeast(0.0), "10")
                .doc("a quantity"),
            opt("extra")
                .number("", Bound::Above(-1.0), "0.5")
                .doc("a rate"),
        ],
    };

    fn read(text: &[u8]) -> Result<CsvTable, ScenarioError> {
        CsvTable::read(Path::new("d.csv"), text, S)
    }

    #[test]
    fn bom_crlf_order_notes_and_blank_lines() {
        let t = read(b"\xEF\xBB\xBFvalue , note_x,id\r\n 1.5 ,hello, a \r\n\r\n,,\r\n2,,b\r\n")
            .unwrap();
        assert_eq!(t.rows.len(), 2);
        let r = &t.rows[0];
        assert_eq!(t.cell(r, "id").text, "a");
        assert_eq!(t.cell(r, "value").text, "1.5");
        assert_eq!(t.cell(r, "extra").text, "");
        assert!(!t.has("extra"));
        assert_eq!(t.rows[1].line, 5);
    }

    #[test]
    fn splits_records_with_true_lines() {
        let r = split_records(b"h,i\r\na,\"x,\ny\"\"z\"\r\n\r\n\n b ,c\rd,e");
        let lines: Vec<usize> = r.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 2, 6, 7]);
        assert_eq!(r[1].1, vec![b"a".to_vec(), b"x,\ny\"z".to_vec()]);
        assert_eq!(r[2].1, vec![b" b ".to_vec(), b"c".to_vec()]);
        assert_eq!(split_records(b"").len(), 0);
        assert_eq!(split_records(b"\"open").len(), 1);
    }

    #[test]
    fn header_errors() {
        let e = read(b"id,valu\n").unwrap_err().to_string();
        assert!(
            e.starts_with("d.csv:1: field `valu`: unknown column `valu`; did you mean `value`?"),
            "{e}"
        );
        let e = read(b"id\n").unwrap_err().to_string();
        assert!(
            e.starts_with("d.csv:1: field `value`: the required column"),
            "{e}"
        );
        let e = read(b"").unwrap_err().to_string();
        assert!(e.contains("the file is empty"), "{e}");
        let e = read(b"id,value\na,1,2\n").unwrap_err().to_string();
        assert!(e.starts_with("d.csv:2: this row has 3 cells"), "{e}");
        let e = read(b"id,value\na,\xff\n").unwrap_err().to_string();
        assert!(e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1e6"), Ok(1e6));
        assert_eq!(parse_number("-0.5"), Ok(-0.5));
        assert!(parse_number("NaN").is_err());
        assert!(parse_number("inf").is_err());
        assert!(parse_number("-Infinity").is_err());
        assert!(parse_number("1,5").is_err());
        assert!(parse_number("0x10").is_err());
        assert!(parse_number("1e999").is_err());
        let t = read(b"id,value\na,-1\n").unwrap();
        let e = t.number(&t.rows[0], "value").unwrap_err().to_string();
        assert_eq!(
            e,
            "d.csv:2: field `value`: `-1` is out of range: value must be zero or more (not negative), as `10`"
        );
        assert_eq!(t.opt_number(&t.rows[0], "extra").unwrap(), None);
        let t = read(b"id,value,extra\na,,-2\n").unwrap();
        let e = t.number(&t.rows[0], "value").unwrap_err().to_string();
        assert_eq!(
            e,
            "d.csv:2: field `value`: the cell is empty; write a number that is zero or more (not negative), as `10`"
        );
        let e = t.opt_number(&t.rows[0], "extra").unwrap_err().to_string();
        assert_eq!(
            e,
            "d.csv:2: field `extra`: `-2` is out of range: extra must be greater than -1, as `0.5`"
        );
    }

    #[test]
    #[should_panic(expected = "`id` is read as a number but its schema gives it no bound")]
    fn a_text_column_read_as_a_number_is_a_programming_error() {
        let t = read(b"id,value\na,1\n").unwrap();
        let _ = t.number(&t.rows[0], "id");
    }

    #[test]
    fn markdown_table_from_the_schema() {
        assert_eq!(
            markdown_table(&S),
            "`demo`:\n\n\
             | column | unit | range | example | meaning |\n\
             | --- | --- | --- | --- | --- |\n\
             | `id` | | | `a` | an id |\n\
             | `value` | t/yr | ≥ 0 | `10` | a quantity |\n\
             | `[extra]` | | > −1 | `0.5` | a rate |\n"
        );
    }
}
