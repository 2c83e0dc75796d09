//! SPARQL 1.1 Update through the single write path.
//!
//! oxigraph can run an update on the store itself, but then the write
//! would bypass the audit trail, the registry, the taxonomy versions and
//! the search index. Here an update is *evaluated* and its effect handed to
//! [`Store::write`] like any other change:
//!
//! 1. under the writer lock, the operations run one after the other on a
//!    scratch oxigraph transaction that is never committed — each
//!    operation sees what the previous ones did, as the standard requires;
//! 2. every insertion and deletion is also recorded as a net delta per
//!    graph (a triple inserted then deleted leaves no trace);
//! 3. the deltas become graph edits ([`super::edits`]): a project's graphs
//!    become a taxonomy push, the service's own graphs are refused, other
//!    graphs are patched — all in one commit, so the request is atomic.
//!
//! `LOAD` is refused: the server fetches nothing from the network.

use super::edits::{self, Author, GraphEdit, Ownership};
use super::syntax_error;
use crate::error::{Error, Result};
use crate::store::{Change, Receipt, Store, WriteView};
use crate::taxonomy::PushReport;
use crate::vocab::graphs;
use oxigraph::model::{BlankNode, GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Quad, QuadRef, Term, Triple};
use oxigraph::sparql::{QueryDatasetSpecification, QueryResults, QuerySolution, SparqlEvaluator};
use serde::Serialize;
use spargebra::algebra::{GraphPattern, GraphTarget};
use spargebra::term::{
    GraphNamePattern, GroundQuad, GroundQuadPattern, GroundTerm, GroundTermPattern, NamedNodePattern, QuadPattern,
    TermPattern,
};
use spargebra::GraphUpdateOperation;
use std::collections::{BTreeMap, HashMap, HashSet};

/// An update as the protocol delivers it.
pub(crate) struct UpdateRequest {
    pub text: String,
    pub base_iri: Option<String>,
    /// The protocol's `using-graph-uri` and `using-named-graph-uri`; an
    /// update that also says `USING` or `WITH` is refused.
    pub using: Option<ProtocolDataset>,
    pub union_default_graph: bool,
    pub actor: String,
    pub tenant: String,
    /// The tenants whose graphs the update's patterns read (`None`: every
    /// tenant's), as a query of the same caller would.
    pub tenants: Option<Vec<String>>,
    /// How long and how deeply nested the text may be.
    pub shape: super::limits::Shape,
    /// Ends the evaluation when it has to stop.
    pub stop: super::stop::Stop,
}

/// Graphs named by protocol parameters. Among the default graphs,
/// `urn:assetgraph:graph:default` names the stored default graph, which
/// has no IRI of its own: with the union of graphs as the service's
/// default, it is the one way to ask for that graph alone.
#[derive(Debug, Clone, Default)]
pub struct ProtocolDataset {
    pub default: Vec<NamedNode>,
    pub named: Vec<NamedNode>,
}

impl ProtocolDataset {
    pub fn is_empty(&self) -> bool {
        self.default.is_empty() && self.named.is_empty()
    }

    pub(super) fn specification(&self) -> QueryDatasetSpecification {
        let stored_default = |graph: &NamedNode| match graph.as_str() {
            graphs::DEFAULT => GraphName::DefaultGraph,
            _ => graph.clone().into(),
        };
        let mut spec = QueryDatasetSpecification::new();
        spec.set_default_graph(self.default.iter().map(stored_default).collect());
        spec.set_available_named_graphs(self.named.iter().cloned().map(NamedOrBlankNode::from).collect());
        spec
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UpdateReport {
    #[serde(flatten)]
    pub receipt: Receipt,
    /// One report per taxonomy project the update changed: its new
    /// version and what changed in it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<PushReport>,
}

/// Checks, parses and applies an update as one change. Call it on a
/// SPARQL worker thread ([`super::worker`]).
pub(crate) fn update(store: &Store, request: UpdateRequest) -> Result<UpdateReport> {
    super::limits::check_text(&request.text, request.shape)?;
    let mut parser = spargebra::SparqlParser::new();
    if let Some(base) = &request.base_iri {
        parser = parser
            .with_base_iri(base.as_str())
            .map_err(|e| Error::invalid_field("base", format!("'{base}' is not a base IRI: {e}")))?;
    }
    let mut parsed = parser.parse_update(&request.text).map_err(syntax_error)?;
    super::limits::check_update(&parsed, request.shape.max_depth)?;
    super::stop::add_to_update(&mut parsed, &request.text);
    let says_using = parsed
        .operations
        .iter()
        .any(|op| matches!(op, GraphUpdateOperation::DeleteInsert { using: Some(_), .. }));
    if says_using && request.using.as_ref().is_some_and(|u| !u.is_empty()) {
        return Err(Error::invalid_field(
            "using-graph-uri",
            "the update names its dataset with USING or WITH and the request with using-graph-uri or \
             using-named-graph-uri; name it in one place",
        ));
    }
    let author = Author {
        actor: &request.actor,
        tenant: &request.tenant,
    };
    let (receipt, mut taxonomies) = store.write(|view| {
        let ownership = Ownership::read(view)?;
        let edits = Scratch::run(view, &ownership, &parsed, &request)?;
        let (writes, reports) = edits::plan(view, &ownership, edits, &author)?;
        let change = Change {
            actor: request.actor.clone(),
            operation: "sparql.update".into(),
            tenant: request.tenant.clone(),
            note: Some(note(&parsed, &reports)),
            writes,
        };
        Ok((change, reports))
    })?;
    for report in &mut taxonomies {
        let own = [
            crate::taxonomy::derived_graph(&report.project),
            crate::taxonomy::meta_graph(&report.project),
        ];
        report.generation = receipt.generation;
        report.delta = receipt
            .graphs
            .iter()
            .filter(|d| report.graphs.contains(&d.graph) || own.iter().any(|g| g.as_str() == d.graph))
            .cloned()
            .collect();
    }
    Ok(UpdateReport { receipt, taxonomies })
}

/// A line for the audit trail: how many operations, and each project's diff.
fn note(update: &spargebra::Update, reports: &[PushReport]) -> String {
    let mut note = format!("{} operation(s)", update.operations.len());
    for report in reports {
        note.push_str(&format!("; project {}: {}", report.project, report.diff.summary()));
    }
    note
}

/// The net change of one graph so far.
#[derive(Default)]
struct Net {
    added: HashSet<Triple>,
    removed: HashSet<Triple>,
    dropped: bool,
}

/// The operations applied to an uncommitted transaction, with their net
/// effect per graph recorded on the side.
struct Scratch<'a> {
    tx: crate::store::Scratch<'a>,
    net: BTreeMap<GraphKey, Net>,
    ownership: &'a Ownership,
    union_default_graph: bool,
    protocol_using: Option<QueryDatasetSpecification>,
    /// The graphs a `WHERE` may read, for a caller limited to tenants.
    readable: Option<Vec<NamedNode>>,
    stop: super::stop::Stop,
}

/// Graph names in a stable order: the default graph first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GraphKey {
    Default,
    Named(String),
}

impl GraphKey {
    fn of(graph: GraphNameRef<'_>) -> Self {
        match graph {
            GraphNameRef::NamedNode(g) => GraphKey::Named(g.as_str().to_owned()),
            _ => GraphKey::Default,
        }
    }

    fn name(&self) -> GraphName {
        match self {
            GraphKey::Named(g) => NamedNode::new_unchecked(g.as_str()).into(),
            GraphKey::Default => GraphName::DefaultGraph,
        }
    }
}

impl<'a> Scratch<'a> {
    fn run(
        view: &WriteView<'a>,
        ownership: &'a Ownership,
        update: &spargebra::Update,
        request: &UpdateRequest,
    ) -> Result<Vec<GraphEdit>> {
        let mut scratch = Scratch {
            tx: view.scratch()?,
            net: BTreeMap::new(),
            ownership,
            union_default_graph: request.union_default_graph,
            protocol_using: request
                .using
                .as_ref()
                .filter(|u| !u.is_empty())
                .map(ProtocolDataset::specification),
            readable: match &request.tenants {
                Some(tenants) if !view.store().holds_only(tenants)? => {
                    Some(super::tenants::readable(view.store(), tenants)?.to_vec())
                }
                _ => None,
            },
            stop: request.stop.clone(),
        };
        for operation in &update.operations {
            scratch.apply(operation, update.base_iri.as_ref())?;
        }
        // The transaction is dropped, never committed: the store changes
        // only through the write path.
        scratch.into_edits()
    }

    fn apply(&mut self, operation: &GraphUpdateOperation, base: Option<&oxiri::Iri<String>>) -> Result<()> {
        if self.stop.is_stopped() {
            return Err(Error::Query {
                message: "the update was cancelled".into(),
                position: None,
            });
        }
        match operation {
            GraphUpdateOperation::InsertData { data } => {
                let mut fresh = HashMap::new();
                for quad in data {
                    let quad = data_quad(quad, &mut fresh);
                    self.insert(quad.as_ref())?;
                }
            }
            GraphUpdateOperation::DeleteData { data } => {
                for quad in data {
                    self.remove(ground_quad(quad).as_ref())?;
                }
            }
            GraphUpdateOperation::DeleteInsert {
                delete,
                insert,
                using,
                pattern,
            } => self.delete_insert(delete, insert, using.clone(), pattern, base)?,
            GraphUpdateOperation::Load { silent: true, .. } => {}
            GraphUpdateOperation::Load { source, .. } => {
                return Err(Error::Forbidden {
                    message: format!(
                        "LOAD <{}> is not supported: the server fetches nothing from the network; send the data \
                         with the Graph Store Protocol (PUT or POST /store?graph=…) or INSERT DATA",
                        source.as_str()
                    ),
                })
            }
            GraphUpdateOperation::Create { silent, graph } => {
                if self.tx.contains_named_graph(graph)? {
                    if !silent {
                        return Err(Error::Conflict {
                            message: format!("graph <{}> already exists (use CREATE SILENT)", graph.as_str()),
                        });
                    }
                } else {
                    self.tx.insert_named_graph(graph);
                }
            }
            GraphUpdateOperation::Clear { silent, graph } => self.clear(graph, *silent, false)?,
            GraphUpdateOperation::Drop { silent, graph } => self.clear(graph, *silent, true)?,
        }
        Ok(())
    }

    fn insert(&mut self, quad: QuadRef<'_>) -> Result<()> {
        if self.tx.contains(quad)? {
            return Ok(());
        }
        self.tx.insert(quad);
        let net = self.net.entry(GraphKey::of(quad.graph_name)).or_default();
        let triple = Triple::from(quad.into_owned());
        if !net.removed.remove(&triple) {
            net.added.insert(triple);
        }
        Ok(())
    }

    fn remove(&mut self, quad: QuadRef<'_>) -> Result<()> {
        if !self.tx.contains(quad)? {
            return Ok(());
        }
        self.tx.remove(quad);
        let net = self.net.entry(GraphKey::of(quad.graph_name)).or_default();
        let triple = Triple::from(quad.into_owned());
        if !net.added.remove(&triple) {
            net.removed.insert(triple);
        }
        Ok(())
    }

    /// `CLEAR` (empties) or `DROP` (also forgets the graph). `ALL` and
    /// `NAMED` reach the graphs a request may change without naming them.
    fn clear(&mut self, target: &GraphTarget, silent: bool, drop: bool) -> Result<()> {
        let targets: Vec<GraphName> = match target {
            GraphTarget::NamedNode(g) => {
                if !self.tx.contains_named_graph(g)? {
                    if silent {
                        return Ok(());
                    }
                    return Err(Error::not_found(format!("graph <{}>", g.as_str())));
                }
                vec![g.clone().into()]
            }
            GraphTarget::DefaultGraph => vec![GraphName::DefaultGraph],
            GraphTarget::NamedGraphs | GraphTarget::AllGraphs => {
                let mut graphs: Vec<GraphName> = Vec::new();
                if matches!(target, GraphTarget::AllGraphs) {
                    graphs.push(GraphName::DefaultGraph);
                }
                for graph in self.tx.named_graphs() {
                    if let NamedOrBlankNode::NamedNode(g) = graph? {
                        if self.ownership.in_bulk_scope(&g) {
                            graphs.push(g.into());
                        }
                    }
                }
                graphs
            }
        };
        for graph in targets {
            let quads: Vec<Quad> = self
                .tx
                .quads_for_pattern(None, None, None, Some(graph.as_ref()))
                .collect::<Result<_, _>>()?;
            for quad in &quads {
                self.remove(quad.as_ref())?;
            }
            if let (true, GraphName::NamedNode(g)) = (drop, &graph) {
                self.tx.remove_named_graph(g)?;
                self.net.entry(GraphKey::of(graph.as_ref())).or_default().dropped = true;
            }
        }
        Ok(())
    }

    /// `DELETE … INSERT … WHERE`: the pattern is evaluated once, then every
    /// deletion applies before any insertion.
    fn delete_insert(
        &mut self,
        delete: &[GroundQuadPattern],
        insert: &[QuadPattern],
        using: Option<spargebra::algebra::QueryDataset>,
        pattern: &GraphPattern,
        base: Option<&oxiri::Iri<String>>,
    ) -> Result<()> {
        let query = spargebra::Query::Select {
            dataset: None,
            pattern: pattern.clone(),
            base_iri: base.cloned(),
        };
        let mut prepared = SparqlEvaluator::new()
            .with_cancellation_token(self.stop.token())
            .with_custom_function(super::stop::checkpoint_name(), self.stop.checkpoint())
            .for_query(query);
        match (using, &self.protocol_using) {
            (Some(using), _) => *prepared.dataset_mut() = using.into(),
            (None, Some(protocol)) => *prepared.dataset_mut() = protocol.clone(),
            (None, None) if self.union_default_graph => prepared.dataset_mut().set_default_graph_as_union(),
            (None, None) => {}
        }
        if let Some(readable) = &self.readable {
            super::tenants::restrict(prepared.dataset_mut(), readable);
        }
        // A checkpoint unwinds no further than here: the writer lock
        // this runs under must not see a panic.
        let solutions: Vec<QuerySolution> = super::stop::catching(|| {
            let QueryResults::Solutions(solutions) = prepared.on_transaction(&self.tx).execute()? else {
                return Ok(Vec::new());
            };
            Ok(solutions.collect::<Result<_, _>>()?)
        })?;
        let mut deletions = Vec::new();
        let mut insertions = Vec::new();
        for solution in &solutions {
            deletions.extend(delete.iter().filter_map(|p| deletion(p, solution)));
            let mut fresh = HashMap::new();
            insertions.extend(insert.iter().filter_map(|p| insertion(p, solution, &mut fresh)));
        }
        for quad in &deletions {
            self.remove(quad.as_ref())?;
        }
        for quad in &insertions {
            self.insert(quad.as_ref())?;
        }
        Ok(())
    }

    fn into_edits(self) -> Result<Vec<GraphEdit>> {
        let mut edits = Vec::new();
        for (key, net) in self.net {
            let graph = key.name();
            let empty_after = match &graph {
                GraphName::NamedNode(g) => !self.tx.contains_named_graph(g)?,
                _ => false,
            };
            if net.added.is_empty() && net.removed.is_empty() && !(net.dropped && empty_after) {
                continue;
            }
            edits.push(GraphEdit::Patch {
                graph,
                remove: net.removed.into_iter().collect(),
                add: net.added.into_iter().collect(),
                drop: net.dropped && empty_after,
            });
        }
        Ok(edits)
    }
}

/// An `INSERT DATA` quad; its blank nodes are fresh for the operation.
fn data_quad(quad: &spargebra::term::Quad, fresh: &mut HashMap<BlankNode, BlankNode>) -> Quad {
    let mut bnode = |b: &BlankNode| fresh.entry(b.clone()).or_default().clone();
    let subject = match &quad.subject {
        NamedOrBlankNode::BlankNode(b) => NamedOrBlankNode::BlankNode(bnode(b)),
        other => other.clone(),
    };
    let object = match &quad.object {
        Term::BlankNode(b) => Term::BlankNode(bnode(b)),
        other => other.clone(),
    };
    Quad::new(subject, quad.predicate.clone(), object, stored_graph(&quad.graph_name))
}

/// spargebra's graph name (an IRI or the default graph) as a stored one.
fn stored_graph(graph: &spargebra::term::GraphName) -> GraphName {
    match graph {
        spargebra::term::GraphName::NamedNode(n) => n.clone().into(),
        spargebra::term::GraphName::DefaultGraph => GraphName::DefaultGraph,
    }
}

fn ground_quad(quad: &GroundQuad) -> Quad {
    let object: Term = match &quad.object {
        GroundTerm::NamedNode(n) => n.clone().into(),
        GroundTerm::Literal(l) => l.clone().into(),
    };
    Quad::new(
        quad.subject.clone(),
        quad.predicate.clone(),
        object,
        stored_graph(&quad.graph_name),
    )
}

/// A `DELETE` template instantiated with one solution; `None` when a
/// variable is unbound or bound to something that cannot stand there.
fn deletion(pattern: &GroundQuadPattern, solution: &QuerySolution) -> Option<Quad> {
    let subject = match ground_term(&pattern.subject, solution)? {
        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
        _ => return None,
    };
    Some(Quad::new(
        subject,
        predicate(&pattern.predicate, solution)?,
        ground_term(&pattern.object, solution)?,
        graph_name(&pattern.graph_name, solution)?,
    ))
}

/// An `INSERT` template instantiated with one solution; its blank nodes
/// are fresh for each solution.
fn insertion(
    pattern: &QuadPattern,
    solution: &QuerySolution,
    fresh: &mut HashMap<BlankNode, BlankNode>,
) -> Option<Quad> {
    let subject = match template_term(&pattern.subject, solution, fresh)? {
        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
        _ => return None,
    };
    Some(Quad::new(
        subject,
        predicate(&pattern.predicate, solution)?,
        template_term(&pattern.object, solution, fresh)?,
        graph_name(&pattern.graph_name, solution)?,
    ))
}

fn template_term(
    pattern: &TermPattern,
    solution: &QuerySolution,
    fresh: &mut HashMap<BlankNode, BlankNode>,
) -> Option<Term> {
    Some(match pattern {
        TermPattern::NamedNode(n) => n.clone().into(),
        TermPattern::Literal(l) => l.clone().into(),
        TermPattern::BlankNode(b) => fresh.entry(b.clone()).or_default().clone().into(),
        TermPattern::Variable(v) => solution.get(v)?.clone(),
    })
}

fn ground_term(pattern: &GroundTermPattern, solution: &QuerySolution) -> Option<Term> {
    Some(match pattern {
        GroundTermPattern::NamedNode(n) => n.clone().into(),
        GroundTermPattern::Literal(l) => l.clone().into(),
        GroundTermPattern::Variable(v) => solution.get(v)?.clone(),
    })
}

fn predicate(pattern: &NamedNodePattern, solution: &QuerySolution) -> Option<NamedNode> {
    match pattern {
        NamedNodePattern::NamedNode(n) => Some(n.clone()),
        NamedNodePattern::Variable(v) => match solution.get(v)? {
            Term::NamedNode(n) => Some(n.clone()),
            _ => None,
        },
    }
}

fn graph_name(pattern: &GraphNamePattern, solution: &QuerySolution) -> Option<GraphName> {
    match pattern {
        GraphNamePattern::NamedNode(n) => Some(n.clone().into()),
        GraphNamePattern::DefaultGraph => Some(GraphName::DefaultGraph),
        GraphNamePattern::Variable(v) => match solution.get(v)? {
            Term::NamedNode(n) => Some(n.clone().into()),
            _ => None,
        },
    }
}
