//! The read model of taxonomies: projects and concepts as JSON-ready values.
//!
//! Each read is one SPARQL query, so it sees one snapshot of the store even
//! while a push replaces the project.

use super::meta_graph;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::vocab::{ag, dcterms, owl, skos};
use oxigraph::model::{NamedNode, NamedNodeRef, Term};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct ProjectSummary {
    pub id: String,
    pub version: String,
    pub updated: String,
    pub tenant: String,
    pub graphs: Vec<String>,
    pub derived_graph: String,
    pub concepts: u64,
    pub deprecated: u64,
    pub triples: u64,
    pub languages: Vec<String>,
    pub schemes: Vec<SchemeSummary>,
}

#[derive(Debug, Serialize, Default, Clone, utoipa::ToSchema)]
pub struct SchemeSummary {
    pub iri: String,
    /// Title per language ("" for none).
    pub title: BTreeMap<String, String>,
    pub concepts: u64,
}

/// What the write path needs of the current version.
pub(super) struct ProjectMeta {
    pub version: String,
    pub graphs: Vec<NamedNode>,
}

pub(super) fn project_meta(store: &Store, id: &str) -> Result<Option<ProjectMeta>> {
    let project = super::project_iri(id);
    let meta = meta_graph(id);
    let mut version = None;
    let mut graphs = Vec::new();
    for quad in store
        .db()
        .quads_for_pattern(Some(project.as_ref().into()), None, None, Some(meta.as_ref().into()))
    {
        let quad = quad?;
        match (quad.predicate.as_ref(), quad.object) {
            (p, Term::Literal(l)) if p == ag::VERSION => version = Some(l.value().to_owned()),
            (p, Term::NamedNode(g)) if p == ag::GRAPH => graphs.push(g),
            _ => {}
        }
    }
    Ok(version.map(|version| ProjectMeta { version, graphs }))
}

/// Every graph a project owns, with the project's id: the graphs its
/// meta graph lists, and each project's main graph.
pub fn graph_owners(store: &Store) -> Result<std::collections::HashMap<NamedNode, String>> {
    let mut owners = std::collections::HashMap::new();
    for quad in store.db().quads_for_pattern(None, Some(ag::GRAPH), None, None) {
        let quad = quad?;
        let (oxigraph::model::NamedOrBlankNode::NamedNode(p), Term::NamedNode(g)) = (&quad.subject, quad.object) else {
            continue;
        };
        if let Some(id) = p.as_str().strip_prefix("urn:assetgraph:project:") {
            owners.insert(super::main_graph(id), id.to_owned());
            owners.insert(g, id.to_owned());
        }
    }
    Ok(owners)
}

/// The project that owns a graph, if any.
pub(super) fn graph_owner(store: &Store, graph: NamedNodeRef<'_>) -> Result<Option<String>> {
    for quad in store
        .db()
        .quads_for_pattern(None, Some(ag::GRAPH), Some(graph.into()), None)
    {
        if let oxigraph::model::NamedOrBlankNode::NamedNode(p) = quad?.subject {
            if let Some(id) = p.as_str().strip_prefix("urn:assetgraph:project:") {
                return Ok(Some(id.to_owned()));
            }
        }
    }
    Ok(None)
}

/// Every project, sorted by id.
pub fn list(store: &Store) -> Result<Vec<ProjectSummary>> {
    projects(store, None)
}

/// The projects of `tenants` (`None`: every tenant's).
pub fn list_of(store: &Store, tenants: Option<&[String]>) -> Result<Vec<ProjectSummary>> {
    let mut projects = projects(store, None)?;
    projects.retain(|p| tenants.is_none_or(|t| t.contains(&p.tenant)));
    Ok(projects)
}

/// One project, or `NotFound`.
pub fn get(store: &Store, id: &str) -> Result<ProjectSummary> {
    get_of(store, id, None)
}

/// One project of `tenants` (`None`: of any tenant), or `NotFound`: a
/// caller must not learn that another tenant's project exists.
pub fn get_of(store: &Store, id: &str, tenants: Option<&[String]>) -> Result<ProjectSummary> {
    super::validate_project_id(id)?;
    projects(store, Some(id))?
        .pop()
        .filter(|p| tenants.is_none_or(|t| t.contains(&p.tenant)))
        .ok_or_else(|| Error::not_found(format!("taxonomy project '{id}'")))
}

/// Every triple of every project's meta graph, or of one project's.
const PROJECTS: &str = "PREFIX ag: <https://w3id.org/assetgraph/ns#>
    SELECT ?m ?s ?p ?o WHERE { GRAPH ?m { ?project a ag:TaxonomyProject . ?s ?p ?o } }";

fn projects(store: &Store, only: Option<&str>) -> Result<Vec<ProjectSummary>> {
    let bindings: Vec<(&str, Term)> = only.map(|id| ("m", meta_graph(id).into())).into_iter().collect();
    let mut by_graph: BTreeMap<String, Vec<(Term, NamedNode, Term)>> = BTreeMap::new();
    for row in store.select(PROJECTS, &bindings)? {
        if let [Some(Term::NamedNode(m)), Some(s), Some(Term::NamedNode(p)), Some(o)] = row.as_slice() {
            by_graph
                .entry(m.as_str().to_owned())
                .or_default()
                .push((s.clone(), p.clone(), o.clone()));
        }
    }
    let mut out: Vec<ProjectSummary> = by_graph.into_values().map(|rows| summarise(&rows)).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn summarise(rows: &[(Term, NamedNode, Term)]) -> ProjectSummary {
    let mut project = ProjectSummary::default();
    let mut schemes: BTreeMap<String, SchemeSummary> = BTreeMap::new();
    let is_project = |s: &Term| matches!(s, Term::NamedNode(n) if n.as_str().starts_with("urn:assetgraph:project:"));
    for (s, p, o) in rows {
        let p = p.as_ref();
        let text = || literal_text(o);
        if is_project(s) {
            match p {
                _ if p == ag::PROJECT_ID => project.id = text(),
                _ if p == ag::VERSION => project.version = text(),
                _ if p == dcterms::MODIFIED => project.updated = text(),
                _ if p == ag::TENANT => {
                    project.tenant = iri_text(o).trim_start_matches("urn:assetgraph:tenant:").to_owned()
                }
                _ if p == ag::GRAPH => project.graphs.push(iri_text(o)),
                _ if p == ag::DERIVED_GRAPH => project.derived_graph = iri_text(o),
                _ if p == ag::CONCEPT_COUNT => project.concepts = text().parse().unwrap_or(0),
                _ if p == ag::DEPRECATED_COUNT => project.deprecated = text().parse().unwrap_or(0),
                _ if p == ag::TRIPLE_COUNT => project.triples = text().parse().unwrap_or(0),
                _ if p == ag::LANGUAGE => project.languages.push(text()),
                _ if p == ag::SCHEME => {
                    schemes.entry(iri_text(o)).or_default().iri = iri_text(o);
                }
                _ => {}
            }
        } else if let Term::NamedNode(scheme) = s {
            let entry = schemes.entry(scheme.as_str().to_owned()).or_default();
            entry.iri = scheme.as_str().to_owned();
            if p == dcterms::TITLE {
                if let Term::Literal(l) = o {
                    entry
                        .title
                        .insert(l.language().unwrap_or("").to_owned(), l.value().to_owned());
                }
            } else if p == ag::CONCEPT_COUNT {
                entry.concepts = text().parse().unwrap_or(0);
            }
        }
    }
    project.graphs.sort();
    project.languages.sort();
    project.schemes = schemes.into_values().collect();
    project
}

/// A concept with everything a UI or a tagging client needs to show it.
#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct ConceptDetail {
    pub iri: String,
    pub projects: Vec<String>,
    pub schemes: Vec<Linked>,
    pub deprecated: bool,
    pub replaced_by: Vec<String>,
    /// prefLabel per language ("" for none).
    pub pref_label: BTreeMap<String, String>,
    pub alt_labels: BTreeMap<String, Vec<String>>,
    pub hidden_labels: BTreeMap<String, Vec<String>>,
    pub definitions: BTreeMap<String, Vec<String>>,
    pub notations: Vec<String>,
    pub broader: Vec<Linked>,
    pub narrower: Vec<Linked>,
    pub related: Vec<Linked>,
    pub mappings: BTreeMap<&'static str, Vec<Linked>>,
}

/// A reference to another concept or scheme, with its label in the asked language.
#[derive(Debug, Serialize, Default, Clone, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema)]
pub struct Linked {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What is said of `?concept`: its own triples, the labels of the concepts
/// it links to, and the projects whose graphs hold it.
const CONCEPT: &str = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    PREFIX ag: <https://w3id.org/assetgraph/ns#>
    SELECT ?about ?p ?o ?concept WHERE {
      { GRAPH ?g { ?concept ?p ?o } BIND(?concept AS ?about) }
      UNION
      { GRAPH ?g { ?concept ?rel ?about } FILTER(isIRI(?about))
        GRAPH ?h { ?about skos:prefLabel|dcterms:title ?o } BIND(skos:prefLabel AS ?p) }
      UNION
      { GRAPH ?g { ?concept ?x ?y } GRAPH ?m { ?project ag:graph|ag:derivedGraph ?g ; ag:projectId ?o }
        BIND(?concept AS ?about) BIND(ag:projectId AS ?p) }
    }";

/// A concept from the union of all graphs; labels of linked concepts in
/// `lang` when they have one, else English, else any. Language tags are
/// compared and returned in lower case, as RDF defines them.
/// A concept as [`concept`] reads it, for a caller limited to `tenants`
/// (`None`: any): a concept only other tenants' projects hold is not
/// found, and the projects listed are the caller's.
pub fn concept_of(store: &Store, iri: &str, lang: &str, tenants: Option<&[String]>) -> Result<ConceptDetail> {
    let mut detail = concept(store, iri, lang)?;
    if tenants.is_some() && !detail.projects.is_empty() {
        let visible: Vec<String> = list_of(store, tenants)?.into_iter().map(|p| p.id).collect();
        detail.projects.retain(|p| visible.contains(p));
        if detail.projects.is_empty() {
            return Err(Error::not_found(format!("concept <{iri}>")));
        }
    }
    Ok(detail)
}

pub fn concept(store: &Store, iri: &str, lang: &str) -> Result<ConceptDetail> {
    let node = NamedNode::new(iri).map_err(|e| Error::invalid_field("iri", format!("'{iri}' is not an IRI: {e}")))?;
    let mut detail = ConceptDetail {
        iri: iri.to_owned(),
        ..Default::default()
    };
    let mut labels: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut links: Vec<(NamedNode, String)> = Vec::new();
    let mut found = false;
    for row in store.select(CONCEPT, &[("concept", node.into())])? {
        let [Some(Term::NamedNode(about)), Some(Term::NamedNode(p)), Some(o), _] = row.as_slice() else {
            continue;
        };
        if about.as_str() != iri {
            if let Term::Literal(l) = o {
                labels
                    .entry(about.as_str().to_owned())
                    .or_default()
                    .insert(l.language().unwrap_or("").to_owned(), l.value().to_owned());
            }
            continue;
        }
        found = true;
        add_property(&mut detail, p.as_ref(), o, &mut links);
    }
    if !found {
        return Err(Error::not_found(format!("concept <{iri}>")));
    }
    let lang = lang.to_ascii_lowercase();
    let label_of = |target: &str| {
        let l = labels.get(target)?;
        l.get(&lang)
            .or_else(|| l.get("en"))
            .or_else(|| l.values().next())
            .cloned()
    };
    let mut seen = BTreeSet::new();
    for (p, target) in links {
        if !seen.insert((p.clone(), target.clone())) {
            continue;
        }
        let linked = Linked {
            label: label_of(&target),
            iri: target,
        };
        let p = p.as_ref();
        let list = match p {
            _ if p == skos::BROADER => &mut detail.broader,
            _ if p == skos::NARROWER => &mut detail.narrower,
            _ if p == skos::RELATED => &mut detail.related,
            _ if p == skos::IN_SCHEME => &mut detail.schemes,
            _ => match mapping_name(p) {
                Some(name) => detail.mappings.entry(name).or_default(),
                None => continue,
            },
        };
        list.push(linked);
    }
    detail.projects.sort();
    detail.projects.dedup();
    Ok(detail)
}

fn add_property(detail: &mut ConceptDetail, p: NamedNodeRef<'_>, o: &Term, links: &mut Vec<(NamedNode, String)>) {
    match o {
        Term::Literal(l) => {
            let lang = l.language().unwrap_or("").to_owned();
            let value = l.value().to_owned();
            match p {
                _ if p == skos::PREF_LABEL => {
                    detail.pref_label.insert(lang, value);
                }
                _ if p == skos::ALT_LABEL => push_unique(detail.alt_labels.entry(lang).or_default(), value),
                _ if p == skos::HIDDEN_LABEL => push_unique(detail.hidden_labels.entry(lang).or_default(), value),
                _ if p == skos::DEFINITION => push_unique(detail.definitions.entry(lang).or_default(), value),
                _ if p == skos::NOTATION => push_unique(&mut detail.notations, value),
                _ if p == owl::DEPRECATED => detail.deprecated |= value == "true" || value == "1",
                _ if p == ag::PROJECT_ID => detail.projects.push(value),
                _ if p == crate::vocab::rdfs::LABEL && !detail.pref_label.contains_key(&lang) => {
                    // Deprecated stubs carry only rdfs:label; show it as their name.
                    detail.pref_label.insert(lang, value);
                }
                _ => {}
            }
        }
        Term::NamedNode(target) => {
            if p == dcterms::IS_REPLACED_BY {
                push_unique(&mut detail.replaced_by, target.as_str().to_owned());
            } else {
                links.push((p.into_owned(), target.as_str().to_owned()));
            }
        }
        _ => {}
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn mapping_name(p: NamedNodeRef<'_>) -> Option<&'static str> {
    [
        (skos::EXACT_MATCH, "exact_match"),
        (skos::CLOSE_MATCH, "close_match"),
        (skos::BROAD_MATCH, "broad_match"),
        (skos::NARROW_MATCH, "narrow_match"),
        (skos::RELATED_MATCH, "related_match"),
    ]
    .into_iter()
    .find(|(iri, _)| *iri == p)
    .map(|(_, name)| name)
}

fn literal_text(t: &Term) -> String {
    match t {
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

fn iri_text(t: &Term) -> String {
    match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => other.to_string(),
    }
}
