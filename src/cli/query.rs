//! `assetgraph query`: a SPARQL query on the union of all graphs, results on
//! standard output.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::sparql::{self, OutputFormat};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArg,
    /// json (default), xml, csv or tsv for SELECT and ASK; turtle (default), ntriples, nquads, trig, rdfxml or jsonld for CONSTRUCT and DESCRIBE.
    #[arg(long)]
    format: Option<String>,
    /// The query, or @FILE to read it from a file.
    query: String,
}

pub fn run(args: Args, config: Config) -> Result<()> {
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
    let store = Store::open(&args.data.resolve(&config))?;
    let stdout = std::io::stdout().lock();
    sparql::evaluate(&store, &query, format, std::io::BufWriter::new(stdout))?;
    println!();
    Ok(())
}
