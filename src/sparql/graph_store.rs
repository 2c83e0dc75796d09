//! The SPARQL 1.1 Graph Store HTTP Protocol's operations, without HTTP:
//! read a graph, replace it (`PUT`), add to it (`POST`), drop it
//! (`DELETE`). Every write goes through [`super::edits`] and the store's
//! write path, so a `PUT` to a taxonomy project's graph is a push of that
//! project, with its diff and version id, and search sees it at once.

use super::edits::{self, Author, GraphEdit, Ownership};
use crate::error::{Error, Result};
use crate::rdf;
use crate::store::{Change, Receipt, Store};
use crate::taxonomy::PushReport;
use oxigraph::io::RdfFormat;
use oxigraph::model::{BlankNode, GraphName, GraphNameRef, NamedOrBlankNode, Term, Triple};
use serde::Serialize;
use std::collections::HashMap;

/// What a write did.
#[derive(Debug, Serialize)]
pub(crate) struct GraphStoreReport {
    /// Whether the graph did not exist before (`201 Created`).
    pub created: bool,
    #[serde(flatten)]
    pub receipt: Receipt,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<PushReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// The graph holds exactly the body afterwards.
    Put,
    /// The body is added to the graph (its blank nodes are new ones).
    Post,
    /// The graph is removed.
    Delete,
}

/// Whether a graph exists. The default graph always does.
pub(crate) fn exists(store: &Store, graph: GraphNameRef<'_>) -> Result<bool> {
    Ok(match graph {
        GraphNameRef::NamedNode(g) => store.db().contains_named_graph(g)?,
        _ => true,
    })
}

/// The triples of a graph, or `NotFound`.
pub(crate) fn read(store: &Store, graph: GraphNameRef<'_>) -> Result<Vec<Triple>> {
    if !exists(store, graph)? {
        return Err(Error::not_found(format!("graph {graph}")));
    }
    store
        .db()
        .quads_for_pattern(None, None, None, Some(graph))
        .map(|q| q.map(Triple::from).map_err(Error::from))
        .collect()
}

/// Parses a request body as the triples of one graph; relative IRIs
/// resolve against `base`, the IRI the request addressed. Quads in a named
/// graph are refused: the request names the graph.
pub(crate) fn parse_body(format: RdfFormat, body: &[u8], base: &str) -> Result<Vec<Triple>> {
    let quads = rdf::parse_with_base("request body", format, body, Some(base), &|_| {})?;
    let mut fresh = HashMap::new();
    quads
        .into_iter()
        .map(|quad| {
            if !quad.graph_name.is_default_graph() {
                return Err(Error::invalid_field(
                    "graph",
                    format!(
                        "the body puts triples in the named graph {}; the Graph Store Protocol writes one graph, \
                         named by the request: send triples (Turtle, N-Triples, RDF/XML, JSON-LD)",
                        quad.graph_name
                    ),
                ));
            }
            Ok(with_fresh_blank_nodes(Triple::from(quad), &mut fresh))
        })
        .collect()
}

/// Blank nodes of a body are new nodes of the store, never ones it holds.
fn with_fresh_blank_nodes(triple: Triple, fresh: &mut HashMap<BlankNode, BlankNode>) -> Triple {
    let mut rename = |b: BlankNode| fresh.entry(b).or_default().clone();
    let subject = match triple.subject {
        NamedOrBlankNode::BlankNode(b) => NamedOrBlankNode::BlankNode(rename(b)),
        other => other,
    };
    let object = match triple.object {
        Term::BlankNode(b) => Term::BlankNode(rename(b)),
        other => other,
    };
    Triple::new(subject, triple.predicate, object)
}

/// Applies a `PUT`, `POST` or `DELETE` to one graph as one change.
pub(crate) fn write(
    store: &Store,
    operation: Operation,
    graph: GraphName,
    triples: Vec<Triple>,
    author: &Author<'_>,
) -> Result<GraphStoreReport> {
    if operation == Operation::Delete && !exists(store, graph.as_ref())? {
        return Err(Error::not_found(format!("graph {graph}")));
    }
    // The default graph always exists; a write that fills it creates it as
    // far as a client can tell.
    let created = store
        .db()
        .quads_for_pattern(None, None, None, Some(graph.as_ref()))
        .next()
        .is_none();
    let (receipt, taxonomies) = store.write(|view| {
        let ownership = Ownership::read(view)?;
        let edit = match operation {
            Operation::Put => GraphEdit::Replace { graph, triples },
            Operation::Post => GraphEdit::Patch {
                graph,
                remove: Vec::new(),
                add: triples,
                drop: false,
            },
            Operation::Delete => GraphEdit::Patch {
                remove: view.triples_of(graph.as_ref())?.to_vec(),
                graph,
                add: Vec::new(),
                drop: true,
            },
        };
        let (writes, reports) = edits::plan(view, &ownership, vec![edit], author)?;
        let change = Change {
            actor: author.actor.to_owned(),
            operation: format!(
                "graph-store.{}",
                match operation {
                    Operation::Put => "put",
                    Operation::Post => "post",
                    Operation::Delete => "delete",
                }
            ),
            tenant: author.tenant.to_owned(),
            note: reports
                .iter()
                .map(|r| format!("project {}: {}", r.project, r.diff.summary()))
                .reduce(|a, b| format!("{a}; {b}")),
            writes,
        };
        Ok((change, reports))
    })?;
    let taxonomies = taxonomies
        .into_iter()
        .map(|mut report| {
            report.generation = receipt.generation;
            report
        })
        .collect();
    Ok(GraphStoreReport {
        created,
        receipt,
        taxonomies,
    })
}
