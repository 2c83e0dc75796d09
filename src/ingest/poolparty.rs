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
use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, Quad, Term, TermRef, Triple, TripleRef};
use std::collections::{HashMap, HashSet, VecDeque};

/// The triples normalisation adds to a project, none of which it already holds.
pub fn derive(pushed: &[Quad]) -> Vec<Triple> {
    let mut facts = Facts::default();
    for quad in pushed {
        facts.observe(quad);
    }
    let mut out = Derived::default();
    derive_inverses(&facts, &mut out);
    derive_skosxl_labels(&facts, &mut out);
    derive_schemes(&facts, &mut out);
    drop(facts);
    out.without_pushed(pushed)
}

/// Whether a literal says "true" as `owl:deprecated` values do.
pub fn is_true(term: TermRef<'_>) -> bool {
    matches!(term, TermRef::Literal(l) if l.value() == "true" || l.value() == "1")
}

/// The triples normalisation looks at, and nothing else (a 1M-triple export
/// mostly holds labels and notes, which need no index here).
#[derive(Default)]
struct Facts {
    /// (subject, predicate, object) of the relations that have inverses.
    relations: Vec<Triple>,
    /// concept → SKOS-XL label resources, per label predicate.
    xl_labels: Vec<(NamedOrBlankNode, NamedNodeRef<'static>, Term)>,
    literal_forms: HashMap<Term, Vec<Term>>,
    deprecated: HashSet<NamedOrBlankNode>,
    explicit_schemes: HashSet<NamedOrBlankNode>,
}

const INVERSES: [(NamedNodeRef<'static>, NamedNodeRef<'static>); 6] = [
    (skos::BROADER, skos::NARROWER),
    (skos::NARROWER, skos::BROADER),
    (skos::TOP_CONCEPT_OF, skos::HAS_TOP_CONCEPT),
    (skos::HAS_TOP_CONCEPT, skos::TOP_CONCEPT_OF),
    (dcterms::IS_REPLACED_BY, dcterms::REPLACES),
    (dcterms::REPLACES, dcterms::IS_REPLACED_BY),
];

impl Facts {
    fn observe(&mut self, quad: &Quad) {
        let p = quad.predicate.as_ref();
        let triple = || Triple::new(quad.subject.clone(), quad.predicate.clone(), quad.object.clone());
        if INVERSES.iter().any(|(from, _)| *from == p) || p == skos::RELATED {
            self.relations.push(triple());
        } else if p == skos::IN_SCHEME {
            self.explicit_schemes.insert(quad.subject.clone());
        } else if let Some(plain) = plain_label_of(p) {
            self.xl_labels.push((quad.subject.clone(), plain, quad.object.clone()));
        } else if p == skosxl::LITERAL_FORM {
            self.literal_forms
                .entry(quad.subject.clone().into())
                .or_default()
                .push(quad.object.clone());
        } else if p == owl::DEPRECATED && is_true(quad.object.as_ref()) {
            self.deprecated.insert(quad.subject.clone());
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

/// Candidate triples, each once; those the push already states are dropped
/// at the end, in one borrowed pass over the push.
#[derive(Default)]
struct Derived {
    candidates: HashSet<Triple>,
}

impl Derived {
    fn add(&mut self, triple: Triple) {
        self.candidates.insert(triple);
    }

    fn without_pushed(self, pushed: &[Quad]) -> Vec<Triple> {
        let stated: HashSet<TripleRef<'_>> = {
            let candidates: HashSet<TripleRef<'_>> = self.candidates.iter().map(Triple::as_ref).collect();
            pushed
                .iter()
                .map(|q| TripleRef::new(q.subject.as_ref(), q.predicate.as_ref(), q.object.as_ref()))
                .filter(|t| candidates.contains(t))
                .collect()
        };
        let stated: HashSet<Triple> = stated.into_iter().map(TripleRef::into_owned).collect();
        self.candidates.into_iter().filter(|t| !stated.contains(t)).collect()
    }
}

fn derive_inverses(facts: &Facts, out: &mut Derived) {
    for t in &facts.relations {
        let Some(subject) = as_resource(&t.object) else {
            continue;
        };
        let inverse = if t.predicate.as_ref() == skos::RELATED {
            skos::RELATED
        } else {
            match INVERSES.iter().find(|(from, _)| *from == t.predicate.as_ref()) {
                Some((_, inverse)) => *inverse,
                None => continue,
            }
        };
        out.add(Triple::new(subject, inverse, t.subject.clone()));
    }
}

fn derive_skosxl_labels(facts: &Facts, out: &mut Derived) {
    for (concept, plain, label) in &facts.xl_labels {
        for form in facts.literal_forms.get(label).into_iter().flatten() {
            out.add(Triple::new(concept.clone(), *plain, form.clone()));
        }
    }
}

/// Scheme membership flows from top concepts down the narrower links (both
/// the stated ones and those implied by `broader`).
fn derive_schemes(facts: &Facts, out: &mut Derived) {
    let mut children: HashMap<NamedOrBlankNode, Vec<NamedOrBlankNode>> = HashMap::new();
    let mut schemes: HashMap<NamedOrBlankNode, HashSet<NamedOrBlankNode>> = HashMap::new();
    for t in &facts.relations {
        let Some(object) = as_resource(&t.object) else { continue };
        let p = t.predicate.as_ref();
        if p == skos::BROADER {
            children.entry(object).or_default().push(t.subject.clone());
        } else if p == skos::NARROWER {
            children.entry(t.subject.clone()).or_default().push(object);
        } else if p == skos::TOP_CONCEPT_OF {
            schemes.entry(t.subject.clone()).or_default().insert(object);
        } else if p == skos::HAS_TOP_CONCEPT {
            schemes.entry(object).or_default().insert(t.subject.clone());
        }
    }
    let mut queue: VecDeque<NamedOrBlankNode> = schemes.keys().cloned().collect();
    while let Some(parent) = queue.pop_front() {
        let inherited = schemes.get(&parent).cloned().unwrap_or_default();
        for child in children.get(&parent).into_iter().flatten() {
            let own = schemes.entry(child.clone()).or_default();
            let before = own.len();
            own.extend(inherited.iter().cloned());
            if own.len() > before {
                queue.push_back(child.clone());
            }
        }
    }
    for (concept, concept_schemes) in schemes {
        if facts.deprecated.contains(&concept) || facts.explicit_schemes.contains(&concept) {
            continue;
        }
        for scheme in concept_schemes {
            out.add(Triple::new(concept.clone(), skos::IN_SCHEME, scheme));
        }
    }
}

fn as_resource(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// Whether a subject is typed as a SKOS concept in these quads.
pub fn is_concept_type(quad: &Quad) -> bool {
    quad.predicate.as_ref() == rdf::TYPE && quad.object.as_ref() == TermRef::NamedNode(skos::CONCEPT)
}
