//! How the admin commands print answers: the server's JSON as it is (`--output json`), or a table for
//! people (`--output table`): a list as rows under column headings, one object as field/value lines.

use std::io::Write;

use serde_json::Value;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Columns for people.
    Table,
    /// The server's JSON answer, indented.
    Json,
}

/// One column of a list: its heading and where its value is in each item (a JSON pointer).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub heading: &'static str,
    pub pointer: &'static str,
}

pub const fn column(heading: &'static str, pointer: &'static str) -> Column {
    Column { heading, pointer }
}

/// A cell is cut to this many characters in a table (`--output json` shows everything).
const MAX_CELL: usize = 72;

/// A value as a table cell: text as it is, `-` for null or absent, a list of texts comma-separated,
/// counts (an object of numbers) as their non-zero `name=n`, anything else as compact JSON.
pub fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            if items.is_empty() {
                "-".to_owned()
            } else {
                let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                texts.join(",")
            }
        }
        Some(Value::Object(map)) if !map.is_empty() && map.values().all(Value::is_u64) => {
            let counts: Vec<String> = map
                .iter()
                .filter(|(_, n)| n.as_u64() != Some(0))
                .map(|(name, n)| format!("{name}={n}"))
                .collect();
            if counts.is_empty() {
                "0".to_owned()
            } else {
                counts.join(" ")
            }
        }
        Some(other) => other.to_string(),
    };
    cut(text)
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_CELL {
        return text;
    }
    let mut short: String = text.chars().take(MAX_CELL - 1).collect();
    short.push('…');
    short
}

/// `item`'s cells under `columns`.
pub fn row(columns: &[Column], item: &Value) -> Vec<String> {
    columns
        .iter()
        .map(|c| cell(item.pointer(c.pointer)))
        .collect()
}

/// Rows under headings, each column as wide as its widest cell.
pub fn table(columns: &[Column], items: &[Value]) -> String {
    let rows: Vec<Vec<String>> = items.iter().map(|item| row(columns, item)).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([c.heading.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let headings: Vec<String> = columns.iter().map(|c| c.heading.to_owned()).collect();
    for row in std::iter::once(&headings).chain(&rows) {
        out.push_str(&line(row, &widths));
        out.push('\n');
    }
    out
}

/// One row padded to `widths`, without trailing spaces.
pub fn line(cells: &[String], widths: &[usize]) -> String {
    let mut text = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            text.push_str("  ");
        }
        text.push_str(cell);
        if i + 1 < cells.len() {
            text.extend(std::iter::repeat_n(
                ' ',
                width - cell.chars().count().min(*width),
            ));
        }
    }
    text.trim_end().to_owned()
}

/// An object as `field  value` lines: `id` first, then the fields by name.
pub fn fields(value: &Value) -> String {
    let Some(map) = value.as_object() else {
        return format!("{}\n", cell(Some(value)));
    };
    let width = map.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    let id = map.get_key_value("id");
    for (name, value) in id.into_iter().chain(map.iter().filter(|(k, _)| *k != "id")) {
        out.push_str(format!("{name:width$}  {}", cell(Some(value))).trim_end());
        out.push('\n');
    }
    out
}

/// Writes `text` to stdout; a closed pipe (`| head`) ends the command quietly instead of panicking.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// JSON indented, with a final newline.
pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_read_as_text() {
        assert_eq!(cell(None), "-");
        assert_eq!(cell(Some(&json!(null))), "-");
        assert_eq!(cell(Some(&json!("a"))), "a");
        assert_eq!(cell(Some(&json!(["a", "b"]))), "a,b");
        assert_eq!(cell(Some(&json!([]))), "-");
        assert_eq!(
            cell(Some(&json!({"pending": 0, "succeeded": 2, "dead": 1}))),
            "dead=1 succeeded=2"
        );
        assert_eq!(cell(Some(&json!({"pending": 0}))), "0");
        assert_eq!(cell(Some(&json!({"a": "b"}))), r#"{"a":"b"}"#);
        let long = cell(Some(&json!("x".repeat(200))));
        assert_eq!(long.chars().count(), MAX_CELL);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn a_table_aligns_its_columns() {
        let columns = [
            column("ID", "/id"),
            column("URL", "/url"),
            column("N", "/n"),
        ];
        let items = [
            json!({"id": "sub_1", "url": "http://a/", "n": 1}),
            json!({"id": "sub_22", "url": null}),
        ];
        assert_eq!(
            table(&columns, &items),
            "ID      URL        N\nsub_1   http://a/  1\nsub_22  -          -\n"
        );
        assert_eq!(
            fields(&json!({"url": "u", "id": "a", "enabled": true})),
            "id       a\nenabled  true\nurl      u\n"
        );
    }
}
