//! Audit entries as PROV-O.
//!
//! One `ag:Change` (a `prov:Activity`) per commit, in the append-only audit
//! graph, with one `ag:GraphChange` per graph it touched:
//!
//! ```turtle
//! <urn:assetgraph:change:42> a ag:Change, prov:Activity ;
//!     ag:generation 42 ; ag:operation "taxonomy.replace" ;
//!     prov:wasAssociatedWith <urn:assetgraph:agent:poolparty> ;
//!     prov:startedAtTime "…"^^xsd:dateTime ; prov:endedAtTime "…"^^xsd:dateTime ;
//!     ag:tenant <urn:assetgraph:tenant:default> ;
//!     ag:graphChange <urn:assetgraph:change:42/1> .
//! <urn:assetgraph:change:42/1> a ag:GraphChange ; ag:changedGraph <…> ;
//!     ag:triplesAdded 120 ; ag:triplesRemoved 3 .
//! ```

use super::{Change, GraphDelta};
use crate::vocab::{ag, graphs, prov, rdfs};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Quad};
use time::OffsetDateTime;

pub(super) fn entry(
    change: &Change,
    generation: u64,
    started: OffsetDateTime,
    ended: OffsetDateTime,
    deltas: &[GraphDelta],
) -> Vec<Quad> {
    let g = NamedNode::new_unchecked(graphs::AUDIT);
    let id = NamedNode::new_unchecked(graphs::audit_entry(generation));
    let agent = NamedNode::new_unchecked(graphs::agent(&change.actor));
    let mut quads = vec![
        Quad::new(id.clone(), rdf::TYPE, ag::CHANGE, g.clone()),
        Quad::new(id.clone(), rdf::TYPE, prov::ACTIVITY, g.clone()),
        Quad::new(id.clone(), ag::GENERATION, integer(generation), g.clone()),
        Quad::new(
            id.clone(),
            ag::OPERATION,
            Literal::new_simple_literal(&change.operation),
            g.clone(),
        ),
        Quad::new(id.clone(), prov::WAS_ASSOCIATED_WITH, agent.clone(), g.clone()),
        Quad::new(
            id.clone(),
            prov::STARTED_AT_TIME,
            crate::rdf::time::precise_literal(started),
            g.clone(),
        ),
        Quad::new(
            id.clone(),
            prov::ENDED_AT_TIME,
            crate::rdf::time::precise_literal(ended),
            g.clone(),
        ),
        Quad::new(
            id.clone(),
            ag::TENANT,
            NamedNode::new_unchecked(graphs::tenant(&change.tenant)),
            g.clone(),
        ),
        Quad::new(agent.clone(), rdf::TYPE, prov::AGENT, g.clone()),
        Quad::new(
            agent,
            rdfs::LABEL,
            Literal::new_simple_literal(&change.actor),
            g.clone(),
        ),
    ];
    if let Some(note) = &change.note {
        quads.push(Quad::new(
            id.clone(),
            rdfs::COMMENT,
            Literal::new_simple_literal(note),
            g.clone(),
        ));
    }
    for (i, delta) in deltas.iter().enumerate() {
        let part = NamedNode::new_unchecked(format!("{}/{}", id.as_str(), i + 1));
        quads.extend([
            Quad::new(id.clone(), ag::GRAPH_CHANGE, part.clone(), g.clone()),
            Quad::new(part.clone(), rdf::TYPE, ag::GRAPH_CHANGE_CLASS, g.clone()),
            Quad::new(
                part.clone(),
                ag::CHANGED_GRAPH,
                NamedNode::new_unchecked(&delta.graph),
                g.clone(),
            ),
            Quad::new(part.clone(), ag::TRIPLES_ADDED, integer(delta.added as u64), g.clone()),
            Quad::new(
                part.clone(),
                ag::TRIPLES_REMOVED,
                integer(delta.removed as u64),
                g.clone(),
            ),
        ]);
        if delta.dropped {
            quads.push(Quad::new(part, ag::GRAPH_DROPPED, Literal::from(true), g.clone()));
        }
    }
    quads
}

fn integer(n: u64) -> Literal {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER)
}
