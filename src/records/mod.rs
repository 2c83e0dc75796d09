//! Asset records as the store holds them, read back: the graphs of every
//! asset, the rights records that target an asset from other graphs, an
//! asset's rights compiled for the engine, its clearance for a context,
//! and the view of one asset with its licences ([`AssetView`]).
//!
//! Only reads: what writes records is [`crate::assets`]. The index, the
//! alerts and the audit trail read through here.

use crate::error::{Error, Result};
use crate::rights::{self, AssetRights, Clearance, Context, Territories};
use crate::store::Store;
use crate::vocab::{ag, odrl};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Term, Triple};
use std::collections::HashMap;

mod view;

pub use view::{summary as licence_summary, AssetView, ClearanceSummary};

/// The triples that decide an asset's rights: its own graph and the graphs
/// of every rights record whose policy targets it.
pub(crate) fn rights_triples(store: &Store, asset: &NamedNode) -> Result<Vec<Triple>> {
    let mut triples = store.graph_triples(asset.as_ref())?;
    triples.extend(targeting_records(store, asset)?);
    Ok(triples)
}

/// The triples of the other records (rights) whose policies target the asset.
pub(crate) fn targeting_records(store: &Store, asset: &NamedNode) -> Result<Vec<Triple>> {
    Targeting::Ask.records(store, asset)
}

/// How the records targeting an asset from other graphs (a Rightsline
/// right covering titles) are found.
pub(crate) enum Targeting {
    /// By asking the store, asset by asset.
    Ask,
    /// In a map read once (asset IRI → the record graphs targeting it),
    /// for work that reads every record, such as an index rebuild.
    Known(HashMap<String, Vec<NamedNode>>),
}

impl Targeting {
    /// Every asset targeted from another graph, in one pass over the
    /// store's `odrl:target` statements. Nearly all of them target their
    /// record's own asset: compared as stored, those are passed over
    /// without their terms being read back, which is what makes this
    /// cheaper than asking per asset.
    pub(crate) fn read_all(store: &Store) -> Result<Targeting> {
        const TARGETED: &str = "SELECT ?record ?asset WHERE { GRAPH ?record { ?policy <http://www.w3.org/ns/odrl/2/target> ?asset } FILTER(!sameTerm(?record, ?asset)) }";
        let mut known: HashMap<String, Vec<NamedNode>> = HashMap::new();
        let mut add = |asset: &NamedNode, graph: NamedNode| {
            let graphs = known.entry(asset.as_str().to_owned()).or_default();
            if !graphs.contains(&graph) {
                graphs.push(graph);
            }
        };
        for row in store.select(TARGETED, &[])? {
            if let [Some(Term::NamedNode(record)), Some(Term::NamedNode(asset))] = &row[..] {
                add(asset, record.clone());
            }
        }
        // The downloads tallies, found in the same way: one pass, not a
        // look per asset.
        for quad in store
            .db()
            .quads_for_pattern(None, Some(ag::DOWNLOAD_RECORDED), None, None)
        {
            let quad = quad?;
            if let (NamedOrBlankNode::NamedNode(asset), GraphName::NamedNode(tally)) = (quad.subject, quad.graph_name) {
                add(&asset, tally);
            }
        }
        Ok(Targeting::Known(known))
    }

    /// The triples of the records whose policies target `asset` from
    /// other graphs, and of the tally of its recorded downloads.
    pub(crate) fn records(&self, store: &Store, asset: &NamedNode) -> Result<Vec<Triple>> {
        let asked;
        let graphs: &[NamedNode] = match self {
            Targeting::Ask => {
                asked = Self::ask_with_tally(store, asset)?;
                &asked
            }
            Targeting::Known(known) => known.get(asset.as_str()).map_or(&[], Vec::as_slice),
        };
        let mut triples = Vec::new();
        for graph in graphs {
            triples.extend(store.graph_triples(graph.as_ref())?);
        }
        Ok(triples)
    }

    /// [`Self::ask`], and the tally of the asset's recorded downloads,
    /// which count towards its download limit.
    fn ask_with_tally(store: &Store, asset: &NamedNode) -> Result<Vec<NamedNode>> {
        let mut graphs = Self::ask(store, asset)?;
        let tally = NamedNode::new_unchecked(crate::vocab::graphs::downloads(asset.as_str()));
        if store.db().contains_named_graph(&tally)? {
            graphs.push(tally);
        }
        Ok(graphs)
    }

    /// The graphs of the rights records whose policies target `asset`.
    pub(crate) fn ask(store: &Store, asset: &NamedNode) -> Result<Vec<NamedNode>> {
        let mut graphs: Vec<NamedNode> = Vec::new();
        for quad in store
            .db()
            .quads_for_pattern(None, Some(odrl::TARGET), Some(asset.as_ref().into()), None)
        {
            if let oxigraph::model::GraphName::NamedNode(graph) = quad?.graph_name {
                if &graph != asset && !graphs.contains(&graph) {
                    graphs.push(graph);
                }
            }
        }
        Ok(graphs)
    }
}

/// The graphs of every asset record in the store.
pub fn graphs(store: &Store) -> Result<Vec<NamedNode>> {
    let mut graphs = Vec::new();
    for graph in store.db().named_graphs() {
        if let oxigraph::model::NamedOrBlankNode::NamedNode(graph) = graph? {
            if graph.as_str().starts_with(crate::vocab::graphs::ASSET_PREFIX) {
                graphs.push(graph);
            }
        }
    }
    Ok(graphs)
}

/// An asset's rights, compiled for the engine; `None` if the asset is unknown.
pub fn rights(store: &Store, id: &str, territories: &Territories) -> Result<Option<AssetRights>> {
    let asset = crate::rdf::asset_iri(id);
    if !store.db().contains_named_graph(&asset)? {
        return Ok(None);
    }
    let triples = rights_triples(store, &asset)?;
    Ok(Some(rights::compile(&asset, &triples, territories)))
}

/// Whether an asset is cleared for a context, with the reasons.
pub fn clearance(store: &Store, id: &str, ctx: &Context, territories: &Territories) -> Result<Clearance> {
    let rights = rights(store, id, territories)?.ok_or_else(|| Error::not_found(format!("asset '{id}'")))?;
    Ok(rights.explain(ctx, territories))
}

/// Refuses, as not found, an asset whose graph belongs to none of
/// `tenants` (`None`: any tenant's will do): a caller must not learn that
/// another tenant's asset exists.
pub fn ensure_owned(store: &Store, id: &str, tenants: Option<&[String]>) -> Result<()> {
    let Some(tenants) = tenants else {
        return Ok(());
    };
    let owner = store.graph_owner(crate::rdf::asset_iri(id).as_ref())?;
    if tenants.contains(&owner) {
        Ok(())
    } else {
        Err(Error::not_found(format!("asset '{id}'")))
    }
}

/// An asset with its metadata, tags, licences and clearance summary.
pub fn get(store: &Store, id: &str, territories: &Territories, now: i64) -> Result<AssetView> {
    let asset = crate::rdf::asset_iri(id);
    let own = store.graph_triples(asset.as_ref())?;
    if own.is_empty() {
        return Err(Error::not_found(format!("asset '{id}'")));
    }
    let mut all = own.clone();
    all.extend(targeting_records(store, &asset)?);
    let compiled = rights::compile(&asset, &all, territories);
    Ok(view::build(id, &asset, &own, &compiled, territories, now))
}

/// Whether a record graph's triples describe an asset (not a rights record).
pub(crate) fn holds_asset(graph: &NamedNode, triples: &[Triple]) -> bool {
    triples.iter().any(|t| {
        t.subject.as_ref() == graph.as_ref().into()
            && t.predicate.as_ref() == oxigraph::model::vocab::rdf::TYPE
            && t.object == Term::NamedNode(crate::vocab::ag::ASSET.into_owned())
    })
}

/// Rights compiled from the store, asset by asset: for tools that run
/// without the search index.
pub struct FromStore<'a>(pub &'a Store);

impl rights::RightsOf for FromStore<'_> {
    fn rights_of(&self, asset: &NamedNode) -> Result<Option<AssetRights>> {
        if !self.0.db().contains_named_graph(asset)? {
            return Ok(None);
        }
        let triples = rights_triples(self.0, asset)?;
        Ok(Some(rights::compile(asset, &triples, Territories::global())))
    }
}
