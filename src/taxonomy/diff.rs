//! What changed between two versions of a taxonomy, in the terms a
//! taxonomist uses: concepts added, removed, deprecated, relabelled, moved.

use crate::ingest::poolparty::is_true;
use crate::vocab::{owl, skos};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedOrBlankNodeRef, TermRef, TripleRef};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The state of every concept of one version, as far as the diff cares.
#[derive(Default)]
pub struct Snapshot {
    concepts: HashMap<String, ConceptState>,
}

#[derive(Default, Clone, PartialEq)]
struct ConceptState {
    is_concept: bool,
    deprecated: bool,
    pref_labels: BTreeMap<String, String>,
    broader: BTreeSet<String>,
}

impl Snapshot {
    pub(crate) fn from_triples<'a>(triples: impl IntoIterator<Item = TripleRef<'a>>) -> Self {
        let mut concepts: HashMap<String, ConceptState> = HashMap::new();
        for t in triples {
            let NamedOrBlankNodeRef::NamedNode(subject) = t.subject else {
                continue;
            };
            let p = t.predicate;
            if ![rdf::TYPE, owl::DEPRECATED, skos::PREF_LABEL, skos::BROADER].contains(&p) {
                continue;
            }
            let state = concepts.entry(subject.as_str().to_owned()).or_default();
            if p == rdf::TYPE && t.object == TermRef::NamedNode(skos::CONCEPT) {
                state.is_concept = true;
            } else if p == owl::DEPRECATED && is_true(t.object) {
                state.deprecated = true;
            } else if p == skos::PREF_LABEL {
                if let TermRef::Literal(l) = t.object {
                    state
                        .pref_labels
                        .insert(l.language().unwrap_or("").to_owned(), l.value().to_owned());
                }
            } else if p == skos::BROADER {
                if let TermRef::NamedNode(o) = t.object {
                    state.broader.insert(o.as_str().to_owned());
                }
            }
        }
        concepts.retain(|_, c| c.is_concept);
        Snapshot { concepts }
    }

    /// Concepts in use (not deprecated).
    pub(crate) fn live_count(&self) -> usize {
        self.concepts.values().filter(|c| !c.deprecated).count()
    }

    pub(crate) fn deprecated_count(&self) -> usize {
        self.concepts.values().filter(|c| c.deprecated).count()
    }

    fn is_live(&self, iri: &str) -> bool {
        self.concepts.get(iri).is_some_and(|c| !c.deprecated)
    }

    fn label(&self, iri: &str) -> Option<String> {
        let labels = &self.concepts.get(iri)?.pref_labels;
        labels.get("en").or_else(|| labels.values().next()).cloned()
    }
}

#[derive(Debug, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TaxonomyDiff {
    pub added: Vec<ConceptRef>,
    pub removed: Vec<ConceptRef>,
    pub deprecated: Vec<ConceptRef>,
    pub relabelled: Vec<Relabelled>,
    pub moved: Vec<Moved>,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConceptRef {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Relabelled {
    pub iri: String,
    /// prefLabel per language before and after ("" for no language).
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Moved {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

impl TaxonomyDiff {
    pub fn between(old: &Snapshot, new: &Snapshot) -> Self {
        let mut diff = TaxonomyDiff::default();
        let mut iris: Vec<&String> = old.concepts.keys().chain(new.concepts.keys()).collect();
        iris.sort();
        iris.dedup();
        for iri in iris {
            let reference = |s: &Snapshot| ConceptRef {
                iri: iri.clone(),
                label: s.label(iri),
            };
            match (old.is_live(iri), new.is_live(iri)) {
                (false, true) => diff.added.push(reference(new)),
                (true, false) if new.concepts.contains_key(iri) => diff.deprecated.push(reference(old)),
                (true, false) => diff.removed.push(reference(old)),
                (true, true) => {
                    let (before, after) = (&old.concepts[iri], &new.concepts[iri]);
                    if before.pref_labels != after.pref_labels {
                        diff.relabelled.push(Relabelled {
                            iri: iri.clone(),
                            before: before.pref_labels.clone(),
                            after: after.pref_labels.clone(),
                        });
                    }
                    if before.broader != after.broader {
                        diff.moved.push(Moved {
                            iri: iri.clone(),
                            label: new.label(iri),
                            from: before.broader.iter().cloned().collect(),
                            to: after.broader.iter().cloned().collect(),
                        });
                    }
                }
                (false, false) => {}
            }
        }
        diff
    }

    pub fn summary(&self) -> String {
        format!(
            "{} added, {} removed, {} deprecated, {} relabelled, {} moved",
            self.added.len(),
            self.removed.len(),
            self.deprecated.len(),
            self.relabelled.len(),
            self.moved.len()
        )
    }
}
