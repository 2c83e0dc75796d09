//! The command line: `serve`, `load`, `import`, `sync`, `query`, `report`,
//! `search`, `reindex`. Each subcommand is a small module that reads its arguments,
//! calls the core and reports. Errors end in one place ([`main`]), which
//! prints what went wrong and what to do next.

mod backup;
pub(crate) mod demo;
mod import;
mod load;
mod query;
mod report;
mod search;
pub(crate) mod serve;
mod sync;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Store;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "assetgraph",
    version,
    about = "Semantic metadata knowledge graph for licensed assets, rights and taxonomies"
)]
pub(crate) struct Cli {
    /// TOML configuration file (see docs/CONFIGURATION.md).
    #[arg(long, global = true, env = "ASSETGRAPH_CONFIG")]
    config: Option<PathBuf>,

    /// Log format: text or json.
    #[arg(long, global = true, default_value = "text", env = "ASSETGRAPH_LOG_FORMAT")]
    log_format: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve(serve::Args),
    /// Load taxonomy files (Turtle, TriG, N-Triples, N-Quads, N3, RDF/XML, JSON-LD) into the store.
    Load(load::Args),
    /// Run a SPARQL query on the store and print the results.
    Query(query::Args),
    /// Run a named report (queries/NAME.rq) with its parameters; without NAME, list the reports.
    Report(report::Args),
    /// Import asset and rights records of a source, or image files with their embedded metadata.
    #[command(about = format!(
        "Import asset and rights records of a source ({}; files: image files, their embedded metadata read)",
        crate::ingest::Source::names()
    ))]
    Import(import::Args),
    /// Pull what changed from a source system.
    #[command(about = format!("Pull what changed from a source system ({})", crate::connectors::NAMES.join(", ")))]
    Sync(sync::Args),
    /// Rebuild the search index from the store.
    Reindex(search::ReindexArgs),
    /// Back the store up into a new directory (a running service: POST /api/backups).
    Backup(backup::BackupArgs),
    /// Restore a backup into a new data directory, and rebuild its search index.
    Restore(backup::RestoreArgs),
    /// Search assets by text, as the search API does.
    Search(search::SearchArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let result = Config::load(cli.config.as_deref()).and_then(|config| match cli.command {
        Command::Serve(args) => serve::run(args, config),
        Command::Load(args) => load::run(args, config),
        Command::Query(args) => query::run(args, config),
        Command::Report(args) => report::run(args, config),
        Command::Import(args) => import::run(args, config),
        Command::Sync(args) => sync::run(args, config),
        Command::Reindex(args) => search::reindex(args, config),
        Command::Backup(args) => backup::backup(args, config),
        Command::Restore(args) => backup::restore(args, config),
        Command::Search(args) => search::search(args, config),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = hint(&error) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// What to do next, for the errors where that is not obvious.
fn hint(error: &Error) -> Option<&'static str> {
    match error {
        Error::Syntax { .. } => {
            Some("fix the document at the position shown, or check that its extension or --format matches its syntax")
        }
        Error::UnsupportedFormat { .. } => Some("pass --format turtle|trig|ntriples|nquads|n3|rdfxml|jsonld"),
        Error::QuerySyntax { .. } => {
            Some("check the query at the position shown; prefixes must be declared with PREFIX")
        }
        Error::Unacceptable { .. } => Some("use --merge to add triples to an existing project"),
        Error::File { .. } => Some("check the path and its permissions"),
        Error::Records { .. } => Some("fix the records named above, or pass --skip-invalid to store the valid ones"),
        Error::Index(_) => Some("rebuild the search index from the store with `assetgraph reindex`"),
        Error::Upstream { .. } => Some(
            "check the connector's settings in the config file ([connectors.…]) and that the system is reachable; \
             the next sync resumes from the last committed cursor",
        ),
        _ => None,
    }
}

fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Span close events carry each write stage's time (RUST_LOG=assetgraph=debug).
    // Colour only for a terminal: a log file or journal keeps plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Opens the store with its search index following every commit, for the
/// commands that write: what they store is searchable when they return.
fn open_indexed(data: &std::path::Path) -> Result<Store> {
    let store = Store::open(data)?;
    let index = crate::index::SearchIndex::open(&data.join("index"), &store)?;
    store.subscribe(std::sync::Arc::new(index));
    Ok(store)
}

/// `--data` shared by every command that opens the store.
#[derive(clap::Args)]
struct DataArg {
    /// Data directory (default: ./data, or `data` in the config file).
    #[arg(long, env = "ASSETGRAPH_DATA")]
    data: Option<PathBuf>,
}

impl DataArg {
    fn resolve(&self, config: &Config) -> PathBuf {
        self.data.clone().unwrap_or_else(|| config.data.clone())
    }
}
