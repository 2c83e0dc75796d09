//! The report summaries the write path keeps (`src/store/summaries.rs`):
//! after every kind of write the reports read from them answer exactly as
//! the same reports read from the records, and what a run of commits left
//! equals what a rebuild from the records makes.

mod common;

use assetgraph::assets::{self, Ingest, OnError};
use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
use assetgraph::reports;
use assetgraph::store::{Change, GraphWrite, Store};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{GraphName, Literal, NamedNode, Triple};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The reports as they read the records before the summaries existed:
/// the reference the summaries must agree with.
const EXPIRING_FROM_RECORDS: &str = r#"
PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?asset ?title ?ends ?provider WHERE {
  { SELECT ?asset (MAX(?until) AS ?ends) WHERE {
      { ?policy odrl:target ?asset ; odrl:permission/odrl:constraint ?term .
        ?term odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand ?until .
      } UNION { ?asset ag:licenseExpires ?until . }
    } GROUP BY ?asset }
  FILTER(?ends >= NOW() && ?ends - NOW() < "P400D"^^xsd:dayTimeDuration)
  OPTIONAL { ?asset dcterms:title ?title FILTER(LANGMATCHES(LANG(?title), "en")) }
  OPTIONAL { ?asset ag:provider ?provider }
}"#;

const ENDING_PER_MONTH_FROM_RECORDS: &str = r#"
PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?month (COUNT(?asset) AS ?licences) WHERE {
  { SELECT ?asset (MAX(?until) AS ?ends) WHERE {
      { ?policy odrl:target ?asset ; odrl:permission/odrl:constraint ?term .
        ?term odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand ?until .
      } UNION { ?asset ag:licenseExpires ?until . }
    } GROUP BY ?asset }
  FILTER(?ends >= NOW() && ?ends - NOW() < "P372D"^^xsd:dayTimeDuration)
  BIND(SUBSTR(STR(?ends), 1, 7) AS ?month)
} GROUP BY ?month"#;

const SPEND_FROM_RECORDS: &str = r#"
PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?provider (SUM(?price) AS ?spendEur) (COUNT(DISTINCT ?asset) AS ?purchases) WHERE {
  ?asset ag:priceEur ?price .
  OPTIONAL { ?asset ag:provider ?named }
  BIND(COALESCE(?named, "(unknown)") AS ?provider)
} GROUP BY ?provider"#;

const PURCHASES: &str = "urn:test:purchases";

/// A day `days` from today, as the own format's `until` takes it.
fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

fn record(id: &str, title: &str, ends_in: &[i64]) -> Value {
    let grants: Vec<Value> = ends_in
        .iter()
        .map(|d| json!({"territory": "DE", "channel": "web", "until": day(*d)}))
        .collect();
    json!({"id": id, "title": title, "language": "en", "rights": {"grants": grants}})
}

fn ingest_for(store: &Store, tenant: &str, records: &[Value]) {
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: assetgraph::rights::Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let body = serde_json::to_vec(records).unwrap();
    let mapped = ingest::map_batch(Source::AssetGraph, &body, &mapping).unwrap();
    let how = Ingest {
        source: Source::AssetGraph,
        actor: "tester",
        tenant,
        on_error: OnError::Reject,
    };
    assets::upsert(store, mapped, &how).unwrap();
}

fn ingest(store: &Store, records: &[Value]) {
    ingest_for(store, "default", records);
}

fn asset(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:asset:{id}"))
}

fn write(store: &Store, tenant: &str, write: GraphWrite) {
    store
        .apply(Change {
            actor: "tester".into(),
            operation: "test.write".into(),
            tenant: tenant.into(),
            note: None,
            writes: vec![write],
        })
        .unwrap();
}

fn ag(local: &str) -> NamedNode {
    assetgraph::vocab::ag::term(local)
}

/// The purchases graph: (asset id, price, provider, day).
fn purchases(store: &Store, rows: &[(&str, &str, Option<&str>, &str)]) {
    let mut triples = Vec::new();
    for (id, price, provider, bought) in rows {
        let a = asset(id);
        triples.push(Triple::new(
            a.clone(),
            ag("priceEur"),
            Literal::new_typed_literal(*price, xsd::DECIMAL),
        ));
        if let Some(provider) = provider {
            triples.push(Triple::new(
                a.clone(),
                ag("provider"),
                Literal::new_simple_literal(*provider),
            ));
        }
        let at = format!("{bought}T10:00:00Z");
        triples.push(Triple::new(
            a,
            ag("purchasedAt"),
            Literal::new_typed_literal(at, xsd::DATE_TIME),
        ));
    }
    write(
        store,
        "default",
        GraphWrite::Replace {
            graph: NamedNode::new_unchecked(PURCHASES),
            kind: "graph",
            triples,
        },
    );
}

/// A report's rows, its parameters bound as the service binds them, sorted.
fn report(store: &Store, name: &str, given: &[(&str, &str)]) -> Vec<Vec<String>> {
    let report = reports::find(name).unwrap();
    let given: HashMap<String, String> = given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut query = spargebra::SparqlParser::new().parse_query(report.text).unwrap();
    assetgraph::sparql::query::bind(&mut query, &report.bindings(&given).unwrap()).unwrap();
    sorted(common::select(store, &query.to_string()))
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// Every summarised report against its reading of the records.
fn assert_reports_agree(store: &Store, when: &str) {
    assert_eq!(
        report(store, "licences-expiring", &[("days", "400")]),
        sorted(common::select(store, EXPIRING_FROM_RECORDS)),
        "licences-expiring {when}"
    );
    assert_eq!(
        report(store, "licences-ending-per-month", &[("months", "12")]),
        sorted(common::select(store, ENDING_PER_MONTH_FROM_RECORDS)),
        "licences-ending-per-month {when}"
    );
    assert_eq!(
        report(store, "licensing-spend-by-provider", &[]),
        sorted(common::select(store, SPEND_FROM_RECORDS)),
        "licensing-spend-by-provider {when}"
    );
}

/// Every statement of the summary graphs, sorted.
fn summaries(store: &Store) -> Vec<String> {
    sorted(common::select(
        store,
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:assetgraph:summary:')) }",
    ))
    .into_iter()
    .map(|row| row.join(" "))
    .collect()
}

#[test]
fn the_summarised_reports_answer_as_the_records_do_after_every_kind_of_write() {
    let (dir, store) = common::open_store();
    ingest(
        &store,
        &[
            record("a", "Alpine lake", &[20, 90]),
            record("b", "Beach at dawn", &[45]),
            record("c", "City at night", &[-10]),
            record("d", "Desert road", &[200, 10]),
        ],
    );
    assert!(!summaries(&store).is_empty(), "the first ingest wrote no summary");
    assert_reports_agree(&store, "after the first ingest");

    // A licence extended, one shortened, one gone; an asset deleted.
    ingest(
        &store,
        &[
            record("a", "Alpine lake", &[20, 300]),
            record("b", "Beach at dawn", &[5]),
            record("d", "Desert road", &[]),
        ],
    );
    assets::delete(&store, "c", "tester", "default").unwrap();
    assert_reports_agree(&store, "after records changed and one was deleted");

    // Purchases, then one repriced and one provider forgotten.
    purchases(
        &store,
        &[
            ("a", "120.50", Some("Getty Images"), "2026-03-02"),
            ("b", "80", Some("Getty Images"), "2026-03-02"),
            ("d", "19.99", None, "2026-04-11"),
        ],
    );
    assert_reports_agree(&store, "after purchases were written");
    purchases(
        &store,
        &[
            ("a", "99.00", Some("Adobe Stock"), "2026-03-02"),
            ("b", "80", None, "2026-03-02"),
        ],
    );
    assert_reports_agree(&store, "after purchases were changed");

    // A purchase whose date is not one (text a source sent, not ASCII where
    // a day would end) counts as undated, and the write goes through.
    let odd = asset("odd");
    write(
        &store,
        "default",
        GraphWrite::Replace {
            graph: NamedNode::new_unchecked("urn:test:odd-purchase"),
            kind: "graph",
            triples: vec![
                Triple::new(
                    odd.clone(),
                    ag("priceEur"),
                    Literal::new_typed_literal("5", xsd::DECIMAL),
                ),
                Triple::new(
                    odd,
                    ag("purchasedAt"),
                    Literal::new_simple_literal("2026-03-0\u{e9}t\u{e9}"),
                ),
            ],
        },
    );
    assert_reports_agree(&store, "after an undated purchase");
    let undated = common::count(
        &store,
        "SELECT (COUNT(*) AS ?n) WHERE { ?t a <https://w3id.org/assetgraph/ns#SpendTally> \
         FILTER NOT EXISTS { ?t <https://w3id.org/assetgraph/ns#day> ?d } }",
    );
    assert_eq!(undated, 1, "the odd purchase is not the one undated tally");

    // A rights record of another graph grants asset b a longer term, then
    // is withdrawn: b's end follows the record.
    let rights = NamedNode::new_unchecked("urn:test:rights:1");
    let odrl = |local: &str| NamedNode::new_unchecked(format!("http://www.w3.org/ns/odrl/2/{local}"));
    let policy = NamedNode::new_unchecked("urn:test:rights:1#policy");
    let permission = NamedNode::new_unchecked("urn:test:rights:1#permission");
    let term = NamedNode::new_unchecked("urn:test:rights:1#term");
    let until = Literal::new_typed_literal(format!("{}T00:00:00Z", day(150)), xsd::DATE_TIME);
    let triples = vec![
        Triple::new(policy.clone(), odrl("target"), asset("b")),
        Triple::new(policy, odrl("permission"), permission.clone()),
        Triple::new(permission, odrl("constraint"), term.clone()),
        Triple::new(term.clone(), odrl("leftOperand"), odrl("dateTime")),
        Triple::new(term.clone(), odrl("operator"), odrl("lt")),
        Triple::new(term.clone(), odrl("rightOperand"), until),
    ];
    write(
        &store,
        "default",
        GraphWrite::Replace {
            graph: rights.clone(),
            kind: "rights",
            triples,
        },
    );
    let ends_of_b = |store: &Store| {
        report(store, "licences-expiring", &[("days", "400")])
            .into_iter()
            .find(|row| row[0] == asset("b").as_str())
            .map(|row| row[2].clone())
    };
    assert!(
        ends_of_b(&store).unwrap().starts_with(&day(150)),
        "the rights record's term is not b's end"
    );
    assert_reports_agree(&store, "after a rights record targeted an asset");
    // Only the end of the term changes: the delta holds one triple.
    let later = Literal::new_typed_literal(format!("{}T00:00:00Z", day(250)), xsd::DATE_TIME);
    write(
        &store,
        "default",
        GraphWrite::Patch {
            graph: GraphName::NamedNode(rights.clone()),
            kind: "rights",
            remove: vec![],
            add: vec![Triple::new(term, odrl("rightOperand"), later)],
            drop: false,
        },
    );
    assert!(
        ends_of_b(&store).unwrap().starts_with(&day(250)),
        "a changed term end did not reach b"
    );
    assert_reports_agree(&store, "after one term end was added");
    write(&store, "default", GraphWrite::Drop { graph: rights });
    assert!(
        ends_of_b(&store).unwrap().starts_with(&day(5)),
        "b kept a withdrawn record's term"
    );
    assert_reports_agree(&store, "after the rights record was dropped");

    // Enough new records at once to be committed by the bulk loader.
    let many: Vec<Value> = (0..300)
        .map(|i| record(&format!("bulk-{i}"), "Bulk", &[i % 40 + 1]))
        .collect();
    ingest(&store, &many);
    assert_reports_agree(&store, "after a bulk load");

    // What the commits kept equals what a rebuild from the records makes:
    // a store reopened without its summaries builds them again.
    let kept = summaries(&store);
    assert!(kept.len() > 300, "the bulk load's summaries are missing");
    drop(store);
    forget_summaries(dir.path());
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        summaries(&store),
        kept,
        "a rebuild differs from the summaries the commits kept"
    );
    assert_reports_agree(&store, "after a rebuild");
}

/// Removes the summaries and their marker, as in a store written before
/// summaries existed.
fn forget_summaries(dir: &std::path::Path) {
    let db = oxigraph::store::Store::open(dir.join("store")).unwrap();
    let summary_graphs: Vec<_> = db
        .named_graphs()
        .map(Result::unwrap)
        .filter(|g| g.to_string().contains("urn:assetgraph:summary:"))
        .collect();
    assert!(!summary_graphs.is_empty());
    for g in summary_graphs {
        db.remove_named_graph(&g).unwrap();
    }
    let marker = NamedNode::new_unchecked("urn:assetgraph:summaries");
    let stale: Vec<_> = db
        .quads_for_pattern(Some(marker.as_ref().into()), None, None, None)
        .map(Result::unwrap)
        .collect();
    assert_eq!(stale.len(), 1, "one marker says how current the summaries are");
    for quad in stale {
        db.remove(&quad).unwrap();
    }
}

#[test]
fn each_tenant_has_its_own_summary_and_reads_no_other() {
    let (_dir, store) = common::open_store();
    ingest_for(&store, "acme", &[record("acme-1", "Acme", &[30])]);
    ingest_for(
        &store,
        "globex",
        &[
            record("globex-1", "Globex", &[60]),
            record("globex-2", "Globex 2", &[60]),
        ],
    );
    let graph_of = |tenant: &str| NamedNode::new_unchecked(format!("urn:assetgraph:summary:{tenant}"));
    assert_eq!(
        store.graph_tenant(graph_of("acme").as_ref()).unwrap().as_deref(),
        Some("acme")
    );
    assert_eq!(
        store.graph_tenant(graph_of("globex").as_ref()).unwrap().as_deref(),
        Some("globex")
    );
    let in_graph = |tenant: &str| {
        common::select(
            &store,
            &format!(
                "SELECT ?asset WHERE {{ GRAPH {} {{ ?asset <https://w3id.org/assetgraph/ns#licenceEnds> ?e }} }}",
                graph_of(tenant)
            ),
        )
    };
    assert_eq!(in_graph("acme"), vec![vec![asset("acme-1").as_str().to_owned()]]);
    assert_eq!(in_graph("globex").len(), 2);
    // Registered to its tenant, a summary graph is read by that tenant's
    // keys only: tests/tenant_matrix.rs runs every report with another
    // tenant's key and finds nothing of that tenant's assets.
}
