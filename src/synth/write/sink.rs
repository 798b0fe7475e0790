//! Writes one table a row at a time in a variant's layout, holding at most a chunk of it:
//! CSV text is encoded (GB18030 where the layout says so) and written every few megabytes,
//! Parquet a row group of `PARQUET_ROWS` at a time. Issue 32: a province's registries are
//! tens of millions of rows, and a table built whole, then its text, then its encoding took
//! three copies of it. A table smaller than a chunk is written exactly as before (one
//! buffer, one frame), so county-sized files keep their bytes. `stream` writes on a thread
//! of its own while the caller generates the rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use encoding_rs::GB18030;
use flate2::write::GzEncoder;
use polars::prelude::{Column, DataFrame, ParquetWriter};

use super::{extension, write_err, Layout, SynthError};
use crate::synth::Row;

/// CSV text held before it is encoded and written.
const CSV_BYTES: usize = 8 << 20;

/// Rows of a Parquet row group: polars' own default, so a table written in groups has the
/// groups a whole frame would get.
const PARQUET_ROWS: usize = 512 * 512;

fn csv_writer() -> Box<csv::Writer<Vec<u8>>> {
    Box::new(
        csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new()),
    )
}

// Boxed where a variant is large: one `Out` per open file, so the indirection costs nothing.
enum Out {
    Csv {
        csv: Box<csv::Writer<Vec<u8>>>,
        gbk: bool,
        dest: Dest,
    },
    Parquet {
        file: Option<File>,
        /// Each column's cells not written yet (blank as `None`).
        pending: Vec<Vec<Option<String>>>,
        batched: Option<Box<polars::io::parquet::write::BatchedWriter<File>>>,
    },
}

enum Dest {
    Plain(BufWriter<File>),
    Gz(Box<GzEncoder<BufWriter<File>>>),
}

/// A table being written to `<dir>/<stem>.<extension>`.
pub(in crate::synth) struct Sink {
    path: PathBuf,
    headers: Vec<String>,
    out: Out,
    /// `CSV_BYTES` and `PARQUET_ROWS` (smaller in tests, to see chunks meet).
    csv_bytes: usize,
    parquet_rows: usize,
}

impl Sink {
    pub(in crate::synth) fn create(
        dir: &Path,
        stem: &str,
        headers: Vec<String>,
        layout: Layout,
    ) -> Result<Sink, SynthError> {
        let path = dir.join(format!("{stem}.{}", extension(layout)));
        let file = File::create(&path).map_err(|e| write_err(&path, e))?;
        let csv_out = |gbk, dest| -> Result<Out, SynthError> {
            let mut csv = csv_writer();
            csv.write_record(&headers)
                .map_err(|e| write_err(&path, e))?;
            Ok(Out::Csv { csv, gbk, dest })
        };
        let out = match layout {
            Layout::Csv { gbk, bom, .. } => {
                let mut file = BufWriter::new(file);
                if bom {
                    file.write_all(b"\xEF\xBB\xBF")
                        .map_err(|e| write_err(&path, e))?;
                }
                csv_out(gbk, Dest::Plain(file))?
            }
            Layout::CsvGz => {
                let gz = GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
                csv_out(false, Dest::Gz(Box::new(gz)))?
            }
            Layout::Parquet => Out::Parquet {
                file: Some(file),
                pending: vec![Vec::new(); headers.len()],
                batched: None,
            },
        };
        Ok(Sink {
            path,
            headers,
            out,
            csv_bytes: CSV_BYTES,
            parquet_rows: PARQUET_ROWS,
        })
    }

    /// Writes one row of cells in the headers' order (a row may be longer or shorter: the
    /// unreadable rows of a CSV are).
    pub(in crate::synth) fn row<'a>(
        &mut self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), SynthError> {
        let path = &self.path;
        match &mut self.out {
            Out::Csv { csv, .. } => {
                csv.write_record(cells).map_err(|e| write_err(path, e))?;
                if csv.get_ref().len() >= self.csv_bytes {
                    self.drain()?;
                }
            }
            Out::Parquet { pending, .. } => {
                let mut cells = cells.into_iter();
                for column in pending.iter_mut() {
                    let cell = cells.next().filter(|v| !v.is_empty());
                    column.push(cell.map(str::to_string));
                }
                if pending[0].len() >= self.parquet_rows {
                    self.write_group()?;
                }
            }
        }
        Ok(())
    }

    /// Writes the CSV text held so far.
    fn drain(&mut self) -> Result<(), SynthError> {
        let path = &self.path;
        let Out::Csv { csv, gbk, dest } = &mut self.out else {
            return Ok(());
        };
        // A writer per chunk: records are quoted one by one, so the text is the same.
        let text = std::mem::replace(csv, csv_writer())
            .into_inner()
            .map_err(|e| write_err(path, e.error()))?;
        let bytes = if *gbk {
            let text = String::from_utf8(text).map_err(|e| write_err(path, e))?;
            GB18030.encode(&text).0.into_owned()
        } else {
            text
        };
        match dest {
            Dest::Plain(file) => file.write_all(&bytes),
            Dest::Gz(gz) => gz.write_all(&bytes),
        }
        .map_err(|e| write_err(path, e))
    }

    /// The held Parquet cells as a frame.
    fn frame(&mut self) -> Result<DataFrame, SynthError> {
        let Out::Parquet { pending, .. } = &mut self.out else {
            unreachable!("only a Parquet sink holds a frame");
        };
        let columns: Vec<Column> = self
            .headers
            .iter()
            .zip(pending.iter_mut())
            .map(|(header, cells)| Column::new(header.as_str().into(), std::mem::take(cells)))
            .collect();
        DataFrame::new_infer_height(columns).map_err(|e| write_err(&self.path, e))
    }

    /// Writes the held Parquet rows as a row group.
    fn write_group(&mut self) -> Result<(), SynthError> {
        let frame = self.frame()?;
        let path = &self.path;
        let Out::Parquet { file, batched, .. } = &mut self.out else {
            return Ok(());
        };
        if batched.is_none() {
            let file = file.take().expect("the file until the first group");
            let writer = ParquetWriter::new(file).batched(frame.schema());
            *batched = Some(Box::new(writer.map_err(|e| write_err(path, e))?));
        }
        let writer = batched.as_mut().expect("made above");
        writer.write_batch(&frame).map_err(|e| write_err(path, e))
    }

    /// Writes what is held and closes the file.
    pub(in crate::synth) fn finish(mut self) -> Result<(), SynthError> {
        self.drain()?;
        let path = self.path.clone();
        let mut frame = match &self.out {
            Out::Parquet { .. } => Some(self.frame()?),
            Out::Csv { .. } => None,
        };
        match self.out {
            Out::Csv { dest, .. } => {
                let file = match dest {
                    Dest::Plain(file) => file,
                    Dest::Gz(gz) => gz.finish().map_err(|e| write_err(&path, e))?,
                };
                file.into_inner()
                    .map(drop)
                    .map_err(|e| write_err(&path, e.error()))
            }
            Out::Parquet { file, batched, .. } => {
                let frame = frame.as_mut().expect("made above");
                match (file, batched) {
                    // Smaller than a row group: one frame, as a whole table is written.
                    (Some(file), None) => ParquetWriter::new(file).finish(frame).map(|_| ()),
                    (_, Some(writer)) => {
                        let mut writer = writer;
                        if frame.height() > 0 {
                            writer.write_batch(frame).map_err(|e| write_err(&path, e))?;
                        }
                        writer.finish().map(|_| ())
                    }
                    (None, None) => unreachable!("a group is written once the file is taken"),
                }
                .map_err(|e| write_err(&path, e))
            }
        }
    }
}

/// Writes the rows `produce` hands to its sender (chunk by chunk, each row's cells of
/// `columns` in order), then `extra_lines`, to `sink`, on a thread of its own while
/// `produce` runs on this one. The sender says `false` once the writing has failed, so that
/// `produce` can stop early; the writer's error is returned.
pub(in crate::synth) fn stream<T>(
    mut sink: Sink,
    columns: &[&'static str],
    extra_lines: Vec<Vec<String>>,
    produce: impl FnOnce(&mut dyn FnMut(Vec<Row>) -> bool) -> T,
) -> Result<T, SynthError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            for chunk in rx {
                for row in &chunk {
                    sink.row(columns.iter().map(|c| row.get(c).unwrap_or_default()))?;
                }
            }
            for line in &extra_lines {
                sink.row(line.iter().map(String::as_str))?;
            }
            sink.finish()
        });
        let produced = produce(&mut |rows| tx.send(rows).is_ok());
        drop(tx);
        let written = writer.join().expect("the writer thread does not panic");
        written.map(|()| produced)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use polars::prelude::{ParquetReader, SerReader};

    use super::*;

    /// Rows of Chinese text (GB18030 differs from UTF-8), quotes and blanks.
    fn rows() -> Vec<[String; 3]> {
        (0..2000)
            .map(|i| {
                [
                    format!("R-{i:07}"),
                    if i % 7 == 0 {
                        String::new()
                    } else {
                        format!("张\"三{i}")
                    },
                    format!("{i},五"),
                ]
            })
            .collect()
    }

    /// Writes `rows()` in `layout`, a chunk every `csv_bytes` bytes or `parquet_rows` rows.
    fn write(dir: &Path, stem: &str, layout: Layout, chunks: (usize, usize)) -> PathBuf {
        let headers = vec!["记录编号".to_string(), "姓名".into(), "地址".into()];
        let mut sink = Sink::create(dir, stem, headers, layout).unwrap();
        (sink.csv_bytes, sink.parquet_rows) = chunks;
        for row in rows() {
            sink.row(row.iter().map(String::as_str)).unwrap();
        }
        sink.row(["short"]).unwrap();
        let path = sink.path.clone();
        sink.finish().unwrap();
        path
    }

    /// Issue 32: a table written in many chunks is the table written whole.
    #[test]
    fn a_table_written_in_chunks_is_the_table_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let whole = (CSV_BYTES, PARQUET_ROWS);
        let small = (100, 300);
        let gbk = Layout::Csv {
            gbk: true,
            bom: false,
            chinese_headers: true,
        };
        let bom = Layout::Csv {
            gbk: false,
            bom: true,
            chinese_headers: true,
        };
        for layout in [gbk, bom] {
            let a = std::fs::read(write(dir.path(), "a", layout, whole)).unwrap();
            let b = std::fs::read(write(dir.path(), "b", layout, small)).unwrap();
            assert_eq!(a, b);
        }
        let text = |path: PathBuf| {
            let mut text = String::new();
            let file = File::open(path).unwrap();
            flate2::read::GzDecoder::new(file)
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        let a = text(write(dir.path(), "a", Layout::CsvGz, whole));
        let b = text(write(dir.path(), "b", Layout::CsvGz, small));
        assert_eq!(a, b);
        assert!(
            a.starts_with("记录编号,姓名,地址\nR-0000000,,\"0,五\"\n"),
            "{}",
            &a[..40]
        );
        let frame = |path: PathBuf| {
            ParquetReader::new(File::open(path).unwrap())
                .finish()
                .unwrap()
        };
        let a = frame(write(dir.path(), "a", Layout::Parquet, whole));
        let b = frame(write(dir.path(), "b", Layout::Parquet, small));
        assert_eq!(a.height(), 2001);
        assert!(a.equals_missing(&b));
    }
}
