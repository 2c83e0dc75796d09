//! SPARQL on the store: queries, updates and the Graph Store Protocol's
//! operations, as the core offers them to `http/` and `cli/`.
//!
//! - [`query`]: a query with the protocol's dataset, time limit (a
//!   cancellation token) and result cap, streamed to a writer;
//! - [`update`]: SPARQL Update evaluated on a scratch transaction and
//!   committed through the single write path;
//! - [`graph_store`]: the Graph Store Protocol's reads and writes, through
//!   the same path;
//! - [`edits`]: how both route a change of a graph — a taxonomy project's
//!   graphs become a push, the service's own graphs are refused;
//! - [`search`]: `SERVICE ag:search`, the search index inside a query;
//! - [`limits`], [`stop`] and [`worker`]: what a query may be, how it is
//!   stopped, and the threads that run it within its time and memory.
//!
//! No value from a request is ever written into query text: the service's
//! own queries are constants, and values reach them bound to variables —
//! before evaluation for [`select`], as a `VALUES` row joined into the
//! parsed algebra for reports ([`query::bind`]).
//!
//! By default the default graph of a query is the union of all graphs
//! (DESIGN §2); `sparql.union_default_graph = false` makes it the store's
//! own default graph, as the W3C test suites expect.

/// Every expression of two operands, binding them to `$a` and `$b`, as
/// one pattern: the walks of [`limits`] and [`stop`] treat them alike.
macro_rules! binary_expression {
    ($a:ident, $b:ident) => {
        spargebra::algebra::Expression::Or($a, $b)
            | spargebra::algebra::Expression::And($a, $b)
            | spargebra::algebra::Expression::Equal($a, $b)
            | spargebra::algebra::Expression::SameTerm($a, $b)
            | spargebra::algebra::Expression::Greater($a, $b)
            | spargebra::algebra::Expression::GreaterOrEqual($a, $b)
            | spargebra::algebra::Expression::Less($a, $b)
            | spargebra::algebra::Expression::LessOrEqual($a, $b)
            | spargebra::algebra::Expression::Add($a, $b)
            | spargebra::algebra::Expression::Subtract($a, $b)
            | spargebra::algebra::Expression::Multiply($a, $b)
            | spargebra::algebra::Expression::Divide($a, $b)
    };
}

pub(crate) mod edits;
pub(crate) mod graph_store;
pub(crate) mod limits;
pub mod query;
pub(crate) mod search;
pub(crate) mod stop;
pub(crate) mod tenants;
pub(crate) mod update;
pub(crate) mod worker;

use crate::error::{Error, Position, Result};
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;
use serde::Deserialize;

/// How to write results: one format for solutions and booleans, one for graphs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutputFormat {
    pub results: QueryResultsFormat,
    pub graph: RdfFormat,
    /// Whether the user named a format (so a mismatch is an error, not a default).
    pub explicit: bool,
    /// Whether the name was one of a results format (json, xml, csv, tsv).
    pub names_results: bool,
}

impl Default for OutputFormat {
    fn default() -> Self {
        OutputFormat {
            results: QueryResultsFormat::Json,
            graph: RdfFormat::Turtle,
            explicit: false,
            names_results: false,
        }
    }
}

impl OutputFormat {
    /// `json`, `xml`, `csv`, `tsv` for SELECT/ASK; an RDF format name for CONSTRUCT/DESCRIBE.
    pub(crate) fn from_name(name: &str) -> Result<Self> {
        let results = match name.to_ascii_lowercase().as_str() {
            "json" => Some(QueryResultsFormat::Json),
            "xml" => Some(QueryResultsFormat::Xml),
            "csv" => Some(QueryResultsFormat::Csv),
            "tsv" => Some(QueryResultsFormat::Tsv),
            _ => None,
        };
        match results {
            Some(results) => Ok(OutputFormat {
                results,
                graph: RdfFormat::Turtle,
                explicit: true,
                names_results: true,
            }),
            None => {
                let graph = crate::rdf::format_from_name(name).map_err(|_| {
                    Error::invalid_field("format", format!("'{name}' is not an output format: use json, xml, csv or tsv for SELECT and ASK, turtle, ntriples, nquads, trig, rdfxml or jsonld for CONSTRUCT and DESCRIBE"))
                })?;
                Ok(OutputFormat {
                    results: QueryResultsFormat::Json,
                    graph,
                    explicit: true,
                    names_results: false,
                })
            }
        }
    }
}

/// Limits and semantics of the SPARQL endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SparqlConfig {
    /// A query or update running longer is stopped and answered with 503.
    pub timeout_secs: u64,
    /// A query returning more solutions or triples fails (400).
    pub max_results: u64,
    /// With no dataset in the query or the request, the default graph is the
    /// union of all graphs (true) or the store's own default graph (false).
    pub union_default_graph: bool,
    /// Longer queries and updates are refused (400).
    pub max_query_bytes: usize,
    /// Queries and updates nesting deeper are refused (400): brackets in
    /// the text, and operators (chains of `+`, `/`, UNION…) in the algebra.
    pub max_depth: usize,
    /// A query whose evaluation holds more memory is stopped (503).
    pub memory_budget_mib: usize,
    /// Queries, updates and reports running at once; one more is answered
    /// 503 with `Retry-After`.
    pub max_concurrent: usize,
}

impl SparqlConfig {
    pub fn shape(&self) -> limits::Shape {
        limits::Shape {
            max_bytes: self.max_query_bytes,
            max_depth: self.max_depth,
        }
    }

    pub fn budget(&self) -> worker::Budget {
        worker::Budget {
            timeout: std::time::Duration::from_secs(self.timeout_secs),
            memory_bytes: self.memory_budget_mib.saturating_mul(1 << 20),
        }
    }

    /// The stack of a SPARQL worker thread: enough for the parser and the
    /// evaluator at `max_depth`, and to drop the longest chain
    /// `max_query_bytes` can spell (one level per two bytes).
    pub fn stack_bytes(&self) -> usize {
        let per_level = 16 << 10;
        let per_byte = 512;
        (8 << 20) + self.max_depth * per_level + self.max_query_bytes * per_byte
    }
}

impl Default for SparqlConfig {
    fn default() -> Self {
        SparqlConfig {
            timeout_secs: 30,
            max_results: 1_000_000,
            union_default_graph: true,
            max_query_bytes: 256 * 1024,
            max_depth: 64,
            memory_budget_mib: 512,
            max_concurrent: 4,
        }
    }
}

pub(crate) fn syntax_error(e: oxigraph::sparql::SparqlSyntaxError) -> Error {
    let message = e.to_string();
    Error::QuerySyntax {
        position: position_in_message(&message),
        message,
    }
}

/// The parser reports positions only in its message ("error at 3:14: …").
fn position_in_message(message: &str) -> Option<Position> {
    let rest = &message[message.find("at ")? + 3..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let (line, column) = rest[..end].trim_end_matches(':').split_once(':')?;
    Some(Position {
        line: line.parse().ok()?,
        column: column.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_their_position() {
        let err = oxigraph::sparql::SparqlEvaluator::new()
            .parse_query("SELECT * WHERE {\n ?s ?p }")
            .map(|_| ())
            .unwrap_err();
        let Error::QuerySyntax { position: Some(p), .. } = syntax_error(err) else {
            panic!("no position")
        };
        assert_eq!(p.line, 2);
    }
}
