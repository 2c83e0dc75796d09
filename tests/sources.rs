//! The sources' example payloads ingest into the real store, and SPARQL
//! reads back what they said; re-ingests change nothing, newer versions
//! replace older ones completely, older versions never replace newer ones.

mod common;

use assetgraph::assets::{self, Ingest, IngestReport, OnError};
use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
use assetgraph::rdf::time::parse as parse_time;
use assetgraph::rights::{Context, Dimension, Territories};
use assetgraph::store::Store;
use common::*;

fn ingest_bytes(store: &Store, source: Source, body: &[u8], record_type: Option<&str>) -> IngestReport {
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type,
    };
    let records = ingest::map_batch(source, body, &mapping).unwrap();
    assets::upsert(
        store,
        records,
        &Ingest {
            source,
            actor: "test",
            tenant: "default",
            on_error: OnError::Reject,
        },
    )
    .unwrap()
}

fn ingest_fixture(store: &Store, source: Source, name: &str) -> IngestReport {
    let body = std::fs::read(fixture(&format!("sources/{name}"))).unwrap();
    ingest_bytes(store, source, &body, None)
}

fn cleared(store: &Store, id: &str, at: &str, values: &[(Dimension, &str)]) -> bool {
    let t = Territories::global();
    let ctx = values
        .iter()
        .fold(Context::at(parse_time(at).unwrap()), |c, (d, v)| c.with_value(*d, v, t));
    assetgraph::records::clearance(store, id, &ctx, t).unwrap().cleared
}

const PREFIXES: &str = "PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX t: <https://w3id.org/assetgraph/territory/>
";

#[test]
fn smintio_sync_result_reads_back_with_its_licence() {
    let (_dir, store) = open_store();
    let report = ingest_fixture(&store, Source::SmintIo, "smintio-sync.json");
    assert_eq!((report.records, report.created), (1, 1));
    let asset = "<urn:assetgraph:asset:smintio:79468>";
    // the preview a result grid shows: the larger of the two sizes
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ {asset} ag:previewUrl <https://previews.example.smint.io/61019726/preview.jpg> ;
               ag:previewWidth 900 ; ag:previewHeight 600 }}"
        )
    ));
    let rows = select(
        &store,
        &format!(
            "{PREFIXES} SELECT ?title ?licensee ?provider ?type ?version WHERE {{
               {asset} dcterms:title ?title ; ag:licensee ?licensee ; ag:provider ?provider ;
                       ag:licenseType ?type ; ag:sourceVersion ?version . FILTER(lang(?title) = 'de') }}"
        ),
    );
    assert_eq!(
        rows,
        vec![vec![
            "kleine Maus versteckt ihre Schnauze".to_owned(),
            "ACME GmbH".into(),
            "adobestock".into(),
            "royalty_free".into(),
            "4".into()
        ]]
    );
    assert_eq!(
        count(
            &store,
            &format!("{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {asset} ag:keyword ?k }}")
        ),
        3
    );
    // The licence term is a permission; the restricted geography a prohibition of its own.
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ ?p odrl:target {asset} ; odrl:prohibition ?r . ?r odrl:constraint ?c .
               ?c odrl:leftOperand odrl:spatial ; odrl:rightOperand t:US }}"
        )
    ));
    assert!(ask(
        &store,
        &format!("{PREFIXES} ASK {{ ?g ag:usageLimit 'quantity_up_to_5000_total_circulation' ; ag:sequenceNumber 1 }}")
    ));
    assert!(ask(
        &store,
        &format!("{PREFIXES} ASK {{ {asset} ag:binary ?b . ?b ag:fileName 'mouse_61019726.jpg' }}")
    ));
    // The signed download link is not kept.
    assert!(!ask(&store, "ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'token=')) }"));

    let id = "smintio:79468";
    use Dimension::*;
    assert!(cleared(
        &store,
        id,
        "2026-06-01",
        &[
            (Territory, "DE"),
            (Channel, "web"),
            (Usage, "digital_media_social_media")
        ]
    ));
    assert!(
        !cleared(&store, id, "2026-06-01", &[(Territory, "US")]),
        "restricted geography"
    );
    assert!(
        !cleared(&store, id, "2026-06-01", &[(Channel, "channel_tv")]),
        "restricted distribution"
    );
    assert!(
        !cleared(&store, id, "2026-06-01", &[(Industry, "tobacco")]),
        "restricted industry"
    );
    assert!(
        !cleared(&store, id, "2027-01-01", &[(Territory, "DE")]),
        "after valid_until"
    );
    let view = assetgraph::records::get(&store, id, Territories::global(), parse_time("2026-06-01").unwrap()).unwrap();
    assert_eq!(view.clearance.next_change.as_deref(), Some("2026-12-31T23:59:59Z"));
    assert_eq!(view.clearance.grants, 1);
}

#[test]
fn reingest_is_a_no_op_and_versions_replace_completely() {
    let (_dir, store) = open_store();
    ingest_fixture(&store, Source::SmintIo, "smintio-sync.json");
    let generation = store.generation();
    let audit = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:graph:audit> { ?c a <https://w3id.org/assetgraph/ns#Change> } }";
    let audits = count(&store, audit);
    let triples = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:asset:smintio:79468> { ?s ?p ?o } }";
    let before = count(&store, triples);

    let again = ingest_fixture(&store, Source::SmintIo, "smintio-sync.json");
    assert_eq!((again.unchanged, again.created, again.updated), (1, 0, 0));
    assert_eq!(store.generation(), generation);
    assert_eq!(count(&store, audit), audits, "no audit entry for a no-op");
    assert_eq!(count(&store, triples), before);

    // Version 5: other keywords, no binaries, no restriction lists.
    let text = std::fs::read_to_string(fixture("sources/smintio-sync.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let lpt = &mut value["license_purchase_transactions"][0];
    lpt["version"] = 5.into();
    lpt["content_element"]["keywords"] = serde_json::json!([{"culture": "en", "metadata_element": {"name": "rodent"}}]);
    lpt.as_object_mut().unwrap().remove("binaries");
    lpt["license_terms"][0]["restricted_geographies"] = serde_json::json!([]);
    let newer = ingest_bytes(&store, Source::SmintIo, value.to_string().as_bytes(), None);
    assert_eq!(newer.updated, 1);
    let keywords: Vec<String> = select(
        &store,
        "SELECT ?k WHERE { <urn:assetgraph:asset:smintio:79468> <https://w3id.org/assetgraph/ns#keyword> ?k }",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(keywords, vec!["rodent"]);
    assert!(
        !ask(&store, &format!("{PREFIXES} ASK {{ ?s ag:binary ?b }}")),
        "old binary left over"
    );
    assert!(
        !ask(&store, &format!("{PREFIXES} ASK {{ ?c odrl:rightOperand t:US }}")),
        "old restriction left over"
    );

    // Version 3 arriving late changes nothing.
    lpt_version(&mut value, 3);
    let stale = ingest_bytes(&store, Source::SmintIo, value.to_string().as_bytes(), None);
    assert_eq!(stale.stale, 1);
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://w3id.org/assetgraph/ns#sourceVersion> 5 }"
        ),
        1
    );
}

fn lpt_version(value: &mut serde_json::Value, version: i64) {
    value["license_purchase_transactions"][0]["version"] = version.into();
    value["license_purchase_transactions"][0]["content_element"]["keywords"] =
        serde_json::json!([{"culture": "en", "metadata_element": {"name": "old"}}]);
}

#[test]
fn rightsline_rights_attach_to_their_title() {
    let (_dir, store) = open_store();
    let report = ingest_fixture(&store, Source::Rightsline, "rightsline-entities.json");
    assert_eq!(report.created, 3);
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ <urn:assetgraph:asset:rightsline:catalog-item:26> dcterms:title 'Northern Lights' ;
                 <https://w3id.org/assetgraph/rightsline/char/release_year> '1925' ; ag:status 'Approved' .
               <urn:assetgraph:asset:rightsline:right:2200> ag:template 'Rights Out' ;
                 dcterms:isPartOf <urn:assetgraph:asset:rightsline:catalog-item:26> }}"
        )
    ));
    let title = "rightsline:catalog-item:26";
    use Dimension::*;
    // Rights In: Europe, all media, English, 2024-01-01 through 2027-12-31 (inclusive).
    assert!(cleared(
        &store,
        title,
        "2026-03-01",
        &[(Territory, "DE"), (Channel, "web"), (Language, "en")]
    ));
    assert!(cleared(&store, title, "2027-12-31T12:00:00Z", &[(Territory, "FR")]));
    assert!(
        !cleared(&store, title, "2028-01-01", &[(Territory, "FR")]),
        "term end is inclusive, then over"
    );
    assert!(!cleared(&store, title, "2026-03-01", &[(Territory, "US")]));
    // The exclusive Rights Out (DE, Internet, English, June–December 2026) blocks that window only.
    let de_web_en = [(Territory, "DE"), (Channel, "web"), (Language, "English")];
    assert!(!cleared(&store, title, "2026-07-01", &de_web_en));
    assert!(cleared(&store, title, "2027-01-01", &de_web_en));
    assert!(cleared(
        &store,
        title,
        "2026-07-01",
        &[(Territory, "AT"), (Channel, "web"), (Language, "en")]
    ));
    assert!(cleared(
        &store,
        title,
        "2026-07-01",
        &[(Territory, "DE"), (Channel, "print"), (Language, "en")]
    ));

    // The same rights as a non-exclusive Rights Out restrict nothing.
    let text = std::fs::read_to_string(fixture("sources/rightsline-entities.json")).unwrap();
    let mut entities: serde_json::Value = serde_json::from_str(&text).unwrap();
    entities[2]["characteristics"]["exclusivity"] = "Non-Exclusive".into();
    entities[2]["lastUpdatedDate"] = "2020-07-01T00:00:00Z".into();
    ingest_bytes(&store, Source::Rightsline, entities.to_string().as_bytes(), None);
    assert!(cleared(&store, title, "2026-07-01", &de_web_en));
}

#[test]
fn rightsline_sns_messages_are_pointers() {
    let (_dir, store) = open_store();
    ingest_fixture(&store, Source::Rightsline, "rightsline-entities.json");
    // A right 7 to be deleted by the second message.
    let right = r#"{"id": 7, "charTypeId": 3, "title": "Old", "template": {"templateName": "Rights In"},
        "parentRelationship": [{"parentCharTypeId": 1, "parentRecordId": 26}], "characteristics": {}}"#;
    ingest_bytes(&store, Source::Rightsline, right.as_bytes(), None);
    let report = ingest_fixture(&store, Source::Rightsline, "rightsline-sns.json");
    assert_eq!((report.created, report.deleted), (1, 1));
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ ?n ag:action 'updated' ; ag:needsRefetch true ;
               ag:about <urn:assetgraph:asset:rightsline:right:1> ; ag:template 'Holdback/Reserved Rights' ;
               dcterms:isPartOf <urn:assetgraph:asset:rightsline:catalog-item:26> }}"
        )
    ));
    assert!(!ask(
        &store,
        "ASK { GRAPH <urn:assetgraph:asset:rightsline:right:7> { ?s ?p ?o } }"
    ));
}

#[test]
fn rightsline_entities_need_a_char_type() {
    let (_dir, store) = open_store();
    let entity = br#"[{"id": 5, "title": "A title", "template": {"templateName": "Movie"}}]"#;
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let records = ingest::map_batch(Source::Rightsline, entity, &mapping).unwrap();
    let error = records[0].as_ref().unwrap_err();
    assert_eq!(error.field, "charTypeId");
    let report = ingest_bytes(&store, Source::Rightsline, entity, Some("catalog-item"));
    assert_eq!(report.outcomes[0].id.as_deref(), Some("rightsline:catalog-item:5"));
}

#[test]
fn dropbox_files_folders_and_deletions() {
    let (_dir, store) = open_store();
    let report = ingest_fixture(&store, Source::Dropbox, "dropbox-list-folder.json");
    assert_eq!((report.created, report.absent), (2, 1));
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ <urn:assetgraph:asset:dropbox:id:a4ayc_80_OEAAAAAAAAAXw> ag:folderPath ?path ;
                 ag:revision 'a1c10ce0dd78' ; dcterms:title 'Prime_Numbers.txt'@en ;
                 ag:previewUrl <https://www.dropbox.com/s/abc123/Prime_Numbers.txt?dl=0> .
               ?folder a ag:Collection ; ag:folderPath ?path }}"
        )
    ));
    let deletion = br#"{"entries": [{".tag": "deleted", "name": "math", "path_lower": "/homework/math"}], "cursor": "x", "has_more": false}"#;
    let report = ingest_bytes(&store, Source::Dropbox, deletion, None);
    assert_eq!(report.deleted, 1);
    assert!(
        !ask(&store, &format!("{PREFIXES} ASK {{ ?s ag:source 'dropbox' }}")),
        "the folder and the file under it"
    );
}

#[test]
fn scaleflex_file_with_localised_meta_and_tags() {
    let (_dir, store) = open_store();
    ingest_fixture(&store, Source::Scaleflex, "scaleflex-file.json");
    let asset = "<urn:assetgraph:asset:scaleflex:a02e2968-9378-59bb-85a1-fa56d8d50000>";
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ {asset} dcterms:title 'Harbour at dawn'@en ; ag:keyword 'harbour'@en, 'Hafen'@de ;
               ag:label 'approved' ; ag:effectiveVisibility 'VISIBILITY_ORGANISATION' ; ag:folderPath '/test' ;
               ag:sha1 'f7434c71e71f000094ec512f1b6976fb247d0fae' ; ag:contentType 'image' ;
               ag:previewUrl <https://container.filerobot.com/test/harbour-dawn.webp?vh=f7434c> ;
               ag:previewWidth 200 ; ag:previewHeight 300 ;
               <https://w3id.org/assetgraph/scaleflex/meta/campaign> 'spring-2026' }}"
        )
    ));
}

#[test]
fn photoshelter_gallery_images_split_their_keywords() {
    let (_dir, store) = open_store();
    ingest_fixture(&store, Source::PhotoShelter, "photoshelter-gallery-images.json");
    let asset = "<urn:assetgraph:asset:photoshelter:I0000abcDEF>";
    let keywords = count(
        &store,
        &format!("{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {asset} ag:keyword ?k }}"),
    );
    assert_eq!(keywords, 4);
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ {asset} ag:keyword 'sea'@en ; ag:credit 'Jane Doe / Example Agency' ;
               dcterms:rights '© 2024 Example Agency' ; ag:visible true ;
               ag:collection <urn:assetgraph:asset:photoshelter:gallery:G0000xyz> ;
               ag:previewUrl <https://example.photoshelter.com/img-get/I0000abcDEF/s/900> ;
               ag:sourceVersion '2024-05-02T14:03:11Z'^^<http://www.w3.org/2001/XMLSchema#dateTime> }}"
        )
    ));
}

#[test]
fn iptc_reference_images_ingest_with_their_rights_fields() {
    let Some(dir) = shared_data("assets/iptc-embedded-images") else {
        return;
    };
    let (_dir, store) = open_store();
    let reference = dir.join("iptc-reference-2024.1/IPTC-PhotometadataRef-Std2024.1.jpg");
    let bytes = std::fs::read(&reference).unwrap();
    let record = ingest::files::map_file(
        0,
        "IPTC-PhotometadataRef-Std2024.1.jpg",
        None,
        &bytes,
        Territories::global(),
    );
    let report = assets::upsert(
        &store,
        vec![record],
        &Ingest {
            source: Source::Files,
            actor: "test",
            tenant: "default",
            on_error: OnError::Reject,
        },
    )
    .unwrap();
    assert_eq!(report.created, 1);
    let asset = "<urn:assetgraph:asset:files:IPTC-PhotometadataRef-Std2024.1.jpg>";
    assert!(ask(
        &store,
        &format!(
            "{PREFIXES} ASK {{ {asset} dcterms:title 'The Title (ref2023.2)'@en ;
               dcterms:creator 'Creator1 (ref2023.2)' ;
               dcterms:rights 'Copyright (Notice) 2023.2 IPTC - www.iptc.org  (ref2023.2)'@en ;
               <http://ns.adobe.com/xap/1.0/rights/UsageTerms> ?terms ;
               ag:webStatement ?statement ; ag:licensor 'Licensor Name 1 (ref2023.2)' ;
               ag:digitalSourceType ?source ; ag:keyword 'Keyword1ref2023.2'@en }}"
        )
    ));

    // Every image and sidecar of the set ingests; a damaged copy is refused on its own.
    let mut names = Vec::new();
    for sub in ["exifr-fixtures", "iptc-reference-2024.1"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if ingest::files::is_media_file(&name) {
                names.push(path);
            }
        }
    }
    assert!(names.len() >= 10, "{names:?}");
    for path in &names {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let mapped = ingest::files::map_file(0, &name, None, &bytes, Territories::global());
        assert!(mapped.is_ok(), "{name}: {:?}", mapped.err());
    }
    let start = find(&bytes, b"<rdf:RDF").unwrap();
    let cut = &bytes[..start + 2000];
    let broken = ingest::files::map_file(3, "cut.jpg", None, cut, Territories::global()).unwrap_err();
    assert_eq!((broken.index, broken.field.as_str()), (3, "xmp"));
    assert!(
        broken
            .message
            .starts_with("cut.jpg: the embedded XMP packet is cut off"),
        "{}",
        broken.message
    );
    let mut mangled = bytes.clone();
    let at = find(&mangled, b"</dc:title>").unwrap();
    mangled[at + 5..at + 10].copy_from_slice(b"TITEL");
    let broken = ingest::files::map_file(4, "mangled.jpg", None, &mangled, Territories::global()).unwrap_err();
    assert_eq!((broken.index, broken.field.as_str()), (4, "xmp"));
    assert!(broken.message.contains("not well-formed"), "{}", broken.message);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn every_term_the_mappings_write_is_declared_in_the_ontology() {
    let (_dir, store) = open_store();
    for (source, name) in [
        (Source::SmintIo, "smintio-sync.json"),
        (Source::Rightsline, "rightsline-entities.json"),
        (Source::Rightsline, "rightsline-sns.json"),
        (Source::Dropbox, "dropbox-list-folder.json"),
        (Source::Scaleflex, "scaleflex-file.json"),
        (Source::PhotoShelter, "photoshelter-gallery-images.json"),
    ] {
        ingest_fixture(&store, source, name);
    }
    let ontology = assetgraph::vocab::shipped::ASSETGRAPH_TTL;
    let terms = select(
        &store,
        "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } FILTER(STRSTARTS(STR(?t), 'https://w3id.org/assetgraph/ns#')) }",
    );
    assert!(terms.len() > 40, "{}", terms.len());
    for row in terms {
        let local = row[0].trim_start_matches("https://w3id.org/assetgraph/ns#");
        assert!(
            ontology.contains(&format!("\nag:{local} a ")),
            "ag:{local} is not declared"
        );
    }
}

#[test]
fn demo_assets_clear_differently_by_territory_channel_and_date() {
    let (_dir, store) = open_store();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    for (source, name) in [
        (Source::AssetGraph, "assets.json"),
        (Source::SmintIo, "smintio.json"),
        (Source::Rightsline, "rightsline.json"),
    ] {
        let report = ingest_bytes(&store, source, &std::fs::read(root.join(name)).unwrap(), None);
        assert_eq!(report.created, report.records, "{name}");
    }
    use Dimension::*;
    // Two grants (DE/print, FR/social) never combine into DE/social.
    let two_grants = "brand:recyclable-002";
    assert!(cleared(
        &store,
        two_grants,
        "2026-06-01",
        &[(Territory, "DE"), (Channel, "print")]
    ));
    assert!(!cleared(
        &store,
        two_grants,
        "2026-06-01",
        &[(Territory, "DE"), (Channel, "social")]
    ));
    // Web only until the end of 2026.
    let web_until_2027 = "brand:carbon-neutral-003";
    assert!(cleared(
        &store,
        web_until_2027,
        "2026-06-01",
        &[(Territory, "JP"), (Channel, "web")]
    ));
    assert!(!cleared(
        &store,
        web_until_2027,
        "2027-02-01",
        &[(Territory, "JP"), (Channel, "web")]
    ));
    // Cancelled, downloads used up, editorial only.
    assert!(!cleared(&store, "smintio:88104", "2026-06-01", &[]));
    assert!(!cleared(&store, "smintio:88105", "2026-06-01", &[]));
    assert!(!cleared(
        &store,
        "smintio:88107",
        "2026-06-01",
        &[(Usage, "advertising")]
    ));
    assert!(cleared(&store, "smintio:88107", "2026-06-01", &[(Usage, "editorial")]));
    // A Rightsline title with an exclusive Rights Out for German internet use in the second half of 2026.
    let title = "rightsline:catalog-item:501";
    assert!(cleared(
        &store,
        title,
        "2026-03-01",
        &[(Territory, "DE"), (Channel, "web")]
    ));
    assert!(!cleared(
        &store,
        title,
        "2026-07-01",
        &[(Territory, "DE"), (Channel, "web")]
    ));
    assert!(cleared(
        &store,
        title,
        "2026-07-01",
        &[(Territory, "FR"), (Channel, "web")]
    ));
}

#[test]
fn the_audit_timeline_shows_purchases_and_workflow_statuses_as_approvals() {
    use assetgraph::audit::{timeline, Window};
    let (_dir, store) = open_store();
    let trail = |asset: Option<&str>| {
        let window = Window {
            asset: asset.map(str::to_owned),
            limit: 100,
            ..Default::default()
        };
        timeline(&store, &window).unwrap()
    };
    let approvals = |entries: Vec<assetgraph::audit::Entry>| -> Vec<(String, String, String, String)> {
        entries
            .into_iter()
            .filter(|e| e.kind == "approval")
            .map(|e| (e.at, e.what, e.who.unwrap_or_default(), e.detail))
            .collect()
    };
    let entry = |at: &str, what: &str, who: &str, detail: &str| (at.into(), what.into(), who.into(), detail.into());

    // Smint.io: who bought the licence, when, for whom.
    let text = std::fs::read_to_string(fixture("sources/smintio-sync.json")).unwrap();
    let mut sync: serde_json::Value = serde_json::from_str(&text).unwrap();
    sync["license_purchase_transactions"][0]["purchased_by_user_name"] = "Anna Berg".into();
    ingest_bytes(&store, Source::SmintIo, sync.to_string().as_bytes(), None);
    assert_eq!(
        approvals(trail(Some("smintio:79468"))),
        [entry(
            "2024-03-01T10:00:00Z",
            "licence purchased",
            "Anna Berg",
            "licensee ACME GmbH"
        )]
    );

    // Rightsline: the status of the title and of a right that targets it,
    // with who set it and when; a record without a status time has none.
    let text = std::fs::read_to_string(fixture("sources/rightsline-entities.json")).unwrap();
    let mut entities: serde_json::Value = serde_json::from_str(&text).unwrap();
    entities[0]["statusUpdatedById"] = 663999.into();
    entities[0]["statusUpdatedDate"] = "2020-06-25T19:00:00.000Z".into();
    entities[1]["statusUpdatedById"] = 3.into();
    entities[1]["statusUpdatedDate"] = "2020-06-25T18:50:00Z".into();
    ingest_bytes(&store, Source::Rightsline, entities.to_string().as_bytes(), None);
    assert_eq!(
        approvals(trail(Some("rightsline:catalog-item:26"))),
        [
            entry(
                "2020-06-25T18:50:00Z",
                "status Active",
                "rightsline user 3",
                "Rights In"
            ),
            entry(
                "2020-06-25T19:00:00Z",
                "status Approved",
                "rightsline user 663999",
                "Available Catalog Workflow, Movie"
            ),
        ]
    );

    // The whole trail has all three, and the exports name them.
    let all = trail(None);
    let json_ld = assetgraph::audit::to_json_ld(&all);
    let typed: Vec<_> = json_ld["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|node| node["@type"] == "ag:Approval")
        .map(|node| node["what"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(typed.len(), 3, "{typed:?}");
    assert!(assetgraph::audit::to_csv(&all).contains(",approval,status Approved,rightsline user 663999,"));
    assert_eq!(approvals(all).len(), 3);
}
