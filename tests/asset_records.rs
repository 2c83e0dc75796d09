//! The project's own asset format: strict validation naming record and
//! field, and rights that survive the trip through ODRL triples in the store.

mod common;

use assetgraph::ingest::assetgraph::{parse_batch, triples};
use assetgraph::rdf::asset_iri;
use assetgraph::rdf::time::parse as parse_time;
use assetgraph::rights::{compile, Context, Dimension, Territories};
use assetgraph::store::{Change, GraphWrite};
use common::*;

const RECORD: &str = r#"[{
  "id": "brand:cup-001",
  "title": "Recyclable coffee cup",
  "description": "A paper cup on a wooden table",
  "keywords": ["cup", "recycling"],
  "concepts": ["https://demo.assetgraph.example/campaigns/recyclable"],
  "language": "en",
  "variants": {"de": {"title": "Recycelbarer Kaffeebecher", "keywords": ["Becher"]}},
  "rights": {
    "editorial_only": false,
    "downloads": 2, "max_downloads": 10,
    "grants": [
      {"territory": "DE", "channel": "print", "from": "2026-01-01", "until": "2027-01-01"},
      {"territory": ["FR"], "channel": ["social"]}
    ],
    "restrictions": [{"kind": "holdback", "territory": "FR", "channel": "social", "from": "2026-12-01", "until": "2026-12-24"}]
  }
}]"#;

fn ask(rights: &assetgraph::rights::AssetRights, t: &Territories, at: &str, territory: &str, channel: &str) -> bool {
    let ctx = Context::at(parse_time(at).unwrap())
        .with_value(Dimension::Territory, territory, t)
        .with_value(Dimension::Channel, channel, t);
    rights.is_cleared(&ctx, t)
}

#[test]
fn rights_survive_the_trip_through_the_store() {
    let t = Territories::shipped().unwrap();
    let record = parse_batch(RECORD.as_bytes()).unwrap().pop().unwrap().unwrap();
    assert_eq!(
        record.variants["de"].title.as_deref(),
        Some("Recycelbarer Kaffeebecher")
    );
    let graph = asset_iri(&record.id);
    assert_eq!(graph.as_str(), "urn:assetgraph:asset:brand:cup-001");

    let (_dir, store) = open_store();
    let write = |triples| Change {
        actor: "tester".into(),
        operation: "asset.upsert".into(),
        tenant: "default".into(),
        note: None,
        writes: vec![GraphWrite::Replace {
            graph: graph.clone(),
            kind: "asset",
            triples,
        }],
    };
    assert!(store.apply(write(triples(&record, "assetgraph", &t))).unwrap().changed);
    // the same record again changes nothing: no new triple, no audit entry
    let generation = store.generation();
    assert!(!store.apply(write(triples(&record, "assetgraph", &t))).unwrap().changed);
    assert_eq!(store.generation(), generation);

    let rights = compile(&graph, &store.graph_triples(graph.as_ref()).unwrap(), &t);
    assert_eq!(rights.grants.len(), 2);
    assert_eq!(rights.downloads, Some((2, 10)));
    assert!(ask(&rights, &t, "2026-06-01", "DE", "print"));
    assert!(
        !ask(&rights, &t, "2026-06-01", "DE", "social"),
        "grants stay separate after the round trip"
    );
    assert!(!ask(&rights, &t, "2027-01-01", "DE", "print"), "term ended");
    assert!(ask(&rights, &t, "2026-11-30", "FR", "social"));
    assert!(!ask(&rights, &t, "2026-12-10", "FR", "social"), "holdback");
    assert!(ask(&rights, &t, "2026-12-24", "FR", "social"), "holdback over");

    // ODRL and descriptive triples are queryable
    assert!(ask_sparql(&store));
}

#[test]
fn rules_of_one_policy_share_equal_constraints() {
    let t = Territories::shipped().unwrap();
    let record = r#"[{"id": "brand:shared-001", "title": "Shared window", "rights": {
        "grants": [{"territory": "DE", "from": "2026-01-01", "until": "2027-01-01"}],
        "restrictions": [
          {"kind": "holdback", "territory": "DE", "channel": "tv", "from": "2026-01-01", "until": "2027-01-01"},
          {"kind": "restricted", "channel": "social", "from": "2026-01-01", "until": "2027-01-01"}
        ]}}]"#;
    let record = parse_batch(record.as_bytes()).unwrap().pop().unwrap().unwrap();
    let out = triples(&record, "assetgraph", &t);
    let count = |p: &str, o: &str| {
        out.iter()
            .filter(|x| x.predicate.as_str() == p && x.object.to_string() == o)
            .count()
    };
    let odrl = "http://www.w3.org/ns/odrl/2/";
    // one window (two constraints) and one territory list for three rules
    assert_eq!(count(&format!("{odrl}leftOperand"), &format!("<{odrl}dateTime>")), 2);
    assert_eq!(count(&format!("{odrl}leftOperand"), &format!("<{odrl}spatial>")), 1);
    assert_eq!(
        out.iter()
            .filter(|x| x.predicate.as_str() == format!("{odrl}constraint"))
            .count(),
        3 + 4 + 3,
        "every rule still links each of its constraints"
    );
    let graph = asset_iri(&record.id);
    let rights = compile(&graph, &out, &t);
    assert_eq!(rights.restrictions.len(), 2);
    for r in &rights.restrictions {
        assert_eq!(r.term.from, parse_time("2026-01-01"));
        assert_eq!(r.term.until, parse_time("2027-01-01"));
    }
    assert!(
        !ask(&rights, &t, "2026-06-01", "DE", "tv"),
        "the holdback keeps its window"
    );
    assert!(
        !ask(&rights, &t, "2026-06-01", "AT", "print"),
        "the grant keeps its territory"
    );
    assert!(ask(&rights, &t, "2026-06-01", "DE", "print"));
}

fn ask_sparql(store: &assetgraph::store::Store) -> bool {
    common::ask(
        store,
        "PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
         ASK { ?p odrl:target <urn:assetgraph:asset:brand:cup-001> ; odrl:permission ?g .
               ?g odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:rightOperand <https://w3id.org/assetgraph/territory/DE> ] .
               <urn:assetgraph:asset:brand:cup-001> <http://purl.org/dc/terms/title> \"Recycelbarer Kaffeebecher\"@de }",
    )
}

#[test]
fn every_error_names_the_record_and_the_field() {
    let cases = [
        (r#"[{"title": "no id"}]"#, 0, "id", "required"),
        (
            r#"[{"id": "a", "title": "ok"}, {"id": "b", "title": 42}]"#,
            1,
            "title",
            "must be a string",
        ),
        (
            r#"[{"id": "a", "title": "t", "titel": "typo"}]"#,
            0,
            "titel",
            "unknown field",
        ),
        (
            r#"[{"id": "a", "title": "t", "concepts": ["not an iri"]}]"#,
            0,
            "concepts[0]",
            "not an IRI",
        ),
        (
            r#"[{"id": "a", "title": "t", "rights": {"grants": [{"from": "soon"}]}}]"#,
            0,
            "rights.grants[0].from",
            "not a date",
        ),
        (
            r#"[{"id": "a", "title": "t", "rights": {"restrictions": [{"kind": "maybe"}]}}]"#,
            0,
            "rights.restrictions[0].kind",
            "restriction kind",
        ),
        (
            r#"[{"id": "a", "title": "t", "rights": {"grants": [{"from": "2027-01-01", "until": "2026-01-01"}]}}]"#,
            0,
            "rights.grants[0].until",
            "after from",
        ),
        (
            r#"[{"id": "a", "title": "t", "rights": {"downloads": 3}}]"#,
            0,
            "rights.max_downloads",
            "required",
        ),
        (
            r#"[{"id": "a", "title": "t", "language": "not a tag!"}]"#,
            0,
            "language",
            "language tag",
        ),
    ];
    for (body, index, field, message) in cases {
        let results = parse_batch(body.as_bytes()).unwrap();
        let error = results[index].as_ref().unwrap_err();
        assert_eq!((error.index, error.field.as_str()), (index, field), "{body}");
        assert!(error.message.contains(message), "{body}: {}", error.message);
    }
    // the valid record of a mixed batch is still valid on its own
    let mixed = parse_batch(br#"[{"id": "a", "title": "ok"}, {"id": "b"}]"#).unwrap();
    assert!(mixed[0].is_ok() && mixed[1].is_err());
    // not JSON: the whole request, with line and column
    let err = parse_batch(b"[{\"id\": \"a\",\n \"title\": }]").unwrap_err();
    assert!(
        matches!(err, assetgraph::Error::Syntax { position: Some(p), .. } if p.line == 2),
        "{err:?}"
    );
    assert!(parse_batch(br#"{"id": "a"}"#).is_err(), "a lone record is not a batch");
    assert_eq!(
        parse_batch(br#"{"records": [{"id": "a", "title": "t"}]}"#)
            .unwrap()
            .len(),
        1
    );
}
