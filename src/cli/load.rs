//! `assetgraph load`: taxonomy files into the store, through the same write
//! path as an HTTP push, with a progress bar.
//!
//! Without `--project`, each file is its own project named after the file
//! (`stw-skos.ttl` → `stw-skos`). With `--project`, the files together are
//! the new version of that one project.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rdf;
use crate::taxonomy::{self, Push, PushMode};
use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::model::{NamedNode, Quad};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// Project id (default: each file's name without its extension).
    #[arg(long)]
    project: Option<String>,
    /// Graph for triples outside a named graph (default: the project's main graph).
    #[arg(long)]
    graph: Option<String>,
    /// Format of every file (default: from each file's extension).
    #[arg(long)]
    format: Option<String>,
    /// Add to the project instead of replacing it.
    #[arg(long)]
    merge: bool,
    /// Files to load.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub(super) fn run(args: Args, config: Config) -> Result<()> {
    let store = super::open_indexed(&args.data.resolve(&config))?;
    crate::ontologies::install(&store)?;
    let graph = args
        .graph
        .as_deref()
        .map(|g| NamedNode::new(g).map_err(|e| Error::invalid_field("--graph", format!("'{g}' is not an IRI: {e}"))))
        .transpose()?;
    let mode = if args.merge { PushMode::Merge } else { PushMode::Replace };
    let batches: Vec<(String, Vec<PathBuf>)> = match &args.project {
        Some(project) => vec![(project.clone(), args.files.clone())],
        None => args
            .files
            .iter()
            .map(|f| Ok((project_from_file(f)?, vec![f.clone()])))
            .collect::<Result<_>>()?,
    };
    for (project, files) in batches {
        taxonomy::validate_project_id(&project)?;
        let mut quads = Vec::new();
        for file in &files {
            quads.extend(parse_file(file, args.format.as_deref())?);
        }
        let spinner =
            ProgressBar::new_spinner().with_message(format!("storing {} triples as project '{project}'", quads.len()));
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        let push = Push {
            project: project.clone(),
            mode,
            quads,
            default_graph: graph.clone(),
            actor: "cli".into(),
            tenant: config.default_tenant.clone(),
        };
        let report = taxonomy::push(&store, push)?;
        spinner.finish_and_clear();
        println!(
            "{project}: {} triples, {} concepts, {} deprecated, {} schemes; {}; version {}{}",
            report.counts.triples,
            report.counts.concepts,
            report.counts.deprecated,
            report.counts.schemes,
            report.diff.summary(),
            report.version,
            if report.changed { "" } else { " (unchanged)" }
        );
    }
    Ok(())
}

fn parse_file(path: &Path, format: Option<&str>) -> Result<Vec<Quad>> {
    let format = match format {
        Some(name) => rdf::format_from_name(name)?,
        None => rdf::format_from_path(path)?,
    };
    let bytes = std::fs::read(path).map_err(|source| Error::File {
        path: path.display().to_string(),
        source,
    })?;
    let bar = ProgressBar::new(bytes.len() as u64).with_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("parsing {}", path.display()));
    let quads = rdf::parse(&path.display().to_string(), format, &bytes, &|read| {
        bar.set_position(read)
    });
    bar.finish_and_clear();
    quads
}

fn project_from_file(path: &Path) -> Result<String> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    taxonomy::validate_project_id(&id).map_err(|_| {
        Error::invalid_field(
            "--project",
            format!("cannot name a project after '{}'; pass --project ID", path.display()),
        )
    })?;
    Ok(id)
}
