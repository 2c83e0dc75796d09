//! `assetgraph import SOURCE FILE…`: source records into the store, through
//! the same mapping and write path as `POST /api/ingest/{source}`, with a
//! progress bar.
//!
//! For the JSON sources each file is a batch as the source sends it; for
//! `files`, each argument is an image (or XMP sidecar) or a directory read
//! recursively for image, video and XMP files. Records are committed in transactions of up to
//! `--batch-size` records. With invalid records, nothing is stored unless
//! `--skip-invalid` is given.

use super::DataArg;
use crate::assets::{self, IngestReport, OnError};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, Mapping, RecordResult, Source};
use crate::rights::Territories;
use crate::store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// The source.
    #[arg(help = format!("The source: {}", Source::names()))]
    source: String,
    /// Batch files (JSON), or for `files` image files and directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Store the valid records even if some are invalid (they are reported).
    #[arg(long)]
    skip_invalid: bool,
    /// Rightsline char type of entities that do not name theirs (right, catalog-item, deal…).
    #[arg(long = "type")]
    record_type: Option<String>,
    /// Records per store transaction.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Print the full report (every record's outcome) as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, config: Config) -> Result<()> {
    let source = Source::from_name(&args.source).ok_or_else(|| {
        Error::invalid_field(
            "SOURCE",
            format!("'{}' is not a source; use one of: {}", args.source, Source::names()),
        )
    })?;
    let store = super::open_indexed(&args.data.resolve(&config))?;
    crate::ontologies::install(&store)?;
    let records = if source == Source::Files {
        read_files(&args.paths)?
    } else {
        read_batches(source, &args, &config)?
    };
    let on_error = if args.skip_invalid {
        OnError::Skip
    } else {
        OnError::Reject
    };
    let report = store_records(&store, source, records, on_error, args.batch_size.max(1), &config)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::invalid(e.to_string()))?
        );
    } else {
        for o in report.outcomes.iter().filter(|o| o.outcome == "rejected") {
            eprintln!(
                "rejected: record {} ({}), field '{}': {}",
                o.index,
                o.id.as_deref().unwrap_or("no id"),
                o.field.as_deref().unwrap_or(""),
                o.message.as_deref().unwrap_or("")
            );
        }
        println!(
            "{}: {} records: {} created, {} updated, {} unchanged, {} deleted, {} absent, {} stale, {} skipped, {} rejected",
            report.source,
            report.records,
            report.created,
            report.updated,
            report.unchanged,
            report.deleted,
            report.absent,
            report.stale,
            report.skipped,
            report.rejected
        );
    }
    Ok(())
}

fn read_batches(source: Source, args: &Args, config: &Config) -> Result<Vec<RecordResult>> {
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: config.connectors.rightsline_mapping(),
        record_type: args.record_type.as_deref(),
    };
    let mut records = Vec::new();
    for path in &args.paths {
        let bytes = read(path)?;
        let mapped = ingest::map_batch(source, &bytes, &mapping).map_err(|e| match e {
            Error::Syntax { message, position, .. } => Error::Syntax {
                document: path.display().to_string(),
                format: "JSON".into(),
                message,
                position,
            },
            other => other,
        })?;
        let offset = records.len();
        records.extend(mapped.into_iter().map(|r| {
            r.map_err(|mut e| {
                e.index += offset;
                e.message = format!("{} ({})", e.message, path.display());
                e
            })
        }));
    }
    Ok(records)
}

fn read_files(paths: &[PathBuf]) -> Result<Vec<RecordResult>> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, path, &mut files)?;
    }
    let bar = progress(files.len() as u64, "reading embedded metadata");
    let records = files
        .iter()
        .enumerate()
        .map(|(index, (path, name))| {
            bar.inc(1);
            let bytes = read(path)?;
            Ok(ingest::files::map_file(
                index,
                name,
                None,
                &bytes,
                Territories::global(),
            ))
        })
        .collect();
    bar.finish_and_clear();
    records
}

/// Files under `path`, each with its name relative to the argument's
/// parent (`shoot/a.jpg` for `import files shoot`).
fn collect_files(root: &Path, path: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|source| Error::File {
        path: path.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| Error::File {
                path: path.display().to_string(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if entry.is_dir() || ingest::files::is_media_file(name) {
                collect_files(root, &entry, out)?;
            }
        }
    } else {
        let base = root.parent().unwrap_or(Path::new(""));
        let name = path
            .strip_prefix(base)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        out.push((path.to_owned(), name));
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::File {
        path: path.display().to_string(),
        source,
    })
}

fn progress(total: u64, message: &str) -> ProgressBar {
    ProgressBar::new(total)
        .with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        )
        .with_message(message.to_owned())
}

/// Commits the records in transactions of `batch_size`, after checking all.
fn store_records(
    store: &Store,
    source: Source,
    records: Vec<RecordResult>,
    on_error: OnError,
    batch_size: usize,
    config: &Config,
) -> Result<IngestReport> {
    if on_error == OnError::Reject {
        let errors: Vec<_> = records.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
        if !errors.is_empty() {
            for e in errors.iter().take(20) {
                eprintln!("invalid: {e}");
            }
            return Err(Error::Records {
                system: source.name().into(),
                errors,
            });
        }
    }
    let bar = progress(records.len() as u64, "storing records");
    let mut total = IngestReport {
        source: source.name().into(),
        ..Default::default()
    };
    let mut records = records.into_iter().peekable();
    let mut offset = 0;
    while records.peek().is_some() {
        let chunk: Vec<RecordResult> = records.by_ref().take(batch_size).collect();
        let len = chunk.len();
        let report = assets::upsert(
            store,
            chunk,
            &assets::Ingest {
                source,
                actor: "cli",
                tenant: &config.default_tenant,
                on_error,
            },
        )?;
        total.records += report.records;
        total.created += report.created;
        total.updated += report.updated;
        total.unchanged += report.unchanged;
        total.deleted += report.deleted;
        total.absent += report.absent;
        total.stale += report.stale;
        total.skipped += report.skipped;
        total.rejected += report.rejected;
        total.generation = report.generation;
        total.outcomes.extend(report.outcomes.into_iter().map(|mut o| {
            o.index += offset;
            o
        }));
        offset += len;
        bar.inc(len as u64);
    }
    bar.finish_and_clear();
    Ok(total)
}
