//! Taxonomy projects: pushes, versions, diffs, and the read model.
//!
//! A project (one PoolParty project, say) is replaced or merged as a whole.
//! It owns:
//!
//! - the graphs holding its triples exactly as pushed: its main graph
//!   `urn:assetgraph:taxonomy:{id}` for triples sent without a graph (Turtle,
//!   RDF/XML…), plus every named graph of a TriG or N-Quads push under its
//!   own IRI (PoolParty's `…/thesaurus`, for instance);
//! - a derived graph (`…:derived`) with what normalisation inferred;
//! - a meta graph (`…:meta`) describing the project: version id, counts,
//!   schemes, languages, graphs, tenant, last update.
//!
//! A push reads the current version, builds the new one, diffs the two and
//! hands every graph to the store's write path as one change, all under the
//! writer lock, so two concurrent pushes cannot interleave.

mod diff;
mod read;
mod version;

pub use diff::{ConceptRef, Moved, Relabelled, Snapshot, TaxonomyDiff};
pub use read::{
    concept, concept_of, get, get_of, graph_owners, list, list_of, ConceptDetail, ProjectSummary, SchemeSummary,
};
pub use version::version_id;

use crate::error::{Error, Result};
use crate::ingest::poolparty;
use crate::store::{Change, GraphDelta, GraphWrite, Store, WriteView};
use crate::vocab::{ag, dcterms, graphs, rdfs, skos};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNodeRef, Quad, TermRef, Triple, TripleRef};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PushMode {
    /// The push is the whole new version of the project.
    Replace,
    /// The push is added to the current version.
    Merge,
}

/// A new version of a project, parsed but not yet stored.
pub struct Push {
    pub project: String,
    pub mode: PushMode,
    /// The parsed quads; those in the default graph go to `default_graph`.
    pub quads: Vec<Quad>,
    /// Where triples sent without a graph go (default: the main graph).
    pub default_graph: Option<NamedNode>,
    pub actor: String,
    pub tenant: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushReport {
    pub project: String,
    pub mode: PushMode,
    /// False when the push changed nothing (same version as before).
    pub changed: bool,
    pub version: String,
    pub previous_version: Option<String>,
    pub generation: u64,
    pub graphs: Vec<String>,
    pub counts: Counts,
    pub diff: TaxonomyDiff,
    /// Triples added and removed per graph by this push.
    pub delta: Vec<GraphDelta>,
}

#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct Counts {
    pub triples: usize,
    pub derived_triples: usize,
    pub concepts: usize,
    pub deprecated: usize,
    pub schemes: usize,
}

pub fn main_graph(project: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:taxonomy:{project}"))
}
pub(crate) fn derived_graph(project: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:taxonomy:{project}:derived"))
}
pub fn meta_graph(project: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:taxonomy:{project}:meta"))
}
pub(crate) fn project_iri(project: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:project:{project}"))
}

/// Project ids appear in URLs and IRIs: letters, digits, `-`, `_`, `.`.
pub(crate) fn validate_project_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "project",
            format!("'{id}' is not a valid project id: use 1 to 128 letters, digits, '-', '_' or '.'"),
        ))
    }
}

/// Stores a new version of a project through the write path.
pub fn push(store: &Store, push: Push) -> Result<PushReport> {
    validate_project_id(&push.project)?;
    let actor = push.actor.clone();
    let tenant = push.tenant.clone();
    let mode = push.mode;
    let (receipt, prepared) = store.write(|store| {
        let mut prepared = prepare(store, push)?;
        let change = Change {
            actor,
            operation: format!(
                "taxonomy.{}",
                if mode == PushMode::Replace { "replace" } else { "merge" }
            ),
            tenant,
            note: Some(format!(
                "project {}: {}",
                prepared.report.project,
                prepared.report.diff.summary()
            )),
            // An unchanged version writes nothing, not even new metadata.
            writes: if prepared.report.changed {
                std::mem::take(&mut prepared.writes)
            } else {
                Vec::new()
            },
        };
        Ok((change, prepared))
    })?;
    let mut report = prepared.report;
    report.generation = receipt.generation;
    report.delta = receipt.graphs;
    Ok(report)
}

struct Prepared {
    writes: Vec<GraphWrite>,
    report: PushReport,
}

/// The writes and the report of a push, for a change that writes other
/// graphs too (a SPARQL Update or a Graph Store Protocol request touching
/// a project's graphs): the same diff and version as [`push`]. No writes
/// when the version is unchanged; the caller fills in the generation and
/// the delta from its receipt.
pub(crate) fn prepare_push(view: &WriteView<'_>, push: Push) -> Result<(Vec<GraphWrite>, PushReport)> {
    validate_project_id(&push.project)?;
    let prepared = prepare(view, push)?;
    let writes = if prepared.report.changed {
        prepared.writes
    } else {
        Vec::new()
    };
    Ok((writes, prepared.report))
}

/// Builds the writes and the report of a push against the current version.
fn prepare(view: &WriteView<'_>, push: Push) -> Result<Prepared> {
    let store = view.store();
    let id = push.project.as_str();
    let main = main_graph(id);
    let previous = read::project_meta(store, id)?;
    let old_graphs: Vec<NamedNode> = previous.as_ref().map(|p| p.graphs.clone()).unwrap_or_default();
    let incoming = assign_graphs(store, id, push.quads, push.default_graph.as_ref(), &main)?;
    let new_quads: Vec<Quad> = match push.mode {
        PushMode::Replace => incoming,
        PushMode::Merge => {
            let mut merged = Vec::new();
            for graph in &old_graphs {
                let triples = view.graph_triples(graph)?;
                merged.extend(triples.iter().map(|t| t.clone().in_graph(graph.clone())));
            }
            merged.extend(incoming);
            merged
        }
    };
    if push.mode == PushMode::Replace && !new_quads.iter().any(is_skos_type) {
        return Err(Error::Unacceptable {
            message: "the body holds no skos:Concept and no skos:ConceptScheme; a replacement must be a whole SKOS taxonomy (use POST to add triples to a project)".into(),
        });
    }

    // The version hash runs on a second core while this one reads the
    // previous version, normalises and diffs.
    let ((version, distinct_quads), (derived, diff, (live, deprecated))) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            tracing::debug_span!("version")
                .in_scope(|| version::canonical_digest(new_quads.iter().map(Quad::as_ref), main.as_ref()))
        });
        let analysed = analyse(view, id, previous.is_some(), &old_graphs, &new_quads);
        let version = hashing.join().expect("the version hash does not panic");
        Ok::<_, Error>((version?, analysed?))
    })?;
    let new_graphs: BTreeSet<NamedNode> = new_quads
        .iter()
        .filter_map(|q| match &q.graph_name {
            GraphName::NamedNode(g) => Some(g),
            _ => None,
        })
        .collect::<HashSet<&NamedNode>>()
        .into_iter()
        .cloned()
        .collect();
    let schemes = scheme_summaries(&new_quads, &derived);
    let counts = Counts {
        triples: distinct_quads,
        derived_triples: derived.len(),
        concepts: live,
        deprecated,
        schemes: schemes.len(),
    };
    let languages = label_languages(&new_quads, &derived);
    let meta = meta_triples(id, &version, &push.tenant, &new_graphs, &counts, &languages, &schemes);

    let mut by_graph: BTreeMap<NamedNode, Vec<Triple>> = new_graphs.iter().map(|g| (g.clone(), Vec::new())).collect();
    for Quad {
        subject,
        predicate,
        object,
        graph_name,
    } in new_quads
    {
        if let GraphName::NamedNode(g) = graph_name {
            by_graph
                .get_mut(&g)
                .expect("every graph has an entry")
                .push(Triple::new(subject, predicate, object));
        }
    }
    let mut writes: Vec<GraphWrite> = by_graph
        .into_iter()
        .map(|(graph, triples)| GraphWrite::Replace {
            graph,
            kind: "taxonomy",
            triples,
        })
        .collect();
    writes.extend(
        old_graphs
            .iter()
            .filter(|g| !new_graphs.contains(*g))
            .map(|g| GraphWrite::Drop { graph: g.clone() }),
    );
    writes.push(GraphWrite::Replace {
        graph: derived_graph(id),
        kind: "taxonomy-derived",
        triples: derived,
    });
    writes.push(GraphWrite::Replace {
        graph: meta_graph(id),
        kind: "taxonomy-meta",
        triples: meta,
    });

    let previous_version = previous.map(|p| p.version);
    let changed = previous_version.as_deref() != Some(version.as_str());
    Ok(Prepared {
        writes,
        report: PushReport {
            project: id.to_owned(),
            mode: push.mode,
            changed,
            version,
            previous_version,
            generation: 0,
            graphs: new_graphs.iter().map(|g| g.as_str().to_owned()).collect(),
            counts,
            diff,
            delta: Vec::new(),
        },
    })
}

/// Puts triples sent without a graph into `target` (default: the main
/// graph) and checks every named graph the push uses.
fn assign_graphs(
    store: &Store,
    project: &str,
    quads: Vec<Quad>,
    target: Option<&NamedNode>,
    main: &NamedNode,
) -> Result<Vec<Quad>> {
    let target = target.unwrap_or(main);
    validate_graph_name(store, project, target, main)?;
    let mut checked = HashSet::new();
    let mut assigned = Vec::with_capacity(quads.len());
    for mut quad in quads {
        match &quad.graph_name {
            GraphName::DefaultGraph => quad.graph_name = target.clone().into(),
            GraphName::NamedNode(g) => {
                if checked.insert(g.clone()) {
                    validate_graph_name(store, project, g, main)?;
                }
            }
            GraphName::BlankNode(_) => {
                return Err(Error::invalid_field(
                    "graph",
                    "graphs named by blank nodes cannot be stored; name them with IRIs",
                ))
            }
        }
        assigned.push(quad);
    }
    Ok(assigned)
}

/// Normalises the new version and diffs it against the previous one.
/// Returns the derived triples, the diff, and the live and deprecated counts.
fn analyse(
    view: &WriteView<'_>,
    id: &str,
    existed: bool,
    old_graphs: &[NamedNode],
    new_quads: &[Quad],
) -> Result<(Vec<Triple>, TaxonomyDiff, (usize, usize))> {
    let mut old = tracing::debug_span!("read_previous").in_scope(|| {
        old_graphs
            .iter()
            .map(|g| view.graph_triples(g))
            .collect::<Result<Vec<_>>>()
    })?;
    if existed {
        old.push(view.graph_triples(&derived_graph(id))?);
    }
    let derived = tracing::debug_span!("normalise").in_scope(|| poolparty::derive(new_quads));
    let _diff = tracing::debug_span!("diff").entered();
    let old_snapshot = Snapshot::from_triples(old.iter().flat_map(|g| g.iter().map(Triple::as_ref)));
    let new_snapshot = Snapshot::from_triples(triple_refs(new_quads, &derived));
    let counts = (new_snapshot.live_count(), new_snapshot.deprecated_count());
    Ok((derived, TaxonomyDiff::between(&old_snapshot, &new_snapshot), counts))
}

/// A project may write its own main graph and any graph that is not the
/// service's and not another project's.
fn validate_graph_name(store: &Store, project: &str, graph: &NamedNode, main: &NamedNode) -> Result<()> {
    if graph == main {
        return Ok(());
    }
    if graph.as_str().starts_with(graphs::RESERVED_PREFIX) {
        return Err(Error::invalid_field(
            "graph",
            format!(
                "<{}> is a service graph name; push into your own graph IRIs",
                graph.as_str()
            ),
        ));
    }
    let owner = read::graph_owner(store, graph.as_ref())?;
    match owner {
        Some(owner) if owner != project => Err(Error::Conflict {
            message: format!("graph <{}> belongs to taxonomy project '{owner}'", graph.as_str()),
        }),
        _ => Ok(()),
    }
}

/// The pushed quads as triples, followed by the derived triples.
fn triple_refs<'a>(quads: &'a [Quad], derived: &'a [Triple]) -> impl Iterator<Item = TripleRef<'a>> {
    quads
        .iter()
        .map(|q| TripleRef::new(q.subject.as_ref(), q.predicate.as_ref(), q.object.as_ref()))
        .chain(derived.iter().map(Triple::as_ref))
}

fn is_skos_type(q: &Quad) -> bool {
    q.predicate.as_ref() == rdf::TYPE
        && matches!(q.object.as_ref(), TermRef::NamedNode(o) if o == skos::CONCEPT || o == skos::CONCEPT_SCHEME)
}

/// Schemes of the project with their titles and how many concepts they hold.
fn scheme_summaries(quads: &[Quad], derived: &[Triple]) -> BTreeMap<NamedNode, (Vec<Literal>, usize)> {
    let mut schemes: HashMap<&str, (Vec<Literal>, HashSet<&str>)> = HashMap::new();
    for t in triple_refs(quads, derived) {
        if t.predicate == rdf::TYPE && t.object == TermRef::NamedNode(skos::CONCEPT_SCHEME) {
            if let NamedOrBlankNodeRef::NamedNode(s) = t.subject {
                schemes.entry(s.as_str()).or_default();
            }
        }
    }
    for t in triple_refs(quads, derived) {
        let NamedOrBlankNodeRef::NamedNode(s) = t.subject else {
            continue;
        };
        let p = t.predicate;
        if p == dcterms::TITLE || p == skos::PREF_LABEL || p == rdfs::LABEL {
            if let (Some(entry), TermRef::Literal(l)) = (schemes.get_mut(s.as_str()), t.object) {
                entry.0.push(l.into_owned());
            }
        } else if p == skos::IN_SCHEME {
            if let TermRef::NamedNode(scheme) = t.object {
                if let (Some(entry), NamedOrBlankNodeRef::NamedNode(concept)) =
                    (schemes.get_mut(scheme.as_str()), t.subject)
                {
                    entry.1.insert(concept.as_str());
                }
            }
        }
    }
    schemes
        .into_iter()
        .map(|(iri, (titles, members))| (NamedNode::new_unchecked(iri), (titles, members.len())))
        .collect()
}

fn label_languages(quads: &[Quad], derived: &[Triple]) -> BTreeSet<String> {
    let mut languages = BTreeSet::new();
    for t in triple_refs(quads, derived) {
        let p = t.predicate;
        if p == skos::PREF_LABEL || p == skos::ALT_LABEL || p == skos::HIDDEN_LABEL {
            if let TermRef::Literal(l) = t.object {
                match l.language() {
                    Some(lang) if !languages.contains(lang) => {
                        languages.insert(lang.to_owned());
                    }
                    _ => {}
                }
            }
        }
    }
    languages
}

fn meta_triples(
    id: &str,
    version: &str,
    tenant: &str,
    graphs: &BTreeSet<NamedNode>,
    counts: &Counts,
    languages: &BTreeSet<String>,
    schemes: &BTreeMap<NamedNode, (Vec<Literal>, usize)>,
) -> Vec<Triple> {
    let p = project_iri(id);
    let int = |n: usize| Literal::new_typed_literal(n.to_string(), xsd::INTEGER);
    let mut t = vec![
        Triple::new(p.clone(), rdf::TYPE, ag::TAXONOMY_PROJECT),
        Triple::new(p.clone(), ag::PROJECT_ID, Literal::new_simple_literal(id)),
        Triple::new(p.clone(), ag::VERSION, Literal::new_simple_literal(version)),
        Triple::new(p.clone(), ag::TENANT, NamedNode::new_unchecked(graphs::tenant(tenant))),
        Triple::new(
            p.clone(),
            dcterms::MODIFIED,
            crate::rdf::time::precise_literal(OffsetDateTime::now_utc()),
        ),
        Triple::new(p.clone(), ag::DERIVED_GRAPH, derived_graph(id)),
        Triple::new(p.clone(), ag::CONCEPT_COUNT, int(counts.concepts)),
        Triple::new(p.clone(), ag::DEPRECATED_COUNT, int(counts.deprecated)),
        Triple::new(p.clone(), ag::TRIPLE_COUNT, int(counts.triples)),
    ];
    t.extend(graphs.iter().map(|g| Triple::new(p.clone(), ag::GRAPH, g.clone())));
    t.extend(
        languages
            .iter()
            .map(|l| Triple::new(p.clone(), ag::LANGUAGE, Literal::new_simple_literal(l))),
    );
    for (scheme, (titles, concepts)) in schemes {
        t.push(Triple::new(p.clone(), ag::SCHEME, scheme.clone()));
        t.push(Triple::new(scheme.clone(), ag::CONCEPT_COUNT, int(*concepts)));
        t.extend(
            titles
                .iter()
                .map(|l| Triple::new(scheme.clone(), dcterms::TITLE, l.clone())),
        );
    }
    t
}
