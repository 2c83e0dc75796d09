//! SPARQL queries as the protocol asks them: a dataset from the request or
//! the query, a time limit, a cap on results, and results written as they
//! are produced.
//!
//! A query is prepared first ([`prepare`]) so the caller learns its form
//! (solutions, boolean, graph) and can choose a format before anything is
//! evaluated; [`Prepared::write`] then streams the results to any writer.
//!
//! Both recurse as deep as the query nests, so both run on a SPARQL worker
//! thread ([`super::worker`]), never on a thread of ordinary stack size.
//! [`prepare`] refuses what is too long or nests too deeply
//! ([`super::limits`]) and adds the checkpoints that let [`Stop`] end the
//! evaluation ([`super::stop`]).

use super::limits::{self, Shape};
use super::search::{cleared, cleared_function_name, service_name, SearchService};
use super::stop::{self, Stop};
use super::syntax_error;
use super::update::ProtocolDataset;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::store::Store;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::Term;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::Variable;
use oxigraph::sparql::{PreparedSparqlQuery, QueryEvaluationError, QueryResults, SparqlEvaluator};
use spargebra::algebra::GraphPattern;
use spargebra::term::GroundTerm;
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
    /// Values for variables of the query, joined into it as one row of
    /// `VALUES` ([`bind`]).
    pub bindings: Vec<(Variable, Term)>,
    /// How long and how deeply nested the text may be.
    pub shape: Shape,
    /// Ends the evaluation when it has to stop.
    pub stop: Stop,
    /// Solutions or triples beyond this fail the query.
    pub max_results: Option<u64>,
    /// The tenants whose graphs the query may read (`shared` included), or
    /// `None` for every graph: the dataset, whatever the query or the
    /// request names, is cut down to their graphs.
    pub tenants: Option<Vec<String>>,
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
    tenants: Option<Vec<String>>,
}

/// Checks, parses and sets the dataset of a query. Call it on a SPARQL
/// worker thread.
pub fn prepare(request: QueryRequest) -> Result<Prepared> {
    limits::check_text(&request.text, request.shape)?;
    let mut parser = spargebra::SparqlParser::new();
    if let Some(base) = &request.base_iri {
        parser = parser
            .with_base_iri(base.as_str())
            .map_err(|e| Error::invalid_field("base", format!("'{base}' is not a base IRI: {e}")))?;
    }
    let mut parsed = parser.parse_query(&request.text).map_err(syntax_error)?;
    limits::check_query(&parsed, request.shape.max_depth)?;
    bind(&mut parsed, &request.bindings)?;
    stop::add_to_query(&mut parsed, &request.text);
    let form = match &parsed {
        spargebra::Query::Select { .. } => Form::Solutions,
        spargebra::Query::Ask { .. } => Form::Boolean,
        spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => Form::Graph,
    };
    let mut evaluator = SparqlEvaluator::new()
        .with_cancellation_token(request.stop.token())
        .with_custom_function(stop::checkpoint_name(), request.stop.checkpoint());
    if let Some(index) = request.search {
        let for_function = index.clone();
        evaluator = evaluator
            .with_service_handler(
                service_name(),
                SearchService {
                    index,
                    tenants: request.tenants.clone(),
                },
            )
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
        tenants: request.tenants,
    })
}

impl Prepared {
    pub fn form(&self) -> Form {
        self.form
    }

    /// Evaluates the query on the store and writes its results to `out`
    /// as they come.
    pub fn write(mut self, store: &Store, format: Format, out: impl Write) -> Result<()> {
        if let Some(tenants) = &self.tenants {
            // While no other tenant holds anything, the whole store is the
            // caller's: the plain union, not a list of a million graphs.
            if !store.holds_only(tenants)? {
                let readable = super::tenants::readable(store, tenants)?;
                super::tenants::restrict(self.query.dataset_mut(), &readable);
            }
        }
        let results = store.db().query(self.query).execute().map_err(evaluation_error)?;
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

/// Prepares and evaluates a query on a worker thread of its own (within
/// the memory budget of `sparql`, and no time limit), choosing the format
/// from its form, and waits for it: for the command line.
pub(crate) fn run_to_end(
    store: Arc<Store>,
    sparql: &super::SparqlConfig,
    request: QueryRequest,
    choose: impl FnOnce(Form) -> Result<Format> + Send + 'static,
    out: impl FnOnce() -> Box<dyn Write> + Send + 'static,
) -> Result<()> {
    let workers = super::worker::Workers::new(1, sparql.stack_bytes());
    let budget = super::worker::Budget {
        timeout: std::time::Duration::from_secs(365 * 24 * 3600),
        ..sparql.budget()
    };
    let stop = request.stop.clone();
    let done = workers.start(stop, budget, move || {
        let prepared = prepare(request)?;
        let format = choose(prepared.form())?;
        let mut out = out();
        prepared.write(&store, format, &mut out)?;
        writeln!(out)
            .and_then(|()| out.flush())
            .map_err(|e| Error::Storage(format!("writing results: {e}")))
    })?;
    done.blocking_recv()
        .unwrap_or_else(|_| Err(Error::Storage("the query thread ended without an answer".into())))
}

/// Binds variables of a parsed query to values: one row of `VALUES`
/// joined first into its outermost group, below the solution modifiers and
/// the group's own filters and BINDs, which therefore see the values — the
/// algebra of a `VALUES` written first in the outermost `WHERE` group.
pub fn bind(query: &mut spargebra::Query, bindings: &[(Variable, Term)]) -> Result<()> {
    if bindings.is_empty() {
        return Ok(());
    }
    let row = (bindings.iter())
        .map(|(variable, term)| match term {
            Term::NamedNode(n) => Ok(Some(GroundTerm::NamedNode(n.clone()))),
            Term::Literal(l) => Ok(Some(GroundTerm::Literal(l.clone()))),
            _ => Err(Error::invalid_field(
                variable.as_str(),
                "only IRIs and literals can be bound to a query's variables",
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let values = GraphPattern::Values {
        variables: bindings.iter().map(|(v, _)| v.clone()).collect(),
        bindings: vec![row],
    };
    let pattern = match query {
        spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }
        | spargebra::Query::Ask { pattern, .. } => pattern,
    };
    let first = first_of_outer_group(pattern, true);
    let element = std::mem::replace(first, GraphPattern::Bgp { patterns: Vec::new() });
    *first = GraphPattern::Join {
        left: Box::new(values),
        right: Box::new(element),
    };
    Ok(())
}

/// The first element of the outermost group: below the modifiers (one
/// projection, the query's own), then leftwards through the group's
/// joins, OPTIONALs, MINUSes, filters and BINDs.
fn first_of_outer_group(pattern: &mut GraphPattern, top: bool) -> &mut GraphPattern {
    let goes_on = match pattern {
        GraphPattern::Project { .. } => top,
        GraphPattern::Slice { .. }
        | GraphPattern::Distinct { .. }
        | GraphPattern::Reduced { .. }
        | GraphPattern::OrderBy { .. }
        | GraphPattern::Group { .. }
        | GraphPattern::Filter { .. }
        | GraphPattern::Extend { .. }
        | GraphPattern::Join { .. }
        | GraphPattern::LeftJoin { .. }
        | GraphPattern::Minus { .. } => true,
        _ => false,
    };
    if !goes_on {
        return pattern;
    }
    match pattern {
        GraphPattern::Project { inner, .. } => first_of_outer_group(inner, false),
        GraphPattern::Slice { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Filter { inner, .. }
        | GraphPattern::Extend { inner, .. } => first_of_outer_group(inner, top),
        GraphPattern::Join { left, .. } | GraphPattern::LeftJoin { left, .. } | GraphPattern::Minus { left, .. } => {
            first_of_outer_group(left, top)
        }
        other => other,
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
pub(crate) const CANCELLED: &str = "the query was cancelled";
