//! An asset as `GET /api/assets/{id}` shows it: metadata, tags, licences
//! and a clearance summary, built from its graph and its rights.

use crate::rights::{AssetRights, Constraints, Context, Territories, Window, DIMENSIONS};
use crate::vocab::{ag, dcterms};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssetView {
    pub id: String,
    pub iri: String,
    pub source: Option<String>,
    /// Per language.
    pub title: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
    pub keywords: BTreeMap<String, Vec<String>>,
    /// Curated concept tags (dcterms:subject).
    pub concepts: Vec<String>,
    pub content_type: Option<String>,
    /// Every other fact of the record, by compact predicate name.
    pub properties: BTreeMap<String, Vec<String>>,
    pub licences: Vec<Licence>,
    pub clearance: ClearanceSummary,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Licence {
    /// The ODRL rule's IRI: the `source` of clearance reasons.
    pub rule: String,
    /// `grant`, or the restriction's kind.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Constrained dimensions only; a dimension left out is open.
    pub constraints: BTreeMap<&'static str, Vec<String>>,
    /// Whether the rule is in force now.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClearanceSummary {
    /// Cleared now for a context that constrains nothing but the moment.
    pub cleared_now: bool,
    pub cancelled: bool,
    pub editorial_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloads: Option<Downloads>,
    pub grants: usize,
    pub restrictions: usize,
    /// The next moment the answer changes for some context (a term starts or ends).
    pub next_change: Option<String>,
    pub reasons: Vec<crate::rights::Reason>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Downloads {
    pub used: u32,
    pub allowed: u32,
}

const PREFIXES: [(&str, &str); 9] = [
    ("ag:", crate::vocab::AG),
    ("dcterms:", "http://purl.org/dc/terms/"),
    ("rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("xmpRights:", "http://ns.adobe.com/xap/1.0/rights/"),
    ("rightsline:", "https://w3id.org/assetgraph/rightsline/char/"),
    ("scaleflex:", "https://w3id.org/assetgraph/scaleflex/meta/"),
    ("odrl:", "http://www.w3.org/ns/odrl/2/"),
    ("skos:", "http://www.w3.org/2004/02/skos/core#"),
    ("territory:", "https://w3id.org/assetgraph/territory/"),
];

fn compact(iri: &str) -> String {
    PREFIXES
        .iter()
        .find_map(|(prefix, ns)| iri.strip_prefix(ns).map(|local| format!("{prefix}{local}")))
        .unwrap_or_else(|| iri.to_owned())
}

fn term_text(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => match l.language() {
            Some(language) => format!("{}@{language}", l.value()),
            None => l.value().to_owned(),
        },
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

pub(super) fn build(
    id: &str,
    asset: &NamedNode,
    own: &[Triple],
    rights: &AssetRights,
    territories: &Territories,
    now: i64,
) -> AssetView {
    let mut view = AssetView {
        id: id.to_owned(),
        iri: asset.as_str().to_owned(),
        source: None,
        title: BTreeMap::new(),
        description: BTreeMap::new(),
        keywords: BTreeMap::new(),
        concepts: Vec::new(),
        content_type: None,
        properties: BTreeMap::new(),
        licences: Vec::new(),
        clearance: summary(rights, territories, now),
    };
    for t in own {
        let NamedOrBlankNode::NamedNode(subject) = &t.subject else {
            continue;
        };
        if subject != asset {
            continue;
        }
        let p = t.predicate.as_ref();
        let language = match &t.object {
            Term::Literal(l) => l.language().unwrap_or("").to_owned(),
            _ => String::new(),
        };
        let value = match &t.object {
            Term::Literal(l) => l.value().to_owned(),
            other => term_text(other),
        };
        if p == dcterms::TITLE {
            view.title.entry(language).or_insert(value);
        } else if p == dcterms::DESCRIPTION {
            view.description.entry(language).or_insert(value);
        } else if p == ag::KEYWORD {
            view.keywords.entry(language).or_default().push(value);
        } else if p == dcterms::SUBJECT {
            view.concepts.push(value);
        } else if p == ag::SOURCE {
            view.source = Some(value);
        } else if p == ag::CONTENT_TYPE {
            view.content_type = Some(value);
        } else {
            view.properties
                .entry(compact(t.predicate.as_str()))
                .or_default()
                .push(term_text(&t.object));
        }
    }
    for values in view.keywords.values_mut() {
        values.sort();
    }
    view.concepts.sort();
    for values in view.properties.values_mut() {
        values.sort();
    }
    for grant in &rights.grants {
        view.licences.push(licence(
            &grant.id,
            "grant",
            &grant.constraints,
            grant.term,
            territories,
            now,
        ));
    }
    for restriction in &rights.restrictions {
        view.licences.push(licence(
            &restriction.id,
            restriction.kind.name(),
            &restriction.constraints,
            restriction.term,
            territories,
            now,
        ));
    }
    view
}

fn licence(
    rule: &str,
    kind: &'static str,
    constraints: &Constraints,
    term: Window,
    territories: &Territories,
    now: i64,
) -> Licence {
    Licence {
        rule: rule.to_owned(),
        kind,
        from: term.from.map(crate::rdf::time::rfc3339),
        until: term.until.map(crate::rdf::time::rfc3339),
        constraints: DIMENSIONS
            .iter()
            .filter(|&&d| !constraints.get(d).is_empty())
            .map(|&d| {
                let keys = constraints.get(d).iter().map(|k| k.describe(territories)).collect();
                (d.name(), keys)
            })
            .collect(),
        active: term.contains(now),
    }
}

/// The licence summary of compiled rights at a moment: also what search hits show.
pub fn summary(rights: &AssetRights, territories: &Territories, now: i64) -> ClearanceSummary {
    let explained = rights.explain(&Context::at(now), territories);
    ClearanceSummary {
        cleared_now: explained.cleared,
        cancelled: rights.cancelled,
        editorial_only: rights.editorial_only,
        downloads: rights.downloads.map(|(used, allowed)| Downloads { used, allowed }),
        grants: rights.grants.len(),
        restrictions: rights.restrictions.len(),
        next_change: rights.next_change_after(now).map(crate::rdf::time::rfc3339),
        reasons: explained.reasons,
    }
}
