//! What a SPARQL Update or a Graph Store Protocol request does to graphs,
//! turned into the writes of one change.
//!
//! Both protocols speak of graphs only. The service knows more about some
//! of them, and routes each edit by the graph it touches:
//!
//! - a graph of a **taxonomy project** (its main graph or a graph its meta
//!   graph lists): the project's new content, all its graphs together,
//!   becomes a push — the same diff and version id as
//!   `PUT /api/taxonomies/{id}`;
//! - a graph the **service maintains** (under `urn:assetgraph:`: asset and
//!   rights records, the registry, the audit trail, shipped vocabularies,
//!   a project's derived and meta graphs) is refused: records come in
//!   through ingest, which validates them;
//! - **any other graph**, and the default graph, is patched as asked.

use crate::error::{Error, Result};
use crate::store::{GraphWrite, WriteView};
use crate::taxonomy::{self, Push, PushMode, PushReport};
use crate::vocab::graphs;
use oxigraph::model::{GraphName, NamedNode, Quad, Triple};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The kind recorded in the registry for a graph created through SPARQL
/// Update or the Graph Store Protocol.
pub(crate) const GRAPH_KIND: &str = "graph";

/// One graph's change, as a protocol request states it.
#[derive(Debug)]
pub(crate) enum GraphEdit {
    /// The graph holds exactly these triples afterwards (GSP `PUT`).
    Replace { graph: GraphName, triples: Vec<Triple> },
    /// These triples are removed and then these added; `drop` removes the
    /// named graph itself (SPARQL `DROP`, GSP `DELETE`).
    Patch {
        graph: GraphName,
        remove: Vec<Triple>,
        add: Vec<Triple>,
        drop: bool,
    },
}

impl GraphEdit {
    fn graph(&self) -> &GraphName {
        match self {
            GraphEdit::Replace { graph, .. } | GraphEdit::Patch { graph, .. } => graph,
        }
    }
}

/// Who asks, for the writes of a taxonomy push.
pub(crate) struct Author<'a> {
    pub actor: &'a str,
    pub tenant: &'a str,
}

/// The graphs a request may not name, and the projects that own graphs.
pub(crate) struct Ownership {
    owners: HashMap<NamedNode, String>,
}

impl Ownership {
    pub(crate) fn read(view: &WriteView<'_>) -> Result<Self> {
        Ok(Ownership {
            owners: taxonomy::graph_owners(view.store())?,
        })
    }

    /// The project that owns `graph`, if any.
    pub(crate) fn project(&self, graph: &NamedNode) -> Option<&str> {
        self.owners.get(graph).map(String::as_str)
    }

    /// Whether a request may change `graph` without naming it (`CLEAR ALL`,
    /// `DROP NAMED`): not a service graph and not a project's.
    pub(crate) fn in_bulk_scope(&self, graph: &NamedNode) -> bool {
        !graph.as_str().starts_with(graphs::RESERVED_PREFIX) && self.project(graph).is_none()
    }

    /// Refuses a write to a graph the service maintains itself.
    pub(crate) fn check_writable(&self, graph: &GraphName) -> Result<()> {
        match graph {
            GraphName::NamedNode(g) if g.as_str().starts_with(graphs::RESERVED_PREFIX) && self.project(g).is_none() => {
                Err(Error::Forbidden {
                    message: format!(
                        "<{}> is maintained by the service itself; asset and rights records change through \
                         /api/assets and the importers, taxonomies through their project graphs",
                        g.as_str()
                    ),
                })
            }
            GraphName::BlankNode(_) => Err(Error::invalid_field(
                "graph",
                "graphs named by blank nodes cannot be stored; name them with IRIs",
            )),
            _ => Ok(()),
        }
    }
}

/// The writes of one change for these edits, and a push report for every
/// taxonomy project they touch.
pub(crate) fn plan(
    view: &WriteView<'_>,
    ownership: &Ownership,
    edits: Vec<GraphEdit>,
    author: &Author<'_>,
) -> Result<(Vec<GraphWrite>, Vec<PushReport>)> {
    let mut writes = Vec::new();
    let mut by_project: BTreeMap<String, Vec<GraphEdit>> = BTreeMap::new();
    for edit in edits {
        ownership.check_writable(edit.graph())?;
        if let GraphName::NamedNode(g) = edit.graph() {
            if let Some(project) = ownership.project(g) {
                by_project.entry(project.to_owned()).or_default().push(edit);
                continue;
            }
        }
        writes.push(plain_write(view, edit)?);
    }
    let mut reports = Vec::new();
    for (project, edits) in by_project {
        let quads = project_content(view, &project, edits)?;
        let (project_writes, report) = taxonomy::prepare_push(
            view,
            Push {
                project,
                mode: PushMode::Replace,
                quads,
                default_graph: None,
                actor: author.actor.to_owned(),
                tenant: author.tenant.to_owned(),
            },
        )?;
        writes.extend(project_writes);
        reports.push(report);
    }
    Ok((writes, reports))
}

/// The write for a graph no project owns.
fn plain_write(view: &WriteView<'_>, edit: GraphEdit) -> Result<GraphWrite> {
    Ok(match edit {
        GraphEdit::Replace {
            graph: GraphName::NamedNode(graph),
            triples,
        } => GraphWrite::Replace {
            graph,
            kind: GRAPH_KIND,
            triples,
        },
        GraphEdit::Replace { graph, triples } => GraphWrite::Patch {
            remove: view.triples_of(graph.as_ref())?.to_vec(),
            graph,
            kind: GRAPH_KIND,
            add: triples,
            drop: false,
        },
        GraphEdit::Patch {
            graph,
            remove,
            add,
            drop,
        } => GraphWrite::Patch {
            graph,
            kind: GRAPH_KIND,
            remove,
            add,
            drop,
        },
    })
}

/// A project's content once the edits to its graphs are applied: every
/// graph it owns, edited or not, as quads in their graphs.
fn project_content(view: &WriteView<'_>, project: &str, edits: Vec<GraphEdit>) -> Result<Vec<Quad>> {
    let mut edited: HashMap<NamedNode, GraphEdit> = HashMap::new();
    for edit in edits {
        if let GraphName::NamedNode(g) = edit.graph() {
            edited.insert(g.clone(), edit);
        }
    }
    let current = taxonomy::get(view.store(), project)?.graphs;
    let mut graphs: Vec<NamedNode> = current.iter().map(|g| NamedNode::new_unchecked(g.as_str())).collect();
    graphs.extend(
        edited
            .keys()
            .filter(|g| !current.iter().any(|c| c == g.as_str()))
            .cloned(),
    );
    let mut quads = Vec::new();
    for graph in graphs {
        let triples: Vec<Triple> = match edited.remove(&graph) {
            Some(GraphEdit::Replace { triples, .. }) => triples,
            Some(GraphEdit::Patch { remove, add, .. }) => {
                let remove: HashSet<&Triple> = remove.iter().collect();
                let old = view.graph_triples(&graph)?;
                let kept = old.iter().filter(|t| !remove.contains(t)).cloned();
                kept.chain(add).collect()
            }
            None => view.graph_triples(&graph)?.to_vec(),
        };
        quads.extend(triples.into_iter().map(|t| t.in_graph(graph.clone())));
    }
    Ok(quads)
}
