//! `assetgraph query`: a SPARQL query on the union of all graphs, results on
//! standard output.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::sparql::query::{self, Form, Format, QueryRequest};
use crate::sparql::stop::Stop;
use crate::sparql::OutputFormat;
use crate::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// json (default), xml, csv or tsv for SELECT and ASK; turtle (default), ntriples, nquads, trig, rdfxml or jsonld for CONSTRUCT and DESCRIBE.
    #[arg(long)]
    format: Option<String>,
    /// The query, or @FILE to read it from a file.
    query: String,
}

pub(super) fn run(args: Args, config: Config) -> Result<()> {
    let query = match args.query.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|source| Error::File {
            path: path.into(),
            source,
        })?,
        None => args.query,
    };
    let format = args
        .format
        .as_deref()
        .map(OutputFormat::from_name)
        .transpose()?
        .unwrap_or_default();
    let store = std::sync::Arc::new(Store::open(&args.data.resolve(&config))?);
    let request = QueryRequest {
        text: query,
        base_iri: None,
        dataset: None,
        union_default_graph: true,
        search: None,
        bindings: Vec::new(),
        shape: config.sparql.shape(),
        stop: Stop::new(),
        max_results: None,
        tenants: None,
    };
    query::run_to_end(
        store,
        &config.sparql,
        request,
        move |form| fitting_format(format, form),
        || Box::new(std::io::BufWriter::new(std::io::stdout())),
    )
}

/// The format for the query's form; a named format of the other kind is an error.
fn fitting_format(format: OutputFormat, form: Form) -> Result<Format> {
    match form {
        Form::Graph if format.explicit && format.names_results => Err(Error::invalid_field(
            "format",
            "this query returns a graph: use --format turtle, ntriples, nquads, trig, rdfxml or jsonld",
        )),
        Form::Graph => Ok(Format::Graph(format.graph)),
        _ if format.explicit && !format.names_results => Err(Error::invalid_field(
            "format",
            "this query returns solutions: use --format json, xml, csv or tsv",
        )),
        _ => Ok(Format::Results(format.results)),
    }
}
