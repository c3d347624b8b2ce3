//! Writing results: the server's bytes as sent (streamed, constant memory), JSON re-laid out
//! for a terminal, or converted to ndjson, YAML, CSV or a table.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::CliError;
use crate::jsonfmt::{Layout, Relayout};
pub use crate::progress::Progress;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON: pretty on a terminal, the server's bytes otherwise.
    Json,
    /// One compact JSON value per line (the items of a top-level array).
    Ndjson,
    /// YAML.
    Yaml,
    /// CSV with a header row.
    Csv,
    /// Aligned columns.
    Table,
}

impl Format {
    /// Parses `--format`.
    pub fn parse(text: &str) -> Result<Format, CliError> {
        match text.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "yaml" | "yml" => Ok(Format::Yaml),
            "csv" => Ok(Format::Csv),
            "table" => Ok(Format::Table),
            _ => Err(CliError::usage(format!(
                "--format {text}: expected json, ndjson, yaml, csv or table"
            ))),
        }
    }
}

/// How JSON results are shown.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The format (`None`: JSON as sent, pretty on a terminal).
    pub format: Option<Format>,
    /// `--columns` for csv and table.
    pub columns: Option<Vec<String>>,
}

/// Where a result goes: stdout or a file (`-o`), and whether that is a terminal.
///
/// A regular file is written beside its target under a temporary name and renamed over it by
/// [`Sink::commit`], so a failed download leaves an existing file as it was and no half result
/// behind. Anything else (`/dev/null`, a named pipe, `/dev/stdout`) is written directly.
pub struct Sink<'a> {
    writer: Box<dyn AsyncWrite + Send + Unpin + 'a>,
    terminal: bool,
    /// The file named by `-o`, for error messages.
    path: Option<PathBuf>,
    /// The temporary file, and the file it becomes on commit (`path`, or the file a symlink
    /// at `path` points to).
    staged: Option<(tempfile::TempPath, PathBuf)>,
    /// Bytes written so far.
    written: u64,
}

impl<'a> Sink<'a> {
    /// Standard output.
    pub fn stdout(writer: &'a mut (dyn AsyncWrite + Send + Unpin), terminal: bool) -> Sink<'a> {
        Sink {
            writer: Box::new(writer),
            terminal,
            path: None,
            staged: None,
            written: 0,
        }
    }

    /// A file: a temporary one beside `path` when `path` is (or will be) a regular file,
    /// `path` itself otherwise.
    pub async fn file(path: &Path) -> Result<Sink<'a>, CliError> {
        let existing = std::fs::metadata(path).ok();
        let (file, staged) = match &existing {
            Some(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|e| {
                        CliError::Io(format!("-o: cannot open {}: {e}", path.display()))
                    })?;
                (file, None)
            }
            _ => {
                // Through a symlink: the file it points to is replaced, and the link stays.
                let is_link =
                    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                let target = if is_link {
                    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
                } else {
                    path.to_path_buf()
                };
                let (file, temp) = staged_file(&target, existing.as_ref())?;
                (file, Some((temp, target)))
            }
        };
        Ok(Sink {
            writer: Box::new(crate::io::Blocking(std::io::BufWriter::with_capacity(
                256 * 1024,
                file,
            ))),
            terminal: false,
            path: Some(path.to_path_buf()),
            staged,
            written: 0,
        })
    }

    /// Finishes the result: flushes it and, for a staged file, moves it into place.
    pub async fn commit(mut self) -> Result<(), CliError> {
        self.flush().await?;
        drop(self.writer);
        if let Some((temp, target)) = self.staged {
            temp.persist(&target).map_err(|e| {
                CliError::Io(format!("cannot write {}: {}", target.display(), e.error))
            })?;
        }
        Ok(())
    }

    /// Drops a partly written result after a failure: a staged file is removed, so that the
    /// target keeps what it had before the run.
    pub async fn discard(self) {
        drop(self.writer);
        if let Some((temp, _)) = self.staged {
            let _ = temp.close();
        }
    }

    /// Whether the sink is a terminal.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The file named by `-o` (`None`: stdout).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        self.writer
            .write_all(bytes)
            .await
            .map_err(|e| self.io_error(e))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), CliError> {
        self.writer.flush().await.map_err(|e| self.io_error(e))
    }

    fn io_error(&self, e: std::io::Error) -> CliError {
        match &self.path {
            Some(path) => CliError::Io(format!("cannot write {}: {e}", path.display())),
            None if e.kind() == std::io::ErrorKind::BrokenPipe => CliError::BrokenPipe,
            None => CliError::Io(format!("cannot write to stdout: {e}")),
        }
    }
}

/// Creates the temporary file that becomes `path`: in the same directory (so the rename is
/// atomic), with the permissions a new file would get, or those of the file it replaces.
fn staged_file(
    path: &Path,
    existing: Option<&std::fs::Metadata>,
) -> Result<(std::fs::File, tempfile::TempPath), CliError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".{name}.");
    builder.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A new file: 0o666 through the umask, as `File::create` makes it.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let (file, temp) = builder
        .tempfile_in(dir)
        .map_err(|e| CliError::Io(format!("-o: cannot create {}: {e}", path.display())))?
        .into_parts();
    if let Some(meta) = existing {
        // The replaced file's own permissions, exactly (best effort: the bytes matter more).
        let _ = file.set_permissions(meta.permissions());
    }
    Ok((file, temp))
}

/// A body arriving in chunks: a [`looker_sdk::ByteStream`], or bytes already read ([`once`]).
pub trait Chunks: Stream<Item = looker_sdk::Result<Bytes>> + Unpin {}

impl<S: Stream<Item = looker_sdk::Result<Bytes>> + Unpin> Chunks for S {}

/// A body read whole, as [`Chunks`].
pub fn once(bytes: Bytes) -> impl Chunks {
    futures_util::stream::iter([Ok(bytes)])
}

/// Copies a stream to the sink as is (constant memory), with a progress line.
pub async fn copy(
    mut stream: impl Chunks,
    sink: &mut Sink<'_>,
    progress: &mut Progress,
) -> Result<u64, CliError> {
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        sink.write(&chunk).await?;
        progress.advance(chunk.len());
    }
    sink.flush().await?;
    progress.finish();
    Ok(progress.done())
}

/// Writes a JSON answer in `shape`: streamed as sent or re-laid out (json, ndjson); parsed and
/// converted (yaml, csv, table).
pub async fn json(
    mut stream: impl Chunks,
    sink: &mut Sink<'_>,
    shape: &Shape,
    progress: &mut Progress,
) -> Result<(), CliError> {
    let layout = match shape.format {
        None | Some(Format::Json) if sink.is_terminal() => Some(Layout::Pretty),
        None | Some(Format::Json) => None,
        Some(Format::Ndjson) => Some(Layout::Lines),
        Some(format) => {
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                bytes.extend_from_slice(&chunk?);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                CliError::Output(format!(
                    "the answer is not JSON ({e}); cannot show it as {format:?}"
                ))
            })?;
            let text = render_for(&value, format, shape.columns.as_deref(), sink.is_terminal())?;
            sink.write(text.as_bytes()).await?;
            return sink.flush().await;
        }
    };
    let Some(layout) = layout else {
        copy(stream, sink, progress).await?;
        return Ok(());
    };
    let mut machine = Relayout::new(layout);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        out.clear();
        machine.feed(&chunk, &mut out);
        sink.write(&out).await?;
        progress.advance(chunk.len());
    }
    out.clear();
    machine.finish(&mut out);
    sink.write(&out).await?;
    sink.flush().await?;
    progress.finish();
    Ok(())
}

/// Writes items one at a time (`--all`): a JSON array (pretty on a terminal), one item per
/// line, YAML list entries, or CSV rows (the columns from `--columns` or the first item).
pub struct ItemWriter {
    format: Format,
    pretty: bool,
    columns: Option<Vec<String>>,
    count: usize,
    /// csv/table without `--columns` and table always need every item first.
    buffered: Vec<Value>,
}

impl ItemWriter {
    /// A writer for `shape` on `sink`.
    pub fn new(shape: &Shape, sink: &Sink<'_>) -> ItemWriter {
        ItemWriter {
            format: shape.format.unwrap_or(Format::Json),
            pretty: sink.is_terminal(),
            columns: shape.columns.clone(),
            count: 0,
            buffered: Vec::new(),
        }
    }

    /// Writes one item, given as the server sent it: json and ndjson keep its exact text (only
    /// whitespace is re-laid out), the other formats parse it.
    pub async fn item(
        &mut self,
        sink: &mut Sink<'_>,
        item: &serde_json::value::RawValue,
    ) -> Result<(), CliError> {
        let first = self.count == 0;
        self.count += 1;
        let raw = item.get().as_bytes();
        let parse = || -> Result<Value, CliError> {
            serde_json::from_str(item.get())
                .map_err(|e| CliError::Output(format!("an item is not JSON: {e}")))
        };
        let text = match self.format {
            Format::Json if self.pretty => {
                let mut text = String::from(if first { "[\n  " } else { ",\n  " });
                let pretty = crate::jsonfmt::relayout(raw, Layout::Pretty);
                text.push_str(
                    &String::from_utf8_lossy(&pretty)
                        .trim_end()
                        .replace('\n', "\n  "),
                );
                text
            }
            Format::Json => {
                let line = crate::jsonfmt::relayout(raw, Layout::Lines);
                let body = String::from_utf8_lossy(&line);
                format!("{}{}", if first { "[" } else { "," }, body.trim_end())
            }
            Format::Ndjson => {
                String::from_utf8_lossy(&crate::jsonfmt::relayout(raw, Layout::Lines)).into_owned()
            }
            Format::Yaml => yaml(&Value::Array(vec![parse()?]))?,
            Format::Csv if self.columns.is_some() => {
                let item = parse()?;
                let columns = self.columns.clone().unwrap_or_default();
                let mut text = String::new();
                if first {
                    text.push_str(&csv_row(columns.iter().map(String::as_str)));
                }
                let cells: Vec<String> = columns.iter().map(|c| cell(&item, c)).collect();
                text.push_str(&csv_row(cells.iter().map(String::as_str)));
                text
            }
            Format::Csv | Format::Table => {
                self.buffered.push(parse()?);
                return Ok(());
            }
        };
        sink.write(text.as_bytes()).await
    }

    /// Ends the output.
    pub async fn finish(self, sink: &mut Sink<'_>) -> Result<(), CliError> {
        let text = match self.format {
            Format::Json if self.count == 0 => "[]\n".to_owned(),
            Format::Json if self.pretty => "\n]\n".to_owned(),
            Format::Json => "]\n".to_owned(),
            Format::Csv | Format::Table if !self.buffered.is_empty() || self.columns.is_none() => {
                render_for(
                    &Value::Array(self.buffered),
                    self.format,
                    self.columns.as_deref(),
                    self.pretty,
                )?
            }
            _ => String::new(),
        };
        sink.write(text.as_bytes()).await?;
        sink.flush().await
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn yaml(value: &Value) -> Result<String, CliError> {
    serde_yaml::to_string(value).map_err(|e| CliError::Output(format!("cannot write YAML: {e}")))
}

/// [`render`], except that a table without `--columns` on a terminal shows the fields that
/// matter within the terminal's width ([`crate::termtable`]).
pub(crate) fn render_for(
    value: &Value,
    format: Format,
    columns: Option<&[String]>,
    terminal: bool,
) -> Result<String, CliError> {
    match (format, columns, crate::term::stdout_width(terminal)) {
        (Format::Table, None, Some(width)) => Ok(crate::termtable::render(value, width)),
        _ => render(value, format, columns),
    }
}

/// Converts a parsed JSON answer to yaml, csv, table (or json/ndjson).
pub fn render(
    value: &Value,
    format: Format,
    columns: Option<&[String]>,
) -> Result<String, CliError> {
    match format {
        Format::Json => Ok(format!("{}\n", compact(value))),
        Format::Ndjson => Ok(match value {
            Value::Array(items) => items.iter().map(|i| format!("{}\n", compact(i))).collect(),
            other => format!("{}\n", compact(other)),
        }),
        Format::Yaml => yaml(value),
        Format::Csv | Format::Table => {
            let rows: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let columns = match columns {
                Some(c) => c.to_vec(),
                None => union_of_keys(&rows),
            };
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| columns.iter().map(|c| cell(row, c)).collect())
                .collect();
            Ok(if format == Format::Csv {
                let mut out = csv_row(columns.iter().map(String::as_str));
                for row in &cells {
                    out.push_str(&csv_row(row.iter().map(String::as_str)));
                }
                out
            } else {
                table(&columns, &cells)
            })
        }
    }
}

/// Every key of the object rows, in order of first appearance; `value` for scalar rows.
fn union_of_keys(rows: &[&Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        match row {
            Value::Object(map) => {
                for key in map.keys() {
                    if seen.insert(key.as_str()) {
                        columns.push(key.clone());
                    }
                }
            }
            _ => {
                if seen.insert("value") {
                    columns.push("value".into());
                }
            }
        }
    }
    columns
}

/// The text of column `column` in `row`: a key, else a dotted path (`owner.id`); nested
/// values as compact JSON, null as empty.
fn cell(row: &Value, column: &str) -> String {
    let value = match row {
        Value::Object(map) => lookup(map, column),
        other if column == "value" => Some(other),
        _ => None,
    };
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => compact(other),
    }
}

fn lookup<'v>(map: &'v Map<String, Value>, column: &str) -> Option<&'v Value> {
    if let Some(v) = map.get(column) {
        return Some(v);
    }
    let (head, tail) = column.split_once('.')?;
    match map.get(head)? {
        Value::Object(inner) => lookup(inner, tail),
        _ => None,
    }
}

/// One RFC 4180 CSV line.
fn csv_row<'s>(cells: impl Iterator<Item = &'s str>) -> String {
    let mut line = cells
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Aligned columns separated by two spaces; newlines in cells shown as `\n`.
fn table(columns: &[String], rows: &[Vec<String>]) -> String {
    let clean = |s: &str| {
        s.replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', " ")
    };
    let header: Vec<String> = columns.iter().map(|c| clean(c)).collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            std::iter::once(&header[i])
                .chain(body.iter().map(|r| &r[i]))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(body.iter()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_flattens_objects_with_the_union_of_keys() {
        let v =
            json!([{"id": "1", "title": "a, \"b\""}, {"id": 2, "owner": {"id": 7}, "title": null}]);
        let text = render(&v, Format::Csv, None).unwrap();
        assert_eq!(
            text,
            "id,title,owner\r\n1,\"a, \"\"b\"\"\",\r\n2,,\"{\"\"id\"\":7}\"\r\n"
        );
        let cols = ["owner.id".to_owned(), "id".to_owned()];
        let text = render(&v, Format::Csv, Some(&cols)).unwrap();
        assert_eq!(text, "owner.id,id\r\n,1\r\n7,2\r\n");
    }

    #[test]
    fn table_aligns_columns() {
        let v = json!([{"id": "1", "name": "x\ny"}, {"id": "200", "name": "z"}]);
        assert_eq!(
            render(&v, Format::Table, None).unwrap(),
            "id   name\n1    x\\ny\n200  z\n"
        );
        assert_eq!(
            render(&json!(["a", "b"]), Format::Table, None).unwrap(),
            "value\na\nb\n"
        );
    }

    async fn items(terminal: bool, format: Option<Format>, values: Vec<Value>) -> String {
        let mut out: Vec<u8> = Vec::new();
        {
            let mut sink = Sink::stdout(&mut out, terminal);
            let shape = Shape {
                format,
                columns: None,
            };
            let mut writer = ItemWriter::new(&shape, &sink);
            for v in values {
                let raw = serde_json::value::RawValue::from_string(v.to_string()).unwrap();
                writer.item(&mut sink, &raw).await.unwrap();
            }
            writer.finish(&mut sink).await.unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn items_make_one_json_array_pretty_or_compact() {
        let values = vec![json!({"a": 1, "b": [true]}), json!("x")];
        let compact = items(false, None, values.clone()).await;
        assert_eq!(compact, "[{\"a\":1,\"b\":[true]},\"x\"]\n");
        let pretty = items(true, None, values.clone()).await;
        let expected = serde_json::to_string_pretty(&Value::Array(values.clone())).unwrap() + "\n";
        assert_eq!(pretty, expected);
        assert_eq!(items(false, None, vec![]).await, "[]\n");
        assert_eq!(
            items(false, Some(Format::Ndjson), values.clone()).await,
            "{\"a\":1,\"b\":[true]}\n\"x\"\n"
        );
        // Off a terminal, a table has every column (on one, see crate::termtable).
        assert_eq!(
            items(false, Some(Format::Table), values).await,
            "a  b       value\n1  [true]\n           x\n"
        );
    }

    #[test]
    fn yaml_and_ndjson() {
        let v = json!([{"a": 1}, {"b": [true]}]);
        assert_eq!(
            render(&v, Format::Ndjson, None).unwrap(),
            "{\"a\":1}\n{\"b\":[true]}\n"
        );
        assert_eq!(
            render(&v, Format::Yaml, None).unwrap(),
            "- a: 1\n- b:\n  - true\n"
        );
    }
}
