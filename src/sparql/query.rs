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
use spargebra::term::{GroundTerm, NamedNodePattern, TermPattern, TriplePattern};
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
///
/// The engine joins a `VALUES` row with the group's first element only
/// after evaluating that element whole, so the row is carried on to where
/// it narrows the reading, wherever that leaves the answers as they are:
/// into each branch of a `UNION` the group starts with (a join distributes
/// over a union), into a `GRAPH` it starts with (unless the row binds the
/// graph's name), first into such a nested group when its first element
/// binds every variable of the row, and into the triple patterns of the
/// basic graph pattern finally reached, where each bound variable is
/// replaced by its value (joined with the row, they match what they
/// matched with the variable). An asset's audit trail then reads that
/// asset's entries instead of every entry.
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
    join_first(pattern, &values, true);
    Ok(())
}

/// Joins `values` (one row) into a group: at the top, first into its first
/// element, by definition; below, the same where that gives the answers of
/// joining the whole group (its first element binds every variable of the
/// row, so each later element sees the same values either way), and
/// otherwise with the whole group.
fn join_first(group: &mut GraphPattern, values: &GraphPattern, top: bool) {
    let GraphPattern::Values { variables, bindings } = values else {
        unreachable!("join_first joins a VALUES row");
    };
    if !top && !binds_all(group, variables) {
        join_row(group, values);
        return;
    }
    let first = first_of_outer_group(group, top);
    match first {
        // A join distributes over a union.
        GraphPattern::Union { left, right } => {
            join_first(left, values, false);
            join_first(right, values, false);
        }
        GraphPattern::Graph { name, inner } if !is_one_of(name, variables) => join_first(inner, values, false),
        GraphPattern::Bgp { patterns } => {
            for pattern in patterns.iter_mut() {
                substitute(pattern, variables, &bindings[0]);
            }
            join_row(first, values);
        }
        other => join_row(other, values),
    }
}

fn join_row(pattern: &mut GraphPattern, values: &GraphPattern) {
    let element = std::mem::replace(pattern, GraphPattern::Bgp { patterns: Vec::new() });
    *pattern = GraphPattern::Join {
        left: Box::new(values.clone()),
        right: Box::new(element),
    };
}

/// Whether the first element of a group (inside a union, of each branch)
/// is a basic graph pattern that mentions every one of the variables.
fn binds_all(group: &mut GraphPattern, variables: &[Variable]) -> bool {
    match first_of_outer_group(group, false) {
        GraphPattern::Bgp { patterns } => variables.iter().all(|variable| {
            patterns.iter().any(|p| {
                matches!(&p.subject, TermPattern::Variable(v) if v == variable)
                    || matches!(&p.predicate, NamedNodePattern::Variable(v) if v == variable)
                    || matches!(&p.object, TermPattern::Variable(v) if v == variable)
            })
        }),
        GraphPattern::Graph { name, inner } => !is_one_of(name, variables) && binds_all(inner, variables),
        GraphPattern::Union { left, right } => binds_all(left, variables) && binds_all(right, variables),
        _ => false,
    }
}

fn is_one_of(name: &NamedNodePattern, variables: &[Variable]) -> bool {
    matches!(name, NamedNodePattern::Variable(v) if variables.contains(v))
}

/// Replaces the bound variables of a triple pattern by their values, where
/// the position can hold the value (a literal only as object).
fn substitute(pattern: &mut TriplePattern, variables: &[Variable], row: &[Option<GroundTerm>]) {
    let value_of = |variable: &Variable| {
        let at = variables.iter().position(|v| v == variable)?;
        row.get(at)?.clone()
    };
    if let TermPattern::Variable(variable) = &pattern.subject {
        if let Some(GroundTerm::NamedNode(iri)) = value_of(variable) {
            pattern.subject = TermPattern::NamedNode(iri);
        }
    }
    if let TermPattern::Variable(variable) = &pattern.object {
        match value_of(variable) {
            Some(GroundTerm::NamedNode(iri)) => pattern.object = TermPattern::NamedNode(iri),
            Some(GroundTerm::Literal(literal)) => pattern.object = TermPattern::Literal(literal),
            _ => {}
        }
    }
    if let NamedNodePattern::Variable(variable) = &pattern.predicate {
        if let Some(GroundTerm::NamedNode(iri)) = value_of(variable) {
            pattern.predicate = NamedNodePattern::NamedNode(iri);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(text: &str) -> String {
        let mut query = spargebra::SparqlParser::new().parse_query(text).unwrap();
        let iri = oxigraph::model::NamedNode::new_unchecked("urn:a");
        let asset = (Variable::new_unchecked("asset"), Term::from(iri));
        bind(&mut query, &[asset]).unwrap();
        query.to_string()
    }

    /// The answers of a query on a small store, each solution a sorted
    /// line, the lines sorted.
    fn answers(store: &oxigraph::store::Store, query: spargebra::Query) -> Vec<String> {
        let mut prepared = SparqlEvaluator::new().for_query(query);
        prepared.dataset_mut().set_default_graph_as_union();
        let QueryResults::Solutions(solutions) = prepared.on_store(store).execute().unwrap() else {
            panic!("a SELECT");
        };
        let mut lines: Vec<String> = solutions
            .map(|solution| {
                let mut pairs: Vec<String> = solution.unwrap().iter().map(|(v, t)| format!("{v}={t}")).collect();
                pairs.sort();
                pairs.join(" ")
            })
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn a_bound_row_gives_the_answers_of_values_written_first_in_the_where_group() {
        let store = oxigraph::store::Store::new().unwrap();
        store
            .load_from_slice(
                oxigraph::io::RdfFormat::TriG,
                r#"<urn:audit> { <urn:c1> <urn:changed> <urn:a> ; <urn:at> 1 .
                                 <urn:c2> <urn:changed> <urn:b> ; <urn:at> 2 .
                                 <urn:c3> <urn:kind> "edit" ; <urn:about> <urn:b> . }
                   <urn:usage> { <urn:e1> <urn:used> <urn:a> ; <urn:at> 3 ; <urn:by> "ann" .
                                 <urn:e2> <urn:used> <urn:b> ; <urn:at> 4 . }"#,
            )
            .unwrap();
        let queries = [
            // The audit trail's shape: a union of graphs, each bound inside.
            "SELECT ?at ?kind WHERE { { GRAPH <urn:audit> { ?c <urn:changed> ?asset ; <urn:at> ?at } BIND(\"change\" AS ?kind) } \
             UNION { GRAPH ?g { ?e <urn:used> ?asset ; <urn:at> ?at OPTIONAL { ?e <urn:by> ?who } } BIND(\"use\" AS ?kind) } } ORDER BY ?at",
            // A branch whose OPTIONAL, not its first pattern, binds the variable.
            "SELECT * WHERE { { ?c <urn:kind> ?k OPTIONAL { ?c <urn:about> ?asset } } UNION { ?e <urn:used> ?asset } }",
            // A graph named by the bound variable itself.
            "SELECT * WHERE { GRAPH ?asset { ?s ?p ?o } }",
            // A literal, and a filter on the variable in the outer group.
            "SELECT * WHERE { ?s <urn:at> ?n FILTER(?n >= 1) }",
        ];
        for (text, (variable, value)) in queries.iter().zip([
            ("asset", "<urn:a>"),
            // <urn:c3> is about <urn:b>: its branch must not find it for <urn:a>.
            ("asset", "<urn:a>"),
            ("asset", "<urn:usage>"),
            ("n", "3"),
        ]) {
            let written = text.replacen("WHERE {", &format!("WHERE {{ VALUES ?{variable} {{ {value} }}"), 1);
            let expected = answers(&store, spargebra::SparqlParser::new().parse_query(&written).unwrap());
            let mut query = spargebra::SparqlParser::new().parse_query(text).unwrap();
            let term: Term = if value.starts_with('<') {
                oxigraph::model::NamedNode::new_unchecked(value.trim_matches(['<', '>'])).into()
            } else {
                oxigraph::model::Literal::from(value.parse::<i64>().unwrap()).into()
            };
            bind(&mut query, &[(Variable::new_unchecked(variable), term)]).unwrap();
            assert_eq!(answers(&store, query), expected, "{text}");
            assert!(!expected.is_empty(), "a query that finds something: {text}");
        }
    }

    #[test]
    fn a_row_is_joined_first_into_the_outer_group_or_each_branch_of_its_leading_union() {
        let plain = bound("SELECT ?at WHERE { ?e <urn:used> ?asset ; <urn:at> ?at } ORDER BY ?at");
        assert_eq!(plain.matches("VALUES").count(), 1, "{plain}");

        let union = bound(
            "SELECT ?at WHERE { { ?c <urn:changed> ?asset ; <urn:at> ?at } \
             UNION { ?e <urn:used> ?asset ; <urn:at> ?at } } ORDER BY ?at",
        );
        assert_eq!(union.matches("VALUES").count(), 2, "one row in each branch: {union}");
        let (first, second) = union.split_once("UNION").unwrap();
        assert!(first.contains("VALUES") && second.contains("VALUES"), "{union}");

        // A union further on in the group is joined after the row, as written.
        let later = bound("SELECT ?at WHERE { ?x <urn:p> ?asset { ?a <urn:q> ?at } UNION { ?b <urn:r> ?at } }");
        assert_eq!(later.matches("VALUES").count(), 1, "{later}");
    }
}
