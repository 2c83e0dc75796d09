//! The audit timeline: one chronological answer to "what happened to this
//! asset, who did it, and when" — record versions, rights changes, the
//! taxonomy versions of the concepts it is tagged with, the approvals the
//! sources report, and every use of it, each with whether it stayed within
//! the licence terms.
//!
//! It reads what the write path already keeps: the audit graph (one
//! `ag:Change` per commit, with the graphs it touched), the usage graph,
//! and for approvals the records themselves. An approval is what a source
//! says someone decided: the purchase of a licence (Smint.io's buyer and
//! time) or the workflow status of a record (Rightsline's status, with who
//! set it and when). A source reports the latest status only, so each
//! record shows its current one.
//!
//! For one asset every lookup starts from a known IRI (the asset, its
//! rights records, its concepts' projects), so the answer costs a few
//! index seeks per entry, however large the trail. Without an asset the
//! whole trail is read and the time window applied, up to `limit` entries.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::vocab::{ag, dcterms, graphs, prov, rdfs, skos};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term};
use serde::Serialize;

/// What to include.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// An asset id (`smintio:88120`); `None` for the whole trail.
    pub asset: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    pub limit: usize,
    /// The tenants whose entries the whole trail shows (`None`: every
    /// tenant's): changes they made, approvals and uses of their records.
    pub tenants: Option<Vec<String>>,
}

/// One thing that happened.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Entry {
    /// The activity's IRI (a change or a usage event).
    pub id: String,
    /// RFC 3339.
    pub at: String,
    #[serde(skip)]
    pub unix: i64,
    /// `record` (the asset's own graph), `rights` (a rights record that
    /// targets it), `taxonomy` (a project defining one of its concepts),
    /// `approval` (a licence purchase or a workflow status, as its source
    /// reports it), `usage` (one use), and in the whole trail also
    /// `usage-report` (a batch of usage events as reported) and `change`
    /// (anything else).
    pub kind: &'static str,
    /// The operation (`assets.ingest.smintio`, `taxonomy.replace`), what
    /// was approved (`licence purchased`, `status Approved`) or the usage
    /// action (`download`).
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// The graph changed, for changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    /// For usage: whether the use was within the licence terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_terms: Option<bool>,
    /// For usage: the rule that decided, and the grant or restriction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Triples added and removed, the diff summary, or the usage context.
    pub detail: String,
}

/// The timeline of the window, oldest first.
pub fn timeline(store: &Store, window: &Window) -> Result<Vec<Entry>> {
    let mut entries = match &window.asset {
        Some(id) => of_asset(store, id, window.tenants.as_deref())?,
        None => everything(store, window)?,
    };
    entries.retain(|e| window.from.is_none_or(|from| e.unix >= from) && window.to.is_none_or(|to| e.unix < to));
    entries.sort_by(|a, b| (a.unix, &a.id).cmp(&(b.unix, &b.id)));
    entries.truncate(window.limit);
    Ok(entries)
}

fn of_asset(store: &Store, id: &str, tenants: Option<&[String]>) -> Result<Vec<Entry>> {
    let asset = crate::rdf::asset_iri(id);
    let mut entries = changes_to(store, asset.as_ref(), "record")?;
    if entries.is_empty() && !store.db().contains_named_graph(&asset)? {
        return Err(Error::not_found(format!("asset '{id}' (no record and no history)")));
    }
    entries.extend(approvals_of(store, asset.as_ref())?);
    for record in crate::records::Targeting::ask(store, &asset)? {
        entries.extend(changes_to(store, record.as_ref(), "rights")?);
        entries.extend(approvals_of(store, record.as_ref())?);
    }
    for project in projects_of_concepts(store, &asset)? {
        entries.extend(changes_to(store, project.as_ref(), "taxonomy")?);
    }
    let sees = Visibility { store, tenants };
    entries.extend(uses_of(store, asset.as_ref(), &sees)?);
    Ok(entries)
}

/// Every change, approval and use (no asset given). A change is one entry
/// (a batch of 10,000 records is one commit, not 10,000 entries), named
/// by the kind of its first graph, with that graph's counts.
fn everything(store: &Store, window: &Window) -> Result<Vec<Entry>> {
    let db = store.db();
    let audit = graph(graphs::AUDIT);
    let sees = Visibility {
        store,
        tenants: window.tenants.as_deref(),
    };
    let mut entries = Vec::new();
    for generation in 1..=store.generation() {
        let change = NamedNode::new_unchecked(graphs::audit_entry(generation));
        // The first graph stands for the change (its note says the rest:
        // "10000 record(s) from smintio"); reading every part of a large
        // batch would decode a million IRIs.
        let mut parts = db.quads_for_pattern(Some(change.as_ref().into()), Some(ag::GRAPH_CHANGE), None, Some(audit));
        // A change with no graph changed state kept outside the store
        // (webhook subscriptions, tokens); its note says what.
        let part = match parts.next().transpose()? {
            Some(first) => match first.object {
                Term::NamedNode(part) => Some(part),
                _ => continue,
            },
            None => None,
        };
        if !sees.change(change.as_ref())? {
            continue;
        }
        entries.extend(change_entry(
            store,
            change.as_ref(),
            part.as_ref().map(NamedNode::as_ref),
            None,
        )?);
    }
    // Reading every approval or use of a large trail is the slow part:
    // without a window, each stops once far more than asked for are in.
    let enough = |read: usize| window.from.is_none() && window.to.is_none() && read > window.limit.saturating_mul(4);
    // A record's approvals are facts about itself in its own graph.
    let (mut approving, mut scanned) = (std::collections::HashSet::new(), 0);
    'approvals: for moment in [ag::PURCHASED_AT, ag::STATUS_UPDATED_AT] {
        for quad in db.quads_for_pattern(None, Some(moment), None, None) {
            let quad = quad?;
            scanned += 1;
            if let (GraphName::NamedNode(record), NamedOrBlankNode::NamedNode(subject)) =
                (quad.graph_name, quad.subject)
            {
                if record == subject && approving.insert(record) && sees.record(subject.as_ref())? {
                    entries.extend(approvals_of(store, subject.as_ref())?);
                }
            }
            if enough(scanned) {
                break 'approvals;
            }
        }
    }
    let mut uses = 0;
    for quad in db.quads_for_pattern(None, Some(rdf::TYPE), Some(ag::USAGE_EVENT.into()), None) {
        let quad = quad?;
        let Some((event, usage)) = event_in_usage_graph(&quad).filter(|(_, usage)| sees.use_in(*usage)) else {
            continue;
        };
        if let Some(entry) = use_entry(store, event, usage)? {
            entries.push(entry);
            uses += 1;
        }
        if enough(uses) {
            break;
        }
    }
    Ok(entries)
}

/// The tenant a commit was made for.
pub(crate) fn tenant_of_change(store: &Store, generation: u64) -> Result<Option<String>> {
    let change = NamedNode::new_unchecked(graphs::audit_entry(generation));
    Ok(
        match first_object(store, change.as_ref(), ag::TENANT, graph(graphs::AUDIT))? {
            Some(Term::NamedNode(tenant)) => tenant
                .as_str()
                .strip_prefix(graphs::tenant("").as_str())
                .map(str::to_owned),
            _ => None,
        },
    )
}

/// Which entries of the whole trail a caller limited to some tenants sees.
struct Visibility<'a> {
    store: &'a Store,
    tenants: Option<&'a [String]>,
}

impl Visibility<'_> {
    /// A change made for one of the tenants.
    fn change(&self, change: NamedNodeRef<'_>) -> Result<bool> {
        let Some(tenants) = self.tenants else {
            return Ok(true);
        };
        let tenant = first_object(self.store, change, ag::TENANT, graph(graphs::AUDIT))?;
        Ok(matches!(tenant, Some(Term::NamedNode(t)) if tenants.iter().any(|mine| t.as_str() == graphs::tenant(mine))))
    }

    /// An approval of a record one of the tenants holds.
    fn record(&self, record: NamedNodeRef<'_>) -> Result<bool> {
        match self.tenants {
            None => Ok(true),
            Some(tenants) => Ok(tenants.contains(&self.store.graph_owner(record)?)),
        }
    }

    /// A use recorded for one of the tenants: each tenant's uses are in
    /// its own usage graph, so the graph's name says whose it is.
    fn use_in(&self, usage: NamedNodeRef<'_>) -> bool {
        self.tenants
            .is_none_or(|tenants| tenants.iter().any(|t| graphs::usage_of(t) == usage.as_str()))
    }
}

/// A usage event and the usage graph that holds it, from a quad naming the
/// event as subject (`None` for quads of other graphs).
fn event_in_usage_graph<'a>(quad: &'a oxigraph::model::Quad) -> Option<(NamedNodeRef<'a>, NamedNodeRef<'a>)> {
    match (quad.subject.as_ref(), quad.graph_name.as_ref()) {
        (NamedOrBlankNodeRef::NamedNode(event), GraphNameRef::NamedNode(usage)) if graphs::is_usage(usage.as_str()) => {
            Some((event, usage))
        }
        _ => None,
    }
}

/// The commits that changed `target`, as entries of `kind`.
fn changes_to(store: &Store, target: NamedNodeRef<'_>, kind: &'static str) -> Result<Vec<Entry>> {
    let db = store.db();
    let audit = graph(graphs::AUDIT);
    let mut entries = Vec::new();
    for part in db.quads_for_pattern(None, Some(ag::CHANGED_GRAPH), Some(target.into()), Some(audit)) {
        let part = part?;
        let NamedOrBlankNodeRef::NamedNode(part) = part.subject.as_ref() else {
            continue;
        };
        for change in db.quads_for_pattern(None, Some(ag::GRAPH_CHANGE), Some(part.into()), Some(audit)) {
            if let NamedOrBlankNodeRef::NamedNode(change) = change?.subject.as_ref() {
                entries.extend(change_entry(store, change, Some(part), Some(kind))?);
            }
        }
    }
    Ok(entries)
}

/// One commit's entry for one graph it touched. Without a `kind`, the
/// graph says what it was.
fn change_entry(
    store: &Store,
    change: NamedNodeRef<'_>,
    part: Option<NamedNodeRef<'_>>,
    kind: Option<&'static str>,
) -> Result<Option<Entry>> {
    let audit = graph(graphs::AUDIT);
    let value = |subject: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>| first_object(store, subject, predicate, audit);
    let text = |term: Option<Term>| match term {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.into_string()),
        _ => None,
    };
    let Some(at) = text(value(change, prov::ENDED_AT_TIME)?) else {
        return Ok(None);
    };
    let who = match value(change, prov::WAS_ASSOCIATED_WITH)? {
        Some(Term::NamedNode(agent)) => text(value(agent.as_ref(), rdfs::LABEL)?),
        _ => None,
    };
    let (graph_changed, mut detail) = match part {
        Some(part) => {
            let added = text(value(part, ag::TRIPLES_ADDED)?).unwrap_or_default();
            let removed = text(value(part, ag::TRIPLES_REMOVED)?).unwrap_or_default();
            let dropped = text(value(part, ag::GRAPH_DROPPED)?).is_some_and(|d| d == "true");
            let detail = if dropped {
                format!("graph dropped (-{removed} triples)")
            } else {
                format!("+{added} -{removed} triples")
            };
            (text(value(part, ag::CHANGED_GRAPH)?), detail)
        }
        None => (None, "no graph changed".to_owned()),
    };
    if let Some(note) = text(value(change, rdfs::COMMENT)?) {
        detail = format!("{detail}; {note}");
    }
    let kind = kind.unwrap_or_else(|| graph_changed.as_deref().map_or("change", kind_of_graph));
    Ok(Some(Entry {
        id: change.as_str().to_owned(),
        unix: crate::rdf::time::parse(&at).unwrap_or_default(),
        at,
        kind,
        what: text(value(change, ag::OPERATION)?).unwrap_or_default(),
        who,
        graph: graph_changed,
        generation: text(value(change, ag::GENERATION)?).and_then(|g| g.parse().ok()),
        within_terms: None,
        rule: None,
        source: None,
        detail,
    }))
}

fn kind_of_graph(graph: &str) -> &'static str {
    if graph.starts_with(graphs::ASSET_PREFIX) {
        "record"
    } else if graphs::is_usage(graph) || graph.starts_with(graphs::DOWNLOADS_PREFIX) {
        "usage-report"
    } else {
        "change"
    }
}

/// The approvals a record reports, read from its own graph: the licence
/// purchase (who bought it, when, for whom) and the workflow status its
/// source last set (who set it, when, in which workflow).
fn approvals_of(store: &Store, record: NamedNodeRef<'_>) -> Result<Vec<Entry>> {
    let get = |predicate: NamedNodeRef<'_>| -> Result<Option<String>> {
        Ok(literal(first_object(store, record, predicate, record.into())?))
    };
    let approval = |fragment: &str, at: String, what: String, who: Option<String>, detail: String| Entry {
        id: format!("{}#{fragment}", record.as_str()),
        unix: crate::rdf::time::parse(&at).unwrap_or_default(),
        at,
        kind: "approval",
        what,
        who,
        graph: Some(record.as_str().to_owned()),
        generation: None,
        within_terms: None,
        rule: None,
        source: None,
        detail,
    };
    let mut entries = Vec::new();
    if let Some(at) = get(ag::PURCHASED_AT)? {
        let detail = get(ag::LICENSEE)?.map(|l| format!("licensee {l}")).unwrap_or_default();
        entries.push(approval(
            "purchase",
            at,
            "licence purchased".into(),
            get(ag::PURCHASED_BY)?,
            detail,
        ));
    }
    if let (Some(at), Some(status)) = (get(ag::STATUS_UPDATED_AT)?, get(ag::STATUS)?) {
        let who = match (get(ag::STATUS_UPDATED_BY)?, get(ag::SOURCE)?) {
            (Some(id), Some(source)) => Some(format!("{source} user {id}")),
            (Some(id), None) => Some(format!("user {id}")),
            (None, _) => None,
        };
        let detail = [get(ag::PROCESS)?, get(ag::TEMPLATE)?]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        entries.push(approval("status", at, format!("status {status}"), who, detail));
    }
    Ok(entries)
}

/// The uses of an asset that the caller sees: those its tenants recorded.
fn uses_of(store: &Store, asset: NamedNodeRef<'_>, sees: &Visibility<'_>) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for quad in store
        .db()
        .quads_for_pattern(None, Some(prov::USED), Some(asset.into()), None)
    {
        let quad = quad?;
        let Some((event, usage)) = event_in_usage_graph(&quad).filter(|(_, usage)| sees.use_in(*usage)) else {
            continue;
        };
        entries.extend(use_entry(store, event, usage)?);
    }
    Ok(entries)
}

fn use_entry(store: &Store, event: NamedNodeRef<'_>, usage: NamedNodeRef<'_>) -> Result<Option<Entry>> {
    let mut facts: Vec<(String, Term)> = Vec::new();
    for quad in store
        .db()
        .quads_for_pattern(Some(event.into()), None, None, Some(usage.into()))
    {
        let quad = quad?;
        facts.push((quad.predicate.into_string(), quad.object));
    }
    let get = |p: NamedNodeRef<'_>| {
        facts
            .iter()
            .find(|(predicate, _)| predicate == p.as_str())
            .map(|(_, o)| match o {
                Term::Literal(l) => l.value().to_owned(),
                Term::NamedNode(n) => n.as_str().to_owned(),
                other => other.to_string(),
            })
    };
    let Some(at) = get(prov::STARTED_AT_TIME) else {
        return Ok(None);
    };
    let who = match facts.iter().find(|(p, _)| p == prov::WAS_ASSOCIATED_WITH.as_str()) {
        Some((_, Term::NamedNode(user))) => label(store, user.as_ref(), usage.into())?,
        _ => None,
    };
    let context: Vec<String> = (crate::rights::DIMENSIONS.iter())
        .map(|d| (d.name(), d.usage_property()))
        .chain([("campaign", ag::CAMPAIGN)])
        .filter_map(|(name, p)| get(p).map(|v| format!("{name} {v}")))
        .collect();
    let mut detail = context.join(", ");
    if let Some(decision) = get(ag::DECISION) {
        detail = if detail.is_empty() {
            decision
        } else {
            format!("{detail}: {decision}")
        };
    }
    Ok(Some(Entry {
        id: event.as_str().to_owned(),
        unix: crate::rdf::time::parse(&at).unwrap_or_default(),
        at,
        kind: "usage",
        what: get(ag::ACTION).unwrap_or_default(),
        who,
        graph: None,
        generation: None,
        within_terms: get(ag::WITHIN_TERMS).map(|w| w == "true"),
        rule: get(ag::DECIDING_RULE),
        source: get(ag::DECIDING_SOURCE),
        detail,
    }))
}

fn label(store: &Store, node: NamedNodeRef<'_>, in_graph: GraphNameRef<'_>) -> Result<Option<String>> {
    Ok(literal(first_object(store, node, rdfs::LABEL, in_graph)?))
}

/// The object of the first triple `subject predicate ?o` in a graph.
fn first_object(
    store: &Store,
    subject: NamedNodeRef<'_>,
    predicate: NamedNodeRef<'_>,
    in_graph: GraphNameRef<'_>,
) -> Result<Option<Term>> {
    Ok(store
        .db()
        .quads_for_pattern(Some(subject.into()), Some(predicate), None, Some(in_graph))
        .next()
        .transpose()?
        .map(|q| q.object))
}

fn literal(term: Option<Term>) -> Option<String> {
    match term {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// The taxonomy graphs that define the concepts the asset is tagged with.
fn projects_of_concepts(store: &Store, asset: &NamedNode) -> Result<Vec<NamedNode>> {
    let db = store.db();
    let mut projects = Vec::new();
    for tag in db.quads_for_pattern(
        Some(asset.as_ref().into()),
        Some(dcterms::SUBJECT),
        None,
        Some(asset.as_ref().into()),
    ) {
        let Term::NamedNode(concept) = tag?.object else {
            continue;
        };
        for quad in db.quads_for_pattern(
            Some(concept.as_ref().into()),
            Some(rdf::TYPE),
            Some(skos::CONCEPT.into()),
            None,
        ) {
            if let GraphName::NamedNode(g) = quad?.graph_name {
                if !projects.contains(&g) {
                    projects.push(g);
                }
            }
        }
    }
    Ok(projects)
}

fn graph(iri: &'static str) -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(iri))
}

/// The timeline as CSV, one entry a row.
pub fn to_csv(entries: &[Entry]) -> String {
    let mut out = String::from("at,kind,what,who,within_terms,rule,source,graph,generation,detail,id\r\n");
    for e in entries {
        let fields = [
            e.at.clone(),
            e.kind.to_owned(),
            e.what.clone(),
            e.who.clone().unwrap_or_default(),
            e.within_terms.map(|w| w.to_string()).unwrap_or_default(),
            e.rule.clone().unwrap_or_default(),
            e.source.clone().unwrap_or_default(),
            e.graph.clone().unwrap_or_default(),
            e.generation.map(|g| g.to_string()).unwrap_or_default(),
            e.detail.clone(),
            e.id.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The timeline as JSON-LD: PROV-O activities with the project's terms,
/// readable as plain JSON too.
pub fn to_json_ld(entries: &[Entry]) -> serde_json::Value {
    let graph: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let mut node = serde_json::json!({
                "@id": e.id,
                "@type": match e.kind {
                    "usage" => "ag:UsageEvent",
                    "approval" => "ag:Approval",
                    _ => "ag:Change",
                },
                "kind": e.kind,
                "what": e.what,
                "at": e.at,
                "detail": e.detail,
            });
            let object = node.as_object_mut().expect("a JSON object");
            if let Some(who) = &e.who {
                object.insert("who".into(), serde_json::json!({ "rdfs:label": who }));
            }
            if let Some(within) = e.within_terms {
                object.insert("withinTerms".into(), within.into());
            }
            if let Some(rule) = &e.rule {
                object.insert("rule".into(), rule.clone().into());
            }
            if let Some(source) = &e.source {
                object.insert("source".into(), source.clone().into());
            }
            if let Some(graph) = &e.graph {
                object.insert("graph".into(), serde_json::json!({ "@id": graph }));
            }
            if let Some(generation) = e.generation {
                object.insert("generation".into(), generation.into());
            }
            node
        })
        .collect();
    serde_json::json!({
        "@context": {
            "ag": crate::vocab::AG,
            "prov": "http://www.w3.org/ns/prov#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "at": { "@id": "prov:startedAtTime", "@type": "xsd:dateTime" },
            "who": { "@id": "prov:wasAssociatedWith" },
            "kind": "ag:entryKind",
            "what": "ag:operation",
            "detail": "rdfs:comment",
            "withinTerms": "ag:withinTerms",
            "rule": "ag:decidingRule",
            "source": "ag:decidingSource",
            "graph": { "@id": "ag:changedGraph" },
            "generation": "ag:generation"
        },
        "@graph": graph,
    })
}
