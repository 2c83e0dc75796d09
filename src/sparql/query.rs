//! SPARQL queries as the protocol asks them: a dataset from the request or
//! the query, a time limit, a cap on results, and results written as they
//! are produced.
//!
//! A query is prepared first ([`prepare`]) so the caller learns its form
//! (solutions, boolean, graph) and can choose a format before anything is
//! evaluated; [`Prepared::write`] then streams the results to any writer.

use super::search::{cleared, cleared_function_name, service_name, SearchService};
use super::syntax_error;
use super::update::ProtocolDataset;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::store::Store;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, PreparedSparqlQuery, QueryEvaluationError, QueryResults, SparqlEvaluator};
use std::io::Write;
use std::sync::Arc;

/// A query as the protocol delivers it.
pub struct QueryRequest {
    pub text: String,
    pub base_iri: Option<String>,
    /// The protocol's `default-graph-uri` and `named-graph-uri`; when
    /// given, they replace the query's own `FROM` and `FROM NAMED`.
    pub dataset: Option<ProtocolDataset>,
    /// With no dataset named, the default graph is the union of all graphs.
    pub union_default_graph: bool,
    /// For `SERVICE ag:search`.
    pub search: Option<Arc<SearchIndex>>,
    pub cancel: CancellationToken,
    /// Solutions or triples beyond this fail the query.
    pub max_results: Option<u64>,
}

/// What a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// SELECT
    Solutions,
    /// ASK
    Boolean,
    /// CONSTRUCT and DESCRIBE
    Graph,
}

/// The format results are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Results(QueryResultsFormat),
    Graph(RdfFormat),
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Results(f) => f.media_type(),
            Format::Graph(f) => f.media_type(),
        }
    }
}

/// A parsed query, its dataset set, not yet evaluated.
pub struct Prepared {
    query: PreparedSparqlQuery,
    form: Form,
    max_results: Option<u64>,
}

/// Parses a query and sets its dataset.
pub fn prepare(request: QueryRequest) -> Result<Prepared> {
    let mut parser = spargebra::SparqlParser::new();
    if let Some(base) = &request.base_iri {
        parser = parser
            .with_base_iri(base.as_str())
            .map_err(|e| Error::invalid_field("base", format!("'{base}' is not a base IRI: {e}")))?;
    }
    let parsed = parser.parse_query(&request.text).map_err(syntax_error)?;
    let form = match &parsed {
        spargebra::Query::Select { .. } => Form::Solutions,
        spargebra::Query::Ask { .. } => Form::Boolean,
        spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => Form::Graph,
    };
    let mut evaluator = SparqlEvaluator::new().with_cancellation_token(request.cancel.clone());
    if let Some(index) = request.search {
        let for_function = index.clone();
        evaluator = evaluator
            .with_service_handler(service_name(), SearchService { index })
            .with_custom_function(cleared_function_name(), move |args| cleared(&for_function, args));
    }
    let mut query = evaluator.for_query(parsed);
    match request.dataset.filter(|d| !d.is_empty()) {
        Some(dataset) => *query.dataset_mut() = dataset.specification(),
        None if request.union_default_graph && query.dataset().is_default_dataset() => {
            query.dataset_mut().set_default_graph_as_union()
        }
        None => {}
    }
    Ok(Prepared {
        query,
        form,
        max_results: request.max_results,
    })
}

impl Prepared {
    pub fn form(&self) -> Form {
        self.form
    }

    /// Evaluates the query on the store and writes its results to `out`
    /// as they come.
    pub fn write(self, store: &Store, format: Format, out: impl Write) -> Result<()> {
        let results = self.query.on_store(store.db()).execute().map_err(evaluation_error)?;
        let io = |e: std::io::Error| Error::Storage(format!("writing results: {e}"));
        let cap = self.max_results.unwrap_or(u64::MAX);
        let over = || {
            Error::invalid_field(
                "query",
                format!(
                    "the query returns more than {cap} results (sparql.max_results); add a LIMIT, page with OFFSET, \
                     or raise the limit"
                ),
            )
        };
        match (results, format) {
            (QueryResults::Solutions(solutions), Format::Results(format)) => {
                let mut writer = QueryResultsSerializer::from_format(format)
                    .serialize_solutions_to_writer(out, solutions.variables().to_vec())
                    .map_err(io)?;
                for (n, solution) in solutions.enumerate() {
                    if n as u64 >= cap {
                        return Err(over());
                    }
                    writer.serialize(&solution.map_err(evaluation_error)?).map_err(io)?;
                }
                writer.finish().map_err(io)?;
            }
            (QueryResults::Boolean(value), Format::Results(format)) => {
                QueryResultsSerializer::from_format(format)
                    .serialize_boolean_to_writer(out, value)
                    .map_err(io)?;
            }
            (QueryResults::Graph(triples), Format::Graph(format)) => {
                let mut writer = RdfSerializer::from_format(format).for_writer(out);
                for (n, triple) in triples.enumerate() {
                    if n as u64 >= cap {
                        return Err(over());
                    }
                    writer
                        .serialize_triple(&triple.map_err(evaluation_error)?)
                        .map_err(io)?;
                }
                writer.finish().map_err(io)?;
            }
            _ => {
                return Err(Error::invalid_field(
                    "format",
                    "this format does not fit the query: SELECT and ASK give json, xml, csv or tsv; CONSTRUCT and \
                     DESCRIBE give turtle, ntriples, nquads, trig, rdfxml or jsonld",
                ))
            }
        }
        Ok(())
    }
}

/// A cancelled query is reported as such, so the caller can tell a time
/// limit from a fault.
fn evaluation_error(e: QueryEvaluationError) -> Error {
    match e {
        QueryEvaluationError::Cancelled => Error::Query {
            message: CANCELLED.into(),
            position: None,
        },
        other => other.into(),
    }
}

/// The message of a query stopped by its cancellation token.
pub const CANCELLED: &str = "the query was cancelled";
