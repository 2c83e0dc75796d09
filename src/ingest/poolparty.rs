//! PoolParty taxonomy exports, normalised.
//!
//! Real exports are not clean SKOS (reference/poolparty.md §1.7, §1.9): no
//! `skos:inScheme`, `skos:narrower` missing where `skos:broader` is stated,
//! deprecated concepts cut down to stubs, SKOS-XL labels beside plain ones.
//! [`derive`] computes, from the triples as pushed, what a consumer of clean
//! SKOS expects to find and the export leaves out:
//!
//! - the missing inverse of `broader`/`narrower`, `topConceptOf`/`hasTopConcept`,
//!   `related`, and `dcterms:isReplacedBy`/`dcterms:replaces`;
//! - `skos:inScheme` from `topConceptOf` and the `broader` chains, for concepts
//!   that state no scheme of their own;
//! - plain `skos:prefLabel`/`altLabel`/`hiddenLabel` from SKOS-XL literal forms.
//!
//! The pushed triples are never altered: the derived ones go to a graph of
//! their own, rebuilt on every push, so what PoolParty sent (its `ppt:`
//! housekeeping, custom classes and attributes included) reads back exactly.
//! Deprecated concepts (`owl:deprecated true`) are tombstones: they keep their
//! `rdfs:label` for lookup and their replacement link, and get no scheme.

use crate::vocab::{dcterms, owl, skos, skosxl};
use oxigraph::model::{NamedNodeRef, NamedOrBlankNodeRef, Quad, TermRef, Triple, TripleRef};
// ahash: randomly keyed like std's SipHash, several times faster on
// the million-key sets of a large push.
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::collections::VecDeque;

/// The triples normalisation adds to a project, none of which it already holds.
pub(crate) fn derive(pushed: &[Quad]) -> Vec<Triple> {
    let facts = Facts::collect(pushed);
    let mut derived = Vec::new();
    facts.missing_inverses(&mut derived);
    facts.skosxl_labels(pushed, &mut derived);
    facts.schemes(&mut derived);
    derived
}

/// Whether a literal says "true" as `owl:deprecated` values do.
pub(crate) fn is_true(term: TermRef<'_>) -> bool {
    matches!(term, TermRef::Literal(l) if l.value() == "true" || l.value() == "1")
}

/// What normalisation needs to know of a push, borrowed from it: only the
/// derived triples themselves are allocated, so a million-triple export
/// that is already clean costs one pass and a hash set of its relations.
struct Facts<'a> {
    /// Statements of the relations that have inverses (each once).
    relations: HashSet<TripleRef<'a>>,
    /// (concept, plain label predicate, SKOS-XL label resource)
    xl_labels: Vec<(NamedOrBlankNodeRef<'a>, NamedNodeRef<'static>, NamedOrBlankNodeRef<'a>)>,
    literal_forms: HashMap<NamedOrBlankNodeRef<'a>, Vec<TermRef<'a>>>,
    deprecated: HashSet<NamedOrBlankNodeRef<'a>>,
    /// concept → the schemes it states itself
    stated_schemes: HashMap<NamedOrBlankNodeRef<'a>, Vec<NamedOrBlankNodeRef<'a>>>,
}

const INVERSES: [(NamedNodeRef<'static>, NamedNodeRef<'static>); 7] = [
    (skos::BROADER, skos::NARROWER),
    (skos::NARROWER, skos::BROADER),
    (skos::TOP_CONCEPT_OF, skos::HAS_TOP_CONCEPT),
    (skos::HAS_TOP_CONCEPT, skos::TOP_CONCEPT_OF),
    (skos::RELATED, skos::RELATED),
    (dcterms::IS_REPLACED_BY, dcterms::REPLACES),
    (dcterms::REPLACES, dcterms::IS_REPLACED_BY),
];

fn inverse_of(p: NamedNodeRef<'_>) -> Option<NamedNodeRef<'static>> {
    INVERSES
        .iter()
        .find(|(from, _)| *from == p)
        .map(|(_, inverse)| *inverse)
}

impl<'a> Facts<'a> {
    fn collect(pushed: &'a [Quad]) -> Self {
        let mut facts = Facts {
            relations: HashSet::new(),
            xl_labels: Vec::new(),
            literal_forms: HashMap::new(),
            deprecated: HashSet::new(),
            stated_schemes: HashMap::new(),
        };
        for quad in pushed {
            let t = TripleRef::new(quad.subject.as_ref(), quad.predicate.as_ref(), quad.object.as_ref());
            let p = t.predicate;
            if inverse_of(p).is_some() {
                facts.relations.insert(t);
            } else if p == skos::IN_SCHEME {
                if let Some(scheme) = as_resource(t.object) {
                    facts.stated_schemes.entry(t.subject).or_default().push(scheme);
                }
            } else if let (Some(plain), Some(label)) = (plain_label_of(p), as_resource(t.object)) {
                facts.xl_labels.push((t.subject, plain, label));
            } else if p == skosxl::LITERAL_FORM {
                facts.literal_forms.entry(t.subject).or_default().push(t.object);
            } else if p == owl::DEPRECATED && is_true(t.object) {
                facts.deprecated.insert(t.subject);
            }
        }
        facts
    }

    fn missing_inverses(&self, out: &mut Vec<Triple>) {
        for t in &self.relations {
            let (Some(subject), Some(inverse)) = (as_resource(t.object), inverse_of(t.predicate)) else {
                continue;
            };
            let candidate = TripleRef::new(subject, inverse, TermRef::from(t.subject));
            if !self.relations.contains(&candidate) {
                out.push(candidate.into_owned());
            }
        }
    }

    /// Plain labels from SKOS-XL literal forms, unless the push states them.
    fn skosxl_labels(&self, pushed: &'a [Quad], out: &mut Vec<Triple>) {
        if self.xl_labels.is_empty() {
            return;
        }
        let concepts: HashSet<NamedOrBlankNodeRef<'_>> = self.xl_labels.iter().map(|(c, _, _)| *c).collect();
        let mut present: HashSet<TripleRef<'_>> = pushed
            .iter()
            .filter(|q| concepts.contains(&q.subject.as_ref()))
            .map(|q| TripleRef::new(q.subject.as_ref(), q.predicate.as_ref(), q.object.as_ref()))
            .collect();
        for (concept, plain, label) in &self.xl_labels {
            for form in self.literal_forms.get(label).into_iter().flatten() {
                let candidate = TripleRef::new(*concept, *plain, *form);
                if present.insert(candidate) {
                    out.push(candidate.into_owned());
                }
            }
        }
    }

    /// Scheme membership flows from top concepts and stated schemes down the
    /// narrower links (stated, or implied by `broader`); concepts that state
    /// a scheme of their own, and tombstones, get none.
    fn schemes(&self, out: &mut Vec<Triple>) {
        let mut children: HashMap<NamedOrBlankNodeRef<'a>, Vec<NamedOrBlankNodeRef<'a>>> = HashMap::new();
        let mut schemes: HashMap<NamedOrBlankNodeRef<'a>, HashSet<NamedOrBlankNodeRef<'a>>> = HashMap::new();
        for (concept, stated) in &self.stated_schemes {
            schemes.entry(*concept).or_default().extend(stated.iter().copied());
        }
        for t in &self.relations {
            let Some(object) = as_resource(t.object) else { continue };
            match t.predicate {
                p if p == skos::BROADER => children.entry(object).or_default().push(t.subject),
                p if p == skos::NARROWER => children.entry(t.subject).or_default().push(object),
                p if p == skos::TOP_CONCEPT_OF => {
                    schemes.entry(t.subject).or_default().insert(object);
                }
                p if p == skos::HAS_TOP_CONCEPT => {
                    schemes.entry(object).or_default().insert(t.subject);
                }
                _ => {}
            }
        }
        let mut queue: VecDeque<NamedOrBlankNodeRef<'a>> = schemes.keys().copied().collect();
        while let Some(parent) = queue.pop_front() {
            let inherited: Vec<NamedOrBlankNodeRef<'a>> = schemes
                .get(&parent)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            for child in children.get(&parent).into_iter().flatten() {
                let own = schemes.entry(*child).or_default();
                let before = own.len();
                own.extend(inherited.iter().copied());
                if own.len() > before {
                    queue.push_back(*child);
                }
            }
        }
        for (concept, concept_schemes) in schemes {
            if self.deprecated.contains(&concept) || self.stated_schemes.contains_key(&concept) {
                continue;
            }
            for scheme in concept_schemes {
                out.push(TripleRef::new(concept, skos::IN_SCHEME, TermRef::from(scheme)).into_owned());
            }
        }
    }
}

fn plain_label_of(p: NamedNodeRef<'_>) -> Option<NamedNodeRef<'static>> {
    if p == skosxl::PREF_LABEL {
        Some(skos::PREF_LABEL)
    } else if p == skosxl::ALT_LABEL {
        Some(skos::ALT_LABEL)
    } else if p == skosxl::HIDDEN_LABEL {
        Some(skos::HIDDEN_LABEL)
    } else {
        None
    }
}

fn as_resource(term: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}
