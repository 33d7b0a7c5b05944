//! CSV (RFC 4180): a header line, then one line per row; nulls are empty
//! fields, floats are written with full precision.

use std::io::{self, Write};

use super::table::{Cell, Table};

/// Quotes a field when it needs it.
///
/// ```
/// use tabletalk::report::csv::field;
/// assert_eq!(field("plain"), "plain");
/// assert_eq!(field("a, \"b\""), "\"a, \"\"b\"\"\"");
/// ```
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The text of one cell.
pub fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(v) => v.as_deref().map(field).unwrap_or_default(),
        Cell::Int(v) => v.map(|v| v.to_string()).unwrap_or_default(),
        Cell::Float(v) => v
            .filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default(),
    }
}

/// Writes the table.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(table: &Table, out: &mut dyn Write) -> io::Result<()> {
    let header: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in &table.rows {
        let line: Vec<String> = row.iter().map(cell).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}
