//! The vocabularies the service ships: its own ontology, the territories
//! (ISO 3166-1 countries grouped into regions) and the other rights
//! dimensions (channels, usages, audiences, industries, languages). All are
//! compiled into the binary and installed through the write path at every start; an unchanged
//! vocabulary is a no-op, a new release replaces the old one atomically.

use crate::error::Result;
use crate::rdf;
use crate::store::{Change, GraphWrite, Receipt, Store};
use crate::vocab::graphs;
use crate::vocab::shipped::{ASSETGRAPH_TTL, RIGHTS_VOCABULARIES_TTL, TERRITORIES_TTL};
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedNode, Triple};

pub fn install(store: &Store) -> Result<Receipt> {
    let writes = [
        (graphs::ONTOLOGY, ASSETGRAPH_TTL, "ontologies/assetgraph.ttl"),
        (graphs::TERRITORIES, TERRITORIES_TTL, "ontologies/territories.ttl"),
        (
            graphs::RIGHTS_VOCABULARIES,
            RIGHTS_VOCABULARIES_TTL,
            "ontologies/rights-vocabularies.ttl",
        ),
    ]
    .into_iter()
    .map(|(graph, text, name)| {
        let triples = rdf::parse(name, RdfFormat::Turtle, text.as_bytes(), &|_| {})?
            .into_iter()
            .map(Triple::from)
            .collect();
        Ok(GraphWrite::Replace {
            graph: NamedNode::new_unchecked(graph),
            kind: "ontology",
            triples,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    store.apply(Change {
        actor: "system".into(),
        operation: "ontology.install".into(),
        // Every tenant reads them.
        tenant: crate::auth::SHARED_TENANT.into(),
        note: Some(format!("assetgraph {}", env!("CARGO_PKG_VERSION"))),
        writes,
    })
}
