//! Version ids: the SHA-256 of the RDFC-1.0 canonical N-Quads of a project as
//! pushed (sophia's implementation of the W3C algorithm).
//!
//! The project's main graph is hashed as the default graph and its other
//! named graphs under their own names, so the version of a Turtle or RDF/XML
//! export equals the hash of that file on its own, whatever the project id,
//! serialisation, triple order or blank-node labels.

use crate::error::{Error, Result};
use oxigraph::model::{GraphNameRef, NamedNodeRef, QuadRef, TermRef};
use sha2::{Digest, Sha256};
use sophia_api::term::{BnodeId, IriRef, LanguageTag, SimpleTerm};
use std::collections::HashSet;
use std::io::Write;

type SophiaQuad<'a> = ([SimpleTerm<'a>; 3], Option<SimpleTerm<'a>>);

pub fn version_id<'a>(quads: impl IntoIterator<Item = QuadRef<'a>>, main_graph: NamedNodeRef<'_>) -> Result<String> {
    let dataset: HashSet<SophiaQuad<'a>> = quads
        .into_iter()
        .map(|q| {
            let graph = match q.graph_name {
                GraphNameRef::NamedNode(g) if g == main_graph => None,
                GraphNameRef::NamedNode(g) => Some(iri(g.as_str())),
                GraphNameRef::BlankNode(b) => Some(SimpleTerm::BlankNode(BnodeId::new_unchecked(b.as_str().into()))),
                GraphNameRef::DefaultGraph => None,
            };
            (
                [term(q.subject.into()), iri(q.predicate.as_str()), term(q.object)],
                graph,
            )
        })
        .collect();
    let mut hasher = HashWriter(Sha256::new());
    sophia_c14n::rdfc10::normalize(&dataset, &mut hasher)
        .map_err(|e| Error::invalid(format!("cannot compute the version id: {e}")))?;
    Ok(hex::encode(hasher.0.finalize()))
}

fn iri(s: &str) -> SimpleTerm<'_> {
    SimpleTerm::Iri(IriRef::new_unchecked(s.into()))
}

fn term(t: TermRef<'_>) -> SimpleTerm<'_> {
    match t {
        TermRef::NamedNode(n) => iri(n.as_str()),
        TermRef::BlankNode(b) => SimpleTerm::BlankNode(BnodeId::new_unchecked(b.as_str().into())),
        TermRef::Literal(l) => match l.language() {
            Some(lang) => SimpleTerm::LiteralLanguage(l.value().into(), LanguageTag::new_unchecked(lang.into()), None),
            None => SimpleTerm::LiteralDatatype(l.value().into(), IriRef::new_unchecked(l.datatype().as_str().into())),
        },
    }
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::rdf::parse;
    use oxigraph::io::RdfFormat;

    fn version(format: RdfFormat, doc: &str) -> String {
        let quads = parse("test", format, doc.as_bytes(), &|_| {}).unwrap();
        version_id(quads.iter().map(|q| q.as_ref()), NamedNodeRef::new_unchecked("urn:g")).unwrap()
    }

    #[test]
    fn version_ignores_serialisation_order_and_blank_node_labels() {
        let a = version(
            RdfFormat::Turtle,
            "@prefix s: <http://www.w3.org/2004/02/skos/core#> .\n<http://e/c> s:prefLabel \"C\"@en ; s:editorialNote [ s:note \"n\" ] .",
        );
        let b = version(
            RdfFormat::NTriples,
            "_:zz <http://www.w3.org/2004/02/skos/core#note> \"n\" .\n<http://e/c> <http://www.w3.org/2004/02/skos/core#editorialNote> _:zz .\n<http://e/c> <http://www.w3.org/2004/02/skos/core#prefLabel> \"C\"@en .\n",
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        let c = version(
            RdfFormat::NTriples,
            "<http://e/c> <http://www.w3.org/2004/02/skos/core#prefLabel> \"C\"@de .\n",
        );
        assert_ne!(a, c);
    }
}
