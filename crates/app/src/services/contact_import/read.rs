//! An uploaded file as rows of text: CSV (`,`, `;` or tab, UTF-8 with or without BOM) or the
//! first sheet of an `.xlsx` workbook, told apart by the first bytes (a ZIP starts with `PK`),
//! never by the name.

use super::{target_of, Target};
use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Text;
use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::Cursor;

/// One data row: its line in the file (the header is line 1) and its cells, trimmed.
pub(crate) struct SheetRow {
    pub line: usize,
    pub cells: Vec<String>,
}

pub(crate) struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
}

/// The most columns a file may have (a contact has at most 30 custom fields beside the named
/// columns): with the row limit it bounds the memory a file takes once read.
const MAX_COLUMNS: u32 = 50;

fn file_error(message: Text) -> ServiceError {
    ServiceError::invalid("file", message)
}

/// Reads the whole file; refuses more than `max_rows` data rows.
pub(crate) fn read(data: &[u8], max_rows: usize) -> ServiceResult<Sheet> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(file_error(Text::new("error-import-empty")));
    }
    let sheet = if data.starts_with(b"PK") { read_xlsx(data, max_rows)? } else { read_csv(data, max_rows)? };
    if sheet.headers.iter().all(|h| h.is_empty()) {
        return Err(file_error(Text::new("error-import-no-header")));
    }
    Ok(sheet)
}

fn too_many(max_rows: usize) -> ServiceError {
    file_error(Text::new("error-import-too-many-rows").arg("max", max_rows))
}

fn read_csv(data: &[u8], max_rows: usize) -> ServiceResult<Sheet> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if let Err(e) = std::str::from_utf8(data) {
        let line = data[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(file_error(Text::new("error-import-encoding").arg("line", line)));
    }
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter(data)).from_reader(data);
    let mut headers = None;
    let mut rows = Vec::new();
    let mut lines = Lines { data, pos: 0, line: 1 };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let detail = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        return Err(file_error(Text::new("error-import-encoding").arg("line", line)))
                    }
                    _ => e.to_string(),
                };
                return Err(file_error(Text::new("error-import-csv").arg("line", line).arg("detail", detail)));
            }
        }
        if record.len() > MAX_COLUMNS as usize {
            return Err(file_error(Text::new("error-import-too-many-columns").arg("max", MAX_COLUMNS)));
        }
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if headers.is_none() {
            headers = Some(cells);
            continue;
        }
        if rows.len() == max_rows {
            return Err(too_many(max_rows));
        }
        let line = match record.position() {
            Some(p) => lines.at(p.byte() as usize),
            None => rows.len() + 2,
        };
        rows.push(SheetRow { line, cells });
    }
    Ok(Sheet { headers: headers.unwrap_or_default(), rows })
}

/// Line numbers by byte offset, counted as the reader moves on. The csv reader's own line
/// count is one short after a CRLF line end or a blank line: a record's offset can point at
/// the end of the line before it, so line ends there are skipped first.
struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let mut offset = offset.min(self.data.len());
        while offset < self.data.len() && matches!(self.data[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset > self.pos {
            self.line += self.data[self.pos..offset].iter().filter(|b| **b == b'\n').count();
            self.pos = offset;
        }
        self.line
    }
}

/// `,` unless the header line has more `;` (as Excel writes CSV where the decimal point is a
/// comma, Indonesia included) or tabs.
fn delimiter(data: &[u8]) -> u8 {
    let first = data.split(|b| *b == b'\n').next().unwrap_or(data);
    let count = |d: u8| first.iter().filter(|b| **b == d).count();
    let (comma, semicolon, tab) = (count(b','), count(b';'), count(b'\t'));
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

/// The first sheet, cell by cell. Not as calamine's whole `Range`: a sheet's used range can
/// claim billions of empty cells (one stray cell at XFD1048576 in an otherwise small file),
/// which a range allocates up front; here every cell's position is checked as it is read.
fn read_xlsx(data: &[u8], max_rows: usize) -> ServiceResult<Sheet> {
    let unreadable = |detail: String| file_error(Text::new("error-import-xlsx").arg("detail", detail));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(data)).map_err(|e| unreadable(e.to_string()))?;
    let Some(name) = book.sheet_names().into_iter().next() else {
        return Err(file_error(Text::new("error-import-no-header")));
    };
    let mut reader = book.worksheet_cells_reader(&name).map_err(|e| unreadable(e.to_string()))?;
    let mut grid: BTreeMap<u32, Vec<(u32, Data)>> = BTreeMap::new();
    let mut first_row: Option<u32> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
        let value = Data::from(cell.get_value().clone());
        if matches!(value, Data::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            return Err(file_error(Text::new("error-import-too-many-columns").arg("max", MAX_COLUMNS)));
        }
        let first = *first_row.get_or_insert(row);
        if row < first || (row - first) as usize > max_rows {
            return Err(too_many(max_rows));
        }
        grid.entry(row).or_default().push((col, value));
    }
    let (Some(first), Some(&last)) = (first_row, grid.keys().next_back()) else {
        return Err(file_error(Text::new("error-import-empty")));
    };
    let line_of = |row: u32, number_columns: &[bool]| {
        let found = grid.get(&row).map(Vec::as_slice).unwrap_or_default();
        let width = found.iter().map(|(col, _)| *col as usize + 1).max().unwrap_or(0);
        let mut cells = vec![String::new(); width];
        for (col, value) in found {
            cells[*col as usize] = text(value, number_columns.get(*col as usize).copied().unwrap_or(false));
        }
        cells
    };
    let headers = line_of(first, &[]);
    let number_columns: Vec<bool> = headers.iter().map(|h| matches!(target_of(h), Target::Number)).collect();
    // Rows without a cell in between are empty rows of the file, reported as such.
    let rows = (first + 1..=last)
        .map(|row| SheetRow { line: row as usize + 1, cells: line_of(row, &number_columns) })
        .collect();
    Ok(Sheet { headers, rows })
}

/// A cell as the text a person sees. Excel keeps numbers as floats (a phone number typed
/// without a leading `'` becomes 6.28121e12): whole numbers come back as their digits. In a
/// number column Excel also drops the leading 0 of `0812…`: a whole number starting with 8
/// and 9 to 12 digits long is read as an Indonesian mobile number and gets its 0 back.
fn text(cell: &Data, number_column: bool) -> String {
    let whole = |digits: String| {
        if number_column && digits.starts_with('8') && (9..=12).contains(&digits.len()) {
            format!("0{digits}")
        } else {
            digits
        }
    };
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => whole(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e16 => whole(format!("{f:.0}")),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD` (with `HH:MM` when it has a time).
fn excel_date(serial: f64) -> String {
    // Beyond Excel's dates (1900 to 9999) a serial is only a number (and `Duration::days`
    // would overflow).
    if !serial.is_finite() || !(-700_000.0..=2_958_466.0).contains(&serial) {
        return serial.to_string();
    }
    let days = serial.floor();
    let epoch = time::macros::date!(1899 - 12 - 30);
    let Some(date) = epoch.checked_add(time::Duration::days(days as i64)) else { return serial.to_string() };
    let minutes = ((serial - days) * 24.0 * 60.0).round() as i64;
    if minutes == 0 {
        date.to_string()
    } else {
        format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_and_semicolons_keeps_line_numbers() {
        for end in ["\n", "\r\n"] {
            let data =
                format!("\u{FEFF}nama;no_wa{end}Sari;0812 3456 7890{end}{end}\"Budi{end}Jaya\";0813{end}Ani;0814{end}");
            let sheet = read(data.as_bytes(), 10).unwrap();
            assert_eq!(sheet.headers, ["nama", "no_wa"]);
            assert_eq!(sheet.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 6], "{end:?}");
            assert_eq!(sheet.rows[1].cells[0], format!("Budi{end}Jaya"));
        }
    }

    #[test]
    fn bad_files_say_what_to_fix() {
        let err = |data: &[u8]| read(data, 2).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(b"").contains("empty"), "{}", err(b""));
        assert!(err(b"name,phone\nS\xe9ri,0812\n").contains("line 2"), "{}", err(b"name,phone\nS\xe9ri,0812\n"));
        assert!(err(b"a\n1\n2\n3\n").contains('2'));
        assert!(err(b"PK\x03\x04garbage").contains("Excel"));
    }

    #[test]
    fn excel_numbers_come_back_as_digits() {
        assert_eq!(text(&Data::Float(6.28121e12), true), "6281210000000");
        assert_eq!(text(&Data::Float(81234567890.0), true), "081234567890");
        assert_eq!(text(&Data::Float(81234567890.0), false), "81234567890");
        assert_eq!(text(&Data::Float(1.5), false), "1.5");
        assert_eq!(excel_date(45366.0), "2024-03-15");
    }
}
