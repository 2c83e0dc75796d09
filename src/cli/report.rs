//! `assetgraph report NAME --param k=v`: one of the named reports in
//! `queries/`, results on standard output; `assetgraph report` alone lists
//! them with their parameters.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::reports;
use crate::sparql::limits::Shape;
use crate::sparql::query::{self, Format, QueryRequest};
use crate::sparql::stop::Stop;
use crate::sparql::OutputFormat;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// json (default), csv, tsv or xml.
    #[arg(long)]
    format: Option<String>,
    /// A parameter of the report, as name=value; repeat for several.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// The report's name (its file in queries/ without .rq); leave out to list them.
    name: Option<String>,
}

pub(super) fn run(args: Args, config: Config) -> Result<()> {
    let Some(name) = args.name else {
        return list();
    };
    let report = reports::find(&name)?;
    let mut given = HashMap::new();
    for param in &args.params {
        let (key, value) = param.split_once('=').ok_or_else(|| {
            Error::invalid_field(
                "param",
                format!("'{param}' is not NAME=VALUE, for example --param days=30"),
            )
        })?;
        given.insert(key.to_owned(), value.to_owned());
    }
    let format = match args.format.as_deref() {
        Some(name) => OutputFormat::from_name(name)?.results,
        None => oxigraph::sparql::results::QueryResultsFormat::Json,
    };
    let data = args.data.resolve(&config);
    let store = Arc::new(Store::open(&data)?);
    // The search index holds the rights that ag:cleared and ag:search use;
    // opening it costs time, so only reports that need it do.
    let search = if report.text.contains("ag:cleared") || report.text.contains("ag:search") {
        let index = Arc::new(SearchIndex::open(&data.join("index"), &store)?);
        store.subscribe(index.clone());
        Some(index)
    } else {
        None
    };
    let bindings = report.bindings(&given)?;
    let request = QueryRequest {
        text: report.text.to_owned(),
        base_iri: None,
        dataset: None,
        union_default_graph: true,
        search,
        bindings,
        shape: Shape {
            max_bytes: usize::MAX,
            ..config.sparql.shape()
        },
        stop: Stop::new(),
        max_results: None,
        tenants: None,
    };
    query::run_to_end(
        store,
        &config.sparql,
        request,
        move |_| Ok(Format::Results(format)),
        || Box::new(std::io::BufWriter::new(std::io::stdout())),
    )
}

fn list() -> Result<()> {
    for report in reports::all() {
        println!("{}\n    {}", report.name, report.description);
        for p in &report.parameters {
            let default = p
                .default
                .as_deref()
                .map_or("optional".to_owned(), |d| format!("default {d}"));
            println!("    --param {}=<{}> ({default}): {}", p.name, p.kind, p.description);
        }
    }
    Ok(())
}
