//! Reads every source the pipeline names into typed rows. Unusable rows go to quarantine
//! with file, row, column and problem; per source, rows read = used + quarantined.
//! Front door: `ingest::load`. Only this stage and `output` touch the disk.

mod decode;
mod fields;
pub mod findings;
mod locate;
mod records;
pub mod schema;
mod standards;
mod table;

use std::path::{Path, PathBuf};

pub use crate::model::parse_date;
pub use records::{
    DuplicateHouseholds, FieldValue, Ingested, InputInfo, PersonFields, QuarantinedRow,
    RecordDetails, Registry, RegistryRecord, RollMember,
};
pub use standards::load_standards;
pub use table::{format_number, read_csv};

use crate::config::{hex_sha256, FieldType, LocalRegistry, Pipeline, SourceSpec};
use crate::model::{
    BusinessRole, BusinessStatus, DeathSource, PensionType, Programme, PropertyUse, Relation,
    Source, VehicleType,
};
use fields::{Fields, RowProblem};
use schema::col;
use table::{RawRow, RawTable, TextColumn, TextColumns};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A programme standards table, or the standards together, cannot be used: a pipeline
    /// error (exit 2), since the tables are part of the pipeline.
    #[error("{path}: programme standards: {message}")]
    Standards { path: PathBuf, message: String },
    #[error("source `{source_name}`: no input file found (tried {})", tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound {
        source_name: &'static str,
        tried: Vec<PathBuf>,
    },
    #[error(
        "source `{source_name}`: `{pattern}` matches no file (.csv, .csv.gz, .parquet, .xlsx)"
    )]
    NothingMatches {
        source_name: &'static str,
        pattern: PathBuf,
    },
    #[error("{path}: cannot read file: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: missing required column `{column}` for source `{source_name}` (headers found: {found})")]
    MissingColumn {
        path: PathBuf,
        source_name: &'static str,
        column: &'static str,
        found: String,
    },
    #[error("{path}: columns `{first}` and `{second}` both map to `{column}`")]
    DuplicateColumn {
        path: PathBuf,
        column: &'static str,
        first: String,
        second: String,
    },
    #[error("{path}: source `{source_name}`: pipeline maps `{column}` to header `{header}`, which the file does not have (headers found: {found})")]
    MappedColumnMissing {
        path: PathBuf,
        source_name: &'static str,
        column: String,
        header: String,
        found: String,
    },
    #[error("{path}: pipeline maps unknown column `{column}` for source `{source_name}`")]
    UnknownMappedColumn {
        path: PathBuf,
        source_name: &'static str,
        column: String,
    },
    /// A file given as review findings that cannot be one (no 户编号 sheet, a required
    /// column missing, an unknown extension); `sheet` names the worksheet at fault.
    #[error("{path}: {}{problem}", sheet.as_ref().map(|s| format!("sheet `{s}`: ")).unwrap_or_default())]
    NotFindings {
        path: PathBuf,
        sheet: Option<String>,
        problem: String,
    },
}

/// Longest field we accept: an address is the longest real value; beyond this it is a broken
/// export (a runaway quote, a blob pasted into a cell).
const MAX_FIELD_BYTES: usize = 4096;

/// Rows parsed at a time when a source is read whole: the raw cells of a piece are dropped
/// once its rows are typed, so reading never holds a whole file's raw cells (for a province
/// roll, about a gigabyte).
const ROWS_PER_PIECE: usize = 100_000;

/// Reads all sources named by the pipeline. `data_dir` overrides where paths resolve.
pub fn load(pipeline: &Pipeline, data_dir: Option<&Path>) -> Result<Ingested, IngestError> {
    let mut ingested = load_roll(pipeline, data_dir)?;
    for source in registry_sources(pipeline) {
        let registry = load_registry(pipeline, data_dir, source, &mut ingested)?;
        ingested.registries.push(registry);
    }
    Ok(ingested)
}

/// The registries the pipeline names, in the order `Ingested::registries` holds them: the
/// built-in ones in `Source::REGISTRIES` order, then the local ones by name.
pub fn registry_sources(pipeline: &Pipeline) -> impl Iterator<Item = Source> + '_ {
    Source::REGISTRIES
        .into_iter()
        .filter(|source| pipeline.sources.contains_key(source))
        .chain(pipeline.sources.keys().copied().filter(|s| s.is_local()))
}

/// Reads the roll: an `Ingested` with no registries yet.
pub fn load_roll(pipeline: &Pipeline, data_dir: Option<&Path>) -> Result<Ingested, IngestError> {
    let mut roll = Vec::new();
    let mut quarantine = Vec::new();
    let read = load_roll_in_pieces(
        pipeline,
        data_dir,
        ROWS_PER_PIECE,
        &mut quarantine,
        &mut |members| roll.extend(members),
    )?;
    Ok(Ingested {
        roll,
        registries: Vec::new(),
        quarantine,
        inputs: read.inputs,
        roll_duplicates: read.duplicates,
        standards: load_standards(pipeline)?,
    })
}

/// What reading the roll gave besides its members.
pub struct RollRead {
    /// One record per file.
    pub inputs: Vec<InputInfo>,
    /// Households found in two roll files.
    pub duplicates: Vec<DuplicateHouseholds>,
}

/// Reads the roll in pieces of at most `rows_per_piece` rows, in row order, each handed to
/// `each` before the next is parsed (a shard keeps only its own households' members).
/// Unusable rows go to `quarantine`. Returns the roll's input records and the households
/// that two of its files share (a data-quality finding, never a silent merge).
pub fn load_roll_in_pieces(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    rows_per_piece: usize,
    quarantine: &mut Vec<QuarantinedRow>,
    each: &mut dyn FnMut(Vec<RollMember>),
) -> Result<RollRead, IngestError> {
    let mut first_file: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut shared: std::collections::BTreeMap<(usize, usize), std::collections::HashSet<String>> =
        std::collections::BTreeMap::new();
    let inputs = read_source_in_pieces(
        Source::Roll,
        &pipeline.sources[&Source::Roll],
        &base_dir(pipeline, data_dir),
        rows_per_piece,
        &parse_roll_member,
        quarantine,
        &mut Pieces {
            wanted: &mut || true,
            each: &mut |file_idx, _, members| {
                for member in &members {
                    let first = *first_file
                        .entry(member.household_id.clone())
                        .or_insert(file_idx);
                    if first != file_idx {
                        shared
                            .entry((first, file_idx))
                            .or_default()
                            .insert(member.household_id.clone());
                    }
                }
                each(members);
            },
        },
    )?;
    let duplicates = shared
        .into_iter()
        .map(|((first, second), households)| DuplicateHouseholds {
            first_file: inputs[first].path.clone(),
            second_file: inputs[second].path.clone(),
            households: households.len(),
        })
        .collect();
    Ok(RollRead { inputs, duplicates })
}

/// Reads one registry named by the pipeline. Its quarantined rows and input record go into
/// `ingested`; its records are returned, for the caller to keep.
pub fn load_registry(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    source: Source,
    ingested: &mut Ingested,
) -> Result<Registry, IngestError> {
    let mut records = Vec::new();
    let inputs = load_registry_in_pieces(
        pipeline,
        data_dir,
        source,
        ROWS_PER_PIECE,
        &mut ingested.quarantine,
        &mut || true,
        &mut |piece, _| records.extend(piece.records),
    )?;
    ingested.inputs.extend(inputs);
    Ok(Registry { source, records })
}

/// Reads one registry in pieces of at most `rows_per_piece` rows, each handed to `each`
/// before the next is parsed, so a caller that uses and drops them (a run, a shard, a
/// merge) holds one piece of the registry, not all of it. Pieces come in row order, each
/// with the rows of the registry's earlier files (a record's place in the registry is
/// that plus its row: `RegistryRecord::row`); `wanted` is asked first and a piece it
/// declines is counted but not parsed. Unusable rows go to `quarantine`. Returns one input
/// record per file of the registry.
pub fn load_registry_in_pieces(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    source: Source,
    rows_per_piece: usize,
    quarantine: &mut Vec<QuarantinedRow>,
    wanted: &mut dyn FnMut() -> bool,
    each: &mut dyn FnMut(Registry, usize),
) -> Result<Vec<InputInfo>, IngestError> {
    let spec = &pipeline.sources[&source];
    let parse = |f: &Fields| match &spec.local {
        Some(registry) => parse_local(f, registry),
        None => parse_builtin(f, source),
    };
    read_source_in_pieces(
        source,
        spec,
        &base_dir(pipeline, data_dir),
        rows_per_piece,
        &parse,
        quarantine,
        &mut Pieces {
            wanted,
            each: &mut |_, rows_before, records| each(Registry { source, records }, rows_before),
        },
    )
}

/// Finds, reads and parses one source, file by file, handing its parsed rows to `each`
/// (with the number of their file among the source's files) in pieces of at most
/// `rows_per_piece` rows; unusable rows go to `quarantine`. Returns one input record per
/// file, with rows read, used and quarantined.
fn read_source_in_pieces<T: Send>(
    source: Source,
    spec: &SourceSpec,
    base: &Path,
    rows_per_piece: usize,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
    pieces: &mut Pieces<T>,
) -> Result<Vec<InputInfo>, IngestError> {
    let mut inputs: Vec<InputInfo> = Vec::new();
    let files = locate::files(source, spec, base)?;
    let several = files.len() > 1;
    for (file_idx, path) in files.into_iter().enumerate() {
        let rows_before: usize = inputs.iter().map(|i| i.rows_read).sum();
        // A row's own id when its source has none: `<source>:<row>`, with the file's name
        // between when the source has several files.
        let id_prefix = match path.file_name().filter(|_| several) {
            Some(file) => format!("{source}:{}", file.to_string_lossy()),
            None => source.code().to_string(),
        };
        let file = SourceFile {
            source,
            spec,
            path: &path,
            id_prefix: &id_prefix,
        };
        let info = read_file_in_pieces(
            &file,
            rows_per_piece,
            parse,
            quarantine,
            pieces.wanted,
            &mut |rows| (pieces.each)(file_idx, rows_before, rows),
        )?;
        inputs.push(info);
    }
    Ok(inputs)
}

/// Where a source's pieces go: `wanted` is asked before each piece is parsed (a shard
/// leaves others' pieces unparsed: their rows are counted, not typed) and `each` gets each
/// wanted piece with its file's number among the source's files and the rows of the
/// source's earlier files.
struct Pieces<'a, T> {
    wanted: &'a mut dyn FnMut() -> bool,
    each: &'a mut dyn FnMut(usize, usize, Vec<T>),
}

/// One file of a source, and what its rows are read with.
struct SourceFile<'a> {
    source: Source,
    spec: &'a SourceSpec,
    path: &'a Path,
    /// Generated record ids start with this (`<source>` or `<source>:<file>`).
    id_prefix: &'a str,
}

/// One file of a source, read on its own terms (format, encoding, headers, sheet).
fn read_file_in_pieces<T: Send>(
    file: &SourceFile,
    rows_per_piece: usize,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
    wanted: &mut dyn FnMut() -> bool,
    each: &mut dyn FnMut(Vec<T>),
) -> Result<InputInfo, IngestError> {
    let SourceFile {
        source, spec, path, ..
    } = *file;
    let (bytes, format) = read_bytes(path)?;
    let mut info = InputInfo {
        source,
        path: path.display().to_string(),
        sha256: hex_sha256(&bytes),
        format: format.name().into(),
        encoding: String::new(),
        replacement_chars: 0,
        rows_read: 0,
        rows_used: 0,
        rows_quarantined: 0,
        rows_skipped: 0,
    };
    let mut index = None;
    let mut failure = None;
    raw_tables(
        path,
        &bytes,
        format,
        spec.sheet.as_deref(),
        rows_per_piece,
        &mut |table| {
            if failure.is_some() {
                return;
            }
            if index.is_none() {
                info.encoding.clone_from(&table.encoding);
                info.replacement_chars = table.replacement_chars;
                match column_index(source, &table, spec, &info.path) {
                    Ok(found) => index = Some(found),
                    Err(err) => {
                        failure = Some(err);
                        return;
                    }
                }
            }
            info.rows_read += table.rows.len();
            if !wanted() {
                info.rows_skipped += table.rows.len();
                return;
            }
            let index = index.as_deref().expect("the columns were found above");
            let rows = parse_rows(file, &table, index, &info, parse, quarantine);
            info.rows_used += rows.len();
            each(rows);
        },
    )?;
    if let Some(err) = failure {
        return Err(err);
    }
    info.rows_quarantined = info.rows_read - info.rows_used - info.rows_skipped;
    Ok(info)
}

fn base_dir(pipeline: &Pipeline, data_dir: Option<&Path>) -> PathBuf {
    data_dir.map_or_else(|| pipeline.base_dir(), Path::to_path_buf)
}

fn raw_table(
    path: &Path,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<RawTable, IngestError> {
    match format {
        Format::Parquet => table::read_parquet(bytes),
        Format::Xlsx => table::read_xlsx(bytes, sheet),
        Format::Csv => table::read_csv(bytes),
        Format::CsvGz => table::read_csv(&gunzip(path, bytes)?),
    }
    .map_err(|message| unreadable(path, message))
}

/// `raw_table` in pieces of at most `rows_per_piece` rows (see `table::read_csv_in_pieces`).
/// CSV is parsed piece by piece; XLSX and Parquet are read whole, then handed on in pieces.
fn raw_tables(
    path: &Path,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    rows_per_piece: usize,
    each: &mut dyn FnMut(RawTable),
) -> Result<(), IngestError> {
    match format {
        Format::Csv => table::read_csv_in_pieces(bytes, rows_per_piece, each),
        Format::CsvGz => table::read_csv_in_pieces(&gunzip(path, bytes)?, rows_per_piece, each),
        Format::Parquet | Format::Xlsx => {
            let mut whole = raw_table(path, bytes, format, sheet)?;
            let rows = std::mem::take(&mut whole.rows);
            table::in_pieces(&whole, rows.into_iter(), rows_per_piece, each);
            Ok(())
        }
    }
    .map_err(|message| unreadable(path, message))
}

/// A file's format, by its extension; anything else is read as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Parquet,
    Xlsx,
    CsvGz,
    Csv,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
            Format::CsvGz => "csv.gz",
            Format::Csv => "csv",
        }
    }
}

fn unreadable(path: &Path, message: String) -> IngestError {
    IngestError::Unreadable {
        path: path.to_path_buf(),
        message,
    }
}

/// A file's bytes as stored, and its format.
fn read_bytes(path: &Path) -> Result<(Vec<u8>, Format), IngestError> {
    let bytes = std::fs::read(path).map_err(|err| unreadable(path, err.to_string()))?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let format = match extension.as_deref() {
        Some("parquet") => Format::Parquet,
        Some("xlsx" | "xls") => Format::Xlsx,
        Some("gz") => Format::CsvGz,
        _ => Format::Csv,
    };
    Ok((bytes, format))
}

fn gunzip(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IngestError> {
    decode::gunzip(bytes).map_err(|err| unreadable(path, format!("bad gzip data: {err}")))
}

/// Any table as text, for `rollcheck link`: headers as written, and per column each cell
/// trimmed (blank is `None`). Rows with the wrong number of fields are an error naming the row.
pub struct TextTable {
    pub headers: Vec<String>,
    columns: Vec<TextColumn>,
    rows: usize,
}

impl TextTable {
    /// The values of the column whose header (trimmed) is `name`, blank cells as `None`.
    pub fn column(&self, name: &str) -> Option<Vec<Option<&str>>> {
        let column = &self.columns[self.headers.iter().position(|h| h.trim() == name)?];
        Some((0..column.len()).map(|row| column.get(row)).collect())
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

pub fn read_text_table(path: &Path) -> Result<TextTable, IngestError> {
    let (bytes, format) = read_bytes(path)?;
    let table = match format {
        Format::Csv => TextColumns::from_csv(&bytes),
        Format::CsvGz => TextColumns::from_csv(&gunzip(path, &bytes)?),
        Format::Parquet | Format::Xlsx => {
            TextColumns::from_raw(raw_table(path, &bytes, format, None)?)
        }
    }
    .map_err(|message| unreadable(path, message))?;
    Ok(TextTable {
        rows: table.columns.first().map_or(0, TextColumn::len),
        headers: table.headers,
        columns: table.columns,
    })
}

/// The columns a source's rows are read from, and the headers the pipeline names for them:
/// a built-in source's from its descriptor and `columns`, a local registry's from its
/// `person` and `fields`.
fn source_columns(
    source: Source,
    spec: &SourceSpec,
) -> (
    std::borrow::Cow<'static, [schema::ColumnSpec]>,
    std::collections::BTreeMap<String, String>,
) {
    let Some(registry) = &spec.local else {
        return (schema::columns(source).into(), spec.columns.clone());
    };
    let mut mapped = spec.columns.clone();
    let person = schema::LOCAL_PERSON;
    let mut columns = vec![schema::LOCAL_RECORD_ID];
    let declared = [
        (person.name, Some(&registry.name_column)),
        (person.id_number, registry.id_column.as_ref()),
        (col::BIRTH_DATE, registry.birth_column.as_ref()),
        (col::ADDRESS, registry.address_column.as_ref()),
    ];
    for (name, header) in declared {
        if let Some(header) = header {
            // The person's columns must be in every file; their cells may be blank.
            columns.push(schema::ColumnSpec {
                name,
                required: true,
                aliases: &[],
                first_of_several: false,
            });
            mapped.insert(name.to_string(), header.clone());
        }
    }
    for field in &registry.fields {
        columns.push(schema::ColumnSpec {
            name: field.name,
            required: field.required,
            aliases: &[],
            first_of_several: false,
        });
        mapped.insert(field.name.to_string(), field.column.clone());
    }
    (columns.into(), mapped)
}

/// Maps each of the source's columns to its position in the file's header.
fn column_index(
    source: Source,
    table: &RawTable,
    spec: &SourceSpec,
    path: &str,
) -> Result<Vec<(&'static str, usize)>, IngestError> {
    let path_buf = PathBuf::from(path);
    let folded: Vec<String> = table
        .headers
        .iter()
        .map(|h| schema::fold_header(h))
        .collect();
    let (columns, mapped_headers) = source_columns(source, spec);
    for mapped in mapped_headers.keys() {
        if !columns.iter().any(|c| c.name == mapped) {
            return Err(IngestError::UnknownMappedColumn {
                path: path_buf,
                source_name: source.code(),
                column: mapped.clone(),
            });
        }
    }
    let mut index = Vec::new();
    for column in columns.iter() {
        let candidates: Vec<String> = match mapped_headers.get(column.name) {
            Some(header) => vec![schema::fold_header(header)],
            None => std::iter::once(column.name)
                .chain(column.aliases.iter().copied())
                .map(schema::fold_header)
                .collect(),
        };
        let found: Vec<usize> = (0..folded.len())
            .filter(|i| candidates.contains(&folded[*i]))
            .collect();
        match (found.as_slice(), mapped_headers.get(column.name)) {
            // A local registry's optional field may be missing from a file: all blank there.
            ([], Some(_)) if spec.local.is_some() && !column.required => {}
            ([], Some(header)) => {
                return Err(IngestError::MappedColumnMissing {
                    path: path_buf,
                    source_name: source.code(),
                    column: column.name.into(),
                    header: header.clone(),
                    found: table.headers.join(", "),
                })
            }
            ([], None) if column.required => {
                return Err(IngestError::MissingColumn {
                    path: path_buf,
                    source_name: source.code(),
                    column: column.name,
                    found: table.headers.join(", "),
                })
            }
            ([], None) => {}
            ([single], _) => index.push((column.name, *single)),
            ([_, _, ..], _) if column.first_of_several => {
                let rank = |i: &usize| candidates.iter().position(|c| *c == folded[*i]);
                let first = found
                    .iter()
                    .min_by_key(|i| rank(i))
                    .expect("two or more found");
                index.push((column.name, *first));
            }
            ([first, second, ..], _) => {
                return Err(IngestError::DuplicateColumn {
                    path: path_buf,
                    column: column.name,
                    first: table.headers[*first].clone(),
                    second: table.headers[*second].clone(),
                })
            }
        }
    }
    Ok(index)
}

type ParseRow<'a, T> = &'a (dyn Fn(&Fields) -> Result<T, RowProblem> + Sync);

/// Types a piece's rows, in parallel (a province's registries are tens of millions of rows),
/// keeping row order; unusable rows go to `quarantine` in row order.
fn parse_rows<T: Send>(
    file: &SourceFile,
    table: &RawTable,
    index: &[(&'static str, usize)],
    info: &InputInfo,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
) -> Vec<T> {
    use rayon::prelude::*;
    let id_prefix = file.id_prefix;
    let results: Vec<Result<T, RowProblem>> = table
        .rows
        .par_iter()
        .map(|row| {
            let fields = Fields {
                row,
                index,
                id_prefix,
            };
            row_problem(row).map_or_else(|| parse(&fields), Err)
        })
        .collect();
    let mut parsed = Vec::with_capacity(table.rows.len());
    for (row, result) in table.rows.iter().zip(results) {
        match result {
            Ok(value) => parsed.push(value),
            Err(problem) => quarantine.push(QuarantinedRow {
                source: file.source,
                file: info.path.clone(),
                row: row.row,
                column: problem.column.map(str::to_string),
                problem: problem.problem,
                raw: row
                    .cells
                    .iter()
                    .map(table::Cell::display)
                    .collect::<Vec<_>>()
                    .join(","),
            }),
        }
    }
    parsed
}

/// Problems that make a whole row unreadable, before any column is parsed.
fn row_problem(row: &RawRow) -> Option<RowProblem> {
    if let Some(problem) = &row.problem {
        return Some(RowProblem {
            column: None,
            problem: problem.clone(),
        });
    }
    let garbled = row
        .cells
        .iter()
        .any(|c| matches!(c, table::Cell::Text(t) if t.contains('\u{FFFD}') || t.contains('\0')));
    if garbled {
        return Some(RowProblem {
            column: None,
            problem: "undecodable bytes or NUL characters in the row".into(),
        });
    }
    let longest = row
        .cells
        .iter()
        .map(|c| {
            if let table::Cell::Text(t) = c {
                t.len()
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0);
    (longest > MAX_FIELD_BYTES).then(|| RowProblem {
        column: None,
        problem: format!("a field is {longest} bytes long; no value of a roll or registry exceeds {MAX_FIELD_BYTES}"),
    })
}

fn parse_roll_member(f: &Fields) -> Result<RollMember, RowProblem> {
    Ok(RollMember {
        row: f.row.row,
        household_id: f.required_text(col::HOUSEHOLD_ID)?,
        programme: f.required_choice(col::PROGRAMME, Programme::parse, Programme::codes)?,
        member_id: f.required_text(col::MEMBER_ID)?,
        name: f.required_text(col::NAME)?,
        id_number: f.id_text(col::ID_NUMBER)?,
        relation: f.required_choice(col::RELATION, Relation::parse, Relation::codes)?,
        region_code: f.text(col::REGION_CODE)?,
        monthly_benefit: f.money(col::MONTHLY_BENEFIT)?,
        enrolled_on: f.date(col::ENROLLED_ON)?,
        address: f.text(col::ADDRESS)?,
    })
}

/// A built-in registry's row: its person from the descriptor's person columns, the rest
/// from the descriptor's `details` parser.
fn parse_builtin(f: &Fields, source: Source) -> Result<RegistryRecord, RowProblem> {
    let descriptor = schema::descriptor(source).expect("a built-in source has a descriptor");
    let (Some(person), Some(details)) = (descriptor.person, descriptor.details) else {
        unreachable!("the roll is parsed by parse_roll_member")
    };
    let person = PersonFields {
        name: f.required_text(person.name)?,
        id_number: f.id_text(person.id_number)?,
        birth_date: match person.birth_date {
            Some(column) => f.date(column)?,
            None => None,
        },
        address: match person.address {
            Some(column) => f.text(column)?.map(String::into_boxed_str),
            None => None,
        },
    };
    let details = details(f)?;
    Ok(RegistryRecord {
        row: f.row.row,
        record_id: f.required_text(col::RECORD_ID)?,
        person,
        details,
    })
}

/// A local registry's row: its person, its typed fields in declared order, and its record
/// id (`<source>:<row>` when the file has none).
fn parse_local(f: &Fields, registry: &LocalRegistry) -> Result<RegistryRecord, RowProblem> {
    let person = schema::LOCAL_PERSON;
    let person = PersonFields {
        name: f.required_text(person.name)?,
        id_number: f.id_text(person.id_number)?,
        birth_date: f.date(col::BIRTH_DATE)?,
        address: f.text(col::ADDRESS)?.map(String::into_boxed_str),
    };
    let mut values = Vec::with_capacity(registry.fields.len());
    for field in &registry.fields {
        let value = match field.kind {
            FieldType::Text => FieldValue::Text(f.text(field.name)?.map(String::into_boxed_str)),
            FieldType::Date => FieldValue::Date(f.date(field.name)?),
            FieldType::Money => FieldValue::Number(f.money(field.name)?),
            FieldType::Number => FieldValue::Number(f.number(field.name)?),
        };
        let blank = matches!(
            &value,
            FieldValue::Text(None) | FieldValue::Date(None) | FieldValue::Number(None)
        );
        if blank && field.required {
            return Err(RowProblem::at(field.name, "missing required value".into()));
        }
        values.push(value);
    }
    Ok(RegistryRecord {
        row: f.row.row,
        record_id: f
            .text(col::RECORD_ID)?
            .unwrap_or_else(|| format!("{}:{}", f.id_prefix, f.row.row)),
        person,
        details: RecordDetails::Local {
            values: values.into_boxed_slice(),
        },
    })
}

fn death_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Death {
        death_date: f.required_date(col::DEATH_DATE)?,
        source: f.choice(col::SOURCE, DeathSource::parse, DeathSource::codes)?,
    })
}

fn pension_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Pension {
        pension_type: f.required_choice(
            col::PENSION_TYPE,
            PensionType::parse,
            PensionType::codes,
        )?,
        monthly_amount: f.required_money(col::MONTHLY_AMOUNT)?,
        start_date: f.required_date(col::START_DATE)?,
        end_date: f.date(col::END_DATE)?,
    })
}

fn vehicle_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Vehicle {
        plate: f.text(col::PLATE)?,
        vehicle_type: f.required_choice(
            col::VEHICLE_TYPE,
            VehicleType::parse,
            VehicleType::codes,
        )?,
        registered_on: f.required_date(col::REGISTERED_ON)?,
        deregistered_on: f.date(col::DEREGISTERED_ON)?,
    })
}

fn property_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Property {
        property_id: f.required_text(col::PROPERTY_ID)?,
        use_: f.required_choice(col::USE, PropertyUse::parse, PropertyUse::codes)?,
        area_m2: f.money(col::AREA_M2)?,
        registered_on: f.required_date(col::REGISTERED_ON)?,
        disposed_on: f.date(col::DISPOSED_ON)?,
    })
}

fn business_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::Business {
        role: f.required_choice(col::ROLE, BusinessRole::parse, BusinessRole::codes)?,
        business_name: f.text(col::BUSINESS_NAME)?,
        uscc: f.text(col::USCC)?,
        registered_capital: f.money(col::REGISTERED_CAPITAL)?,
        status: f.required_choice(col::STATUS, BusinessStatus::parse, BusinessStatus::codes)?,
        established_on: f.required_date(col::ESTABLISHED_ON)?,
        closed_on: f.date(col::CLOSED_ON)?,
    })
}

fn cadre_relative_details(f: &Fields) -> Result<RecordDetails, RowProblem> {
    Ok(RecordDetails::CadreRelative {
        cadre_name: f.text(col::CADRE_NAME)?,
        cadre_id: f.id_text(col::CADRE_ID)?,
        cadre_post: f.text(col::CADRE_POST)?,
        relationship: f.text(col::RELATIONSHIP)?,
    })
}
