//! Search as people use it: whatever they type is text, typos and other
//! forms of a label still find its concept, curated tags outrank automatic
//! ones, and a hit carries what a result grid shows.

mod common;

use assetgraph::config::Config;
use common::*;
use proptest::prelude::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A service that takes the requests a property test sends at once.
fn unthrottled() -> Config {
    let mut config = Config::default();
    config.server.requests_per_second = 100_000;
    config.server.burst = 100_000;
    config
}

async fn ingest(client: &Client, base: &str, body: Value) {
    let response = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

async fn push_taxonomy(client: &Client, base: &str, project: &str, turtle: &str) {
    let response = client
        .put(format!("{base}/api/taxonomies/{project}"))
        .header("content-type", "text/turtle")
        .body(turtle.to_owned())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

async fn search(client: &Client, base: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = client
        .get(format!("{base}/api/search"))
        .query(params)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn ids(answer: &Value) -> Vec<&str> {
    answer["hits"]
        .as_array()
        .map(|hits| hits.iter().map(|h| h["id"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// Labels people type as they are written: elisions, a subject and its
/// subtopic, qualifiers.
const LABELS: &str = r#"
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <https://example.com/subjects/> .
t:sewers a skos:Concept ; skos:prefLabel "réseau d'égouts"@fr, "sewer network"@en .
t:planning-law a skos:Concept ; skos:prefLabel "droit de l'urbanisme"@fr .
t:war-weapons a skos:Concept ; skos:prefLabel "War: weapons"@en .
t:cups a skos:Concept ; skos:prefLabel "Cups (vessels)"@en .
"#;

const S: &str = "https://example.com/subjects/";

#[tokio::test]
async fn whatever_people_type_is_text() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    push_taxonomy(&client, base, "subjects", LABELS).await;
    ingest(
        &client,
        base,
        json!([
            {"id": "a:cup", "title": "It's a paper cup", "language": "en"},
            {"id": "a:sewer", "title": "Plan du réseau", "language": "fr", "concepts": [format!("{S}sewers")]},
            {"id": "a:law", "title": "Manuel", "language": "fr", "concepts": [format!("{S}planning-law")]},
            {"id": "a:sword", "title": "Sword", "language": "en", "concepts": [format!("{S}war-weapons")]},
            {"id": "a:mug", "title": "Mug", "language": "en", "concepts": [format!("{S}cups")]},
            {"id": "a:and", "title": "Cup AND saucer, NOT for sale", "language": "en"},
        ]),
    )
    .await;
    let expect = [
        ("it's", "a:cup"),
        ("paper: cup", "a:cup"),
        ("\"paper cup", "a:cup"),
        ("(cup", "a:cup"),
        ("[cup", "a:cup"),
        ("cup AND", "a:and"),
        ("NOT", "a:and"),
        ("title:cup", "a:cup"),
        ("paper cup)", "a:cup"),
        ("cup^2 ~ * ? \\ / { } !", "a:cup"),
        ("réseau d'égouts", "a:sewer"),
        ("droit de l'urbanisme", "a:law"),
        ("War: weapons", "a:sword"),
        ("Cups (vessels)", "a:mug"),
    ];
    for (q, wanted) in expect {
        for lang in ["", "en", "fr"] {
            let mut params = vec![("q", q)];
            if !lang.is_empty() {
                params.push(("lang", lang));
            }
            let (status, answer) = search(&client, base, &params).await;
            assert_eq!(status, StatusCode::OK, "q={q} lang={lang}: {answer}");
            assert!(
                ids(&answer).contains(&wanted),
                "q={q} lang={lang} should find {wanted}: {answer}"
            );
        }
    }
    // a balanced quote is a phrase: the words in that order
    let (_, answer) = search(&client, base, &[("q", "\"paper it's\"")]).await;
    assert_eq!(answer["total"], 0, "{answer}");
    let (_, answer) = search(&client, base, &[("q", "\"it's a paper\"")]).await;
    assert_eq!(ids(&answer), ["a:cup"], "{answer}");
    // the query syntax is there when asked for, and its errors say so
    let (status, answer) = search(&client, base, &[("q", "title:cup"), ("syntax", "advanced")]).await;
    assert_refused(status, &answer, (400, "invalid-request", Some("q")));
    let (status, answer) = search(&client, base, &[("q", "paper -saucer"), ("syntax", "advanced")]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["a:cup"], "{answer}");
    let (status, answer) = search(&client, base, &[("q", "cup"), ("syntax", "lucene")]).await;
    assert_refused(status, &answer, (400, "invalid-request", Some("syntax")));
}

/// Characters people and their keyboards send: any Unicode, weighted
/// towards the ones query syntaxes give a meaning to.
fn typed() -> impl Strategy<Value = String> {
    let syntax = prop::sample::select(vec![
        '"', '\'', ':', '(', ')', '[', ']', '{', '}', '+', '-', '!', '^', '~', '*', '?', '\\', '/', '&', '|', ' ', 'é',
        '\u{0}', '\u{200b}', '\u{fffd}',
    ]);
    let any = any::<char>();
    let words = prop::sample::select(vec!["AND ", "OR ", "NOT ", "TO ", "IN ", "cup ", "title:", "d'"]);
    let piece = prop_oneof![
        3 => any.prop_map(String::from),
        3 => syntax.prop_map(String::from),
        1 => words.prop_map(String::from),
    ];
    prop::collection::vec(piece, 1..120).prop_map(|pieces| pieces.concat().chars().take(500).collect())
}

#[test]
fn any_unicode_text_up_to_the_documented_length_is_answered() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (server, client) = runtime.block_on(async {
        let server = start_server(unthrottled()).await;
        let client = Client::new();
        push_taxonomy(&client, &server.base, "subjects", LABELS).await;
        ingest(
            &client,
            &server.base,
            json!([{"id": "a:cup", "title": "It's a paper cup", "language": "en", "description": "Réseau d'égouts"}]),
        )
        .await;
        (server, client)
    });
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(q in typed(), lang in prop::sample::select(vec!["", "en", "fr", "de"]))| {
        let (status, answer) = runtime.block_on(async {
            let mut params = vec![("q", q.as_str())];
            if !lang.is_empty() {
                params.push(("lang", lang));
            }
            search(&client, &server.base, &params).await
        });
        if q.trim().is_empty() {
            // the one refusal: nothing to search for (a 400 naming q)
            prop_assert_eq!(status, StatusCode::BAD_REQUEST);
        } else {
            prop_assert_eq!(status, StatusCode::OK, "q={:?}: {}", q, answer);
            prop_assert!(answer["hits"].is_array());
        }
    });
}

const SUBJECTS: &str = r#"
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <https://example.com/subjects/> .
t:food a skos:Concept ; skos:prefLabel "Food and drinks"@en, "Essen und Trinken"@de .
t:weapons a skos:Concept ; skos:prefLabel "Weapons"@en .
t:portraits a skos:Concept ; skos:prefLabel "Portraits"@en .
t:painter a skos:Concept ; skos:prefLabel "Painter"@en .
t:painted a skos:Concept ; skos:prefLabel "Painted"@en .
t:architecture a skos:Concept ; skos:prefLabel "Architecture"@en .
"#;

async fn subjects_server() -> (TestServer, Client) {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    push_taxonomy(&client, base, "subjects", SUBJECTS).await;
    let tagged = |id: &str, title: &str, concept: &str| json!({"id": id, "title": title, "language": "en", "concepts": [format!("{S}{concept}")]});
    let mut body = vec![
        tagged("a:feast", "Banquet still life", "food"),
        tagged("a:sword", "Ceremonial sword", "weapons"),
        tagged("a:lady", "Lady with a fan", "portraits"),
        tagged("a:artist", "The artist at work", "painter"),
        tagged("a:vase", "Vase", "painted"),
        tagged("a:hall", "Town hall", "architecture"),
    ];
    // Many assets with function words in their titles, none about the above.
    for i in 0..30 {
        body.push(
            json!({"id": format!("a:salt-{i}"), "title": format!("Salt and pepper of the sea {i}"), "language": "en"}),
        );
    }
    ingest(&client, base, json!(body)).await;
    (server, client)
}

#[tokio::test]
async fn typos_plurals_order_and_function_words_still_find_the_concept() {
    let (server, client) = subjects_server().await;
    let base = &server.base;
    for (q, lang, wanted, corrected) in [
        ("food and drniks", "en", "a:feast", true),
        ("FOOD & DRINK", "en", "a:feast", false),
        ("drinks and food", "", "a:feast", false),
        ("the food and drinks", "en", "a:feast", false),
        ("essen und trinken", "de", "a:feast", false),
        ("wepaons", "en", "a:sword", true),
        ("weapon", "en", "a:sword", false),
        ("protrait", "en", "a:lady", true),
        ("arhcitectrue", "en", "a:hall", true),
    ] {
        let mut params = vec![("q", q)];
        if !lang.is_empty() {
            params.push(("lang", lang));
        }
        let (status, answer) = search(&client, base, &params).await;
        assert_eq!(status, StatusCode::OK, "{q}: {answer}");
        assert_eq!(ids(&answer).first(), Some(&wanted), "{q}: {answer}");
        assert_eq!(answer["concepts"][0]["corrected"], corrected, "{q}: {answer}");
        assert_eq!(answer["did_you_mean"].is_string(), corrected, "{q}: {answer}");
        assert_eq!(answer["total"], 1, "{q}: function words find nothing more: {answer}");
    }
    let (_, answer) = search(&client, base, &[("q", "food and drniks"), ("lang", "en")]).await;
    assert_eq!(answer["did_you_mean"], "Food and drinks", "{answer}");
    let (_, answer) = search(&client, base, &[("q", "old wepaons"), ("lang", "en")]).await;
    assert_eq!(answer["did_you_mean"], "old Weapons", "{answer}");
    // an exact label wins over a corrected one; short words are not corrected
    let (_, answer) = search(&client, base, &[("q", "painter"), ("lang", "en")]).await;
    let named: Vec<&str> = (answer["concepts"].as_array().unwrap().iter())
        .map(|c| c["iri"].as_str().unwrap())
        .collect();
    assert_eq!(named, [format!("{S}painter")], "{answer}");
    assert_eq!(answer["concepts"][0]["corrected"], false);
    let (_, answer) = search(&client, base, &[("q", "wepon"), ("lang", "en")]).await;
    assert_eq!(
        answer["concepts"][0]["iri"],
        format!("{S}weapons"),
        "5 letters, one edit: {answer}"
    );
    let (_, answer) = search(&client, base, &[("q", "wapn"), ("lang", "en")]).await;
    assert_eq!(answer["concepts"], json!([]), "{answer}");
}

/// A chip or a facet the user picks is a concept filter; with no words
/// left, the search browses every asset tagged with the concept.
#[tokio::test]
async fn a_concept_can_be_browsed_without_words() {
    let (server, client) = subjects_server().await;
    let base = &server.base;
    let weapons = format!("{S}weapons");
    let (status, answer) = search(&client, base, &[("concept", weapons.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["a:sword"], "{answer}");
    assert_eq!(answer["hits"][0]["matched"], json!(["concept filter"]), "{answer}");
    let food = format!("{S}food");
    let (_, answer) = search(
        &client,
        base,
        &[("concept", weapons.as_str()), ("concept", food.as_str())],
    )
    .await;
    assert_eq!(answer["total"], 0, "both concepts at once: {answer}");
    // words and a concept: both apply
    let (_, answer) = search(&client, base, &[("q", "salt"), ("concept", food.as_str())]).await;
    assert_eq!(answer["total"], 0, "{answer}");
    // neither words nor a concept: still a clear 400
    let (status, answer) = search(&client, base, &[("q", "  ")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["field"], "q", "{answer}");
}

/// A picker for one kind of content (an image field) asks for it.
#[tokio::test]
async fn content_types_narrow_the_search_to_any_of_them() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    let record = |id: &str, kind: &str| json!({"id": id, "title": format!("Harbour at dawn {id}"), "language": "en", "content_type": kind});
    ingest(
        &client,
        base,
        json!([
            record("h:photo", "image"),
            record("h:clip", "video"),
            record("h:talk", "audio")
        ]),
    )
    .await;
    let (status, answer) = search(&client, base, &[("q", "harbour"), ("content_type", "video")]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["h:clip"], "{answer}");
    let (_, answer) = search(
        &client,
        base,
        &[("q", "harbour"), ("content_type", "image"), ("content_type", "video")],
    )
    .await;
    let mut found = ids(&answer);
    found.sort_unstable();
    assert_eq!(found, ["h:clip", "h:photo"], "{answer}");
    let (status, answer) = search(&client, base, &[("q", "harbour"), ("content_type", "image' OR 1=1")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["field"], "content_type", "{answer}");
    let many: Vec<(&str, &str)> = std::iter::repeat_n(("content_type", "image"), 21).collect();
    let (status, answer) = search(&client, base, &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["field"], "content_type", "{answer}");
}

#[tokio::test]
async fn function_words_never_drive_the_any_word_fallback() {
    let (server, client) = subjects_server().await;
    // no asset has both words: any word will do, but not "and" or "the"
    let (status, answer) = search(&client, &server.base, &[("q", "lamps and the shades")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["total"], 0, "{answer}");
    let (_, answer) = search(&client, &server.base, &[("q", "salt and the lamps")]).await;
    assert_eq!(answer["words"], "any");
    assert_eq!(answer["total"], 30, "{answer}");
    // a query of function words only still searches them
    let (_, answer) = search(&client, &server.base, &[("q", "and the")]).await;
    assert_eq!(answer["total"], 30, "{answer}");
}

#[tokio::test]
async fn suggest_shows_each_concept_once_by_its_label_and_never_a_hidden_one() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    let taxonomy = r#"
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix t: <https://example.com/t/> .
        t:recyclable a skos:Concept ; skos:prefLabel "Recyclable"@en, "Recyclable"@fr, "Recycelbar"@de ;
          skos:hiddenLabel "recylable"@en, "recycable"@en .
        t:recycling a skos:Concept ; skos:prefLabel "Recycling"@en .
    "#;
    push_taxonomy(&client, base, "t", taxonomy).await;
    ingest(
        &client,
        base,
        json!([{"id": "a:bin", "title": "Recycling bin", "language": "en"}]),
    )
    .await;
    // the inputs are plain letters: no escaping needed in the URL
    let suggest = |q: &'static str| {
        let (client, url) = (client.clone(), format!("{base}/api/suggest?q={q}&lang=en"));
        async move { fetch_json(&client, &url).await }
    };
    let shown = |answer: &Value| -> Vec<String> {
        (answer["concepts"].as_array().unwrap().iter())
            .map(|c| format!("{} {}", c["label"].as_str().unwrap(), c["matched"].as_str().unwrap()))
            .collect()
    };
    // three languages' labels and a hidden one: one entry, the English prefLabel
    let answer = suggest("recy").await;
    assert_eq!(
        shown(&answer),
        ["Recycling prefix", "Recyclable prefix"],
        "shorter first: {answer}"
    );
    // a hiddenLabel matches, but the prefLabel is what is shown
    let answer = suggest("recyla").await;
    assert_eq!(shown(&answer), ["Recyclable prefix"], "{answer}");
    assert!(answer["concepts"][0].get("matched_label").is_none(), "{answer}");
    assert!(!answer.to_string().contains("recylable"), "{answer}");
    // asset titles only by the prefix of a word, never by a typo
    let answer = suggest("recycl").await;
    assert_eq!(answer["assets"][0]["id"], "a:bin", "{answer}");
    let answer = suggest("recyvling").await;
    assert_eq!(answer["assets"], json!([]), "{answer}");
    assert_eq!(shown(&answer)[0], "Recycling fuzzy", "{answer}");
}

#[tokio::test]
async fn hits_name_their_concepts_source_content_and_licence_type() {
    let (server, client) = subjects_server().await;
    let (_, answer) = search(&client, &server.base, &[("q", "essen und trinken"), ("lang", "de")]).await;
    let hit = &answer["hits"][0];
    assert_eq!(hit["id"], "a:feast", "{answer}");
    assert_eq!(
        hit["concepts"],
        json!([{"iri": format!("{S}food"), "label": "Essen und Trinken"}]),
        "labelled in the asked language: {answer}"
    );
    assert_eq!(hit["source"], "assetgraph", "{answer}");
}

#[tokio::test]
async fn a_word_the_assets_use_is_never_corrected_to_a_label() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    let taxonomy = r#"
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.com/t/battle> a skos:Concept ; skos:prefLabel "Battle"@en .
    "#;
    push_taxonomy(&client, base, "t", taxonomy).await;
    ingest(
        &client,
        base,
        json!([
            {"id": "a:bottle", "title": "Green bottle", "language": "en"},
            {"id": "a:battle", "title": "Battle of the bulge", "language": "en"}
        ]),
    )
    .await;
    // "bottle" is one letter from the label, but the assets say bottle
    let (_, answer) = search(&client, base, &[("q", "bottle"), ("lang", "en")]).await;
    assert_eq!(ids(&answer), ["a:bottle"], "{answer}");
    assert_eq!(answer["concepts"], json!([]), "{answer}");
    assert!(answer.get("did_you_mean").is_none(), "{answer}");
    // a word nobody uses is corrected
    let (_, answer) = search(&client, base, &[("q", "batlte"), ("lang", "en")]).await;
    assert_eq!(answer["did_you_mean"], "Battle", "{answer}");
    assert_eq!(ids(&answer), ["a:battle"], "{answer}");
}

const COLLECTION: &str = r#"
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <https://example.com/museum/> .
t:materials a skos:Concept ; skos:prefLabel "Materials"@en ; skos:narrower t:paper, t:ink, t:glass .
t:paper a skos:Concept ; skos:prefLabel "Paper"@en .
t:ink a skos:Concept ; skos:prefLabel "Ink"@en .
t:glass a skos:Concept ; skos:prefLabel "Glass"@en .
t:vessels a skos:Concept ; skos:prefLabel "Vessels"@en ; skos:narrower t:cups .
t:cups a skos:Concept ; skos:prefLabel "Cups"@en .
"#;

const M: &str = "https://example.com/museum/";

/// A collection as a museum describes it: a few curated subjects, and
/// descriptions that name materials and vessels in passing.
async fn museum() -> (TestServer, Client) {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    push_taxonomy(&client, base, "museum", COLLECTION).await;
    let mut body = vec![
        json!({"id": "m:sample", "title": "Sample book", "language": "en", "concepts": [format!("{M}paper")]}),
        json!({"id": "m:kit", "title": "Conservation kit", "language": "en", "concepts": [format!("{M}materials")]}),
    ];
    for i in 0..10 {
        let id = format!("m:cup-{i}");
        body.push(
            json!({"id": id, "title": format!("Tea bowl {i}"), "language": "en", "concepts": [format!("{M}cups")]}),
        );
    }
    for i in 0..30 {
        let description = match i % 3 {
            0 => "Watercolour on paper, framed.",
            1 => "Pen and ink over graphite.",
            _ if i < 6 => "Shown in a glass case with other vessels.",
            _ => "Shown in a glass case.",
        };
        body.push(
            json!({"id": format!("m:work-{i}"), "title": format!("Study {i}"), "language": "en",
                         "description": description}),
        );
    }
    ingest(&client, base, json!(body)).await;
    (server, client)
}

#[tokio::test]
async fn curated_tags_outrank_automatic_ones_from_descriptions() {
    let (server, client) = museum().await;
    // the ten curated with a narrower concept rank above the two whose
    // descriptions mention the word
    let (_, answer) = search(
        &client,
        &server.base,
        &[("q", "vessels"), ("lang", "en"), ("limit", "10")],
    )
    .await;
    let first: Vec<&str> = ids(&answer);
    assert!(first.iter().all(|id| id.starts_with("m:cup-")), "{answer}");
    assert_eq!(answer["total"], 12, "{answer}");
}

#[tokio::test]
async fn a_broad_query_counts_what_it_is_about_not_every_stray_automatic_tag() {
    let (server, client) = museum().await;
    let (_, answer) = search(&client, &server.base, &[("q", "materials"), ("lang", "en")]).await;
    // the two curated assets; not the thirty whose descriptions name a material
    assert_eq!(answer["total"], 2, "{answer}");
    assert_eq!(ids(&answer), ["m:kit", "m:sample"], "{answer}");
    // the word itself still finds the descriptions that say it
    let (_, answer) = search(&client, &server.base, &[("q", "paper"), ("lang", "en")]).await;
    assert_eq!(ids(&answer)[0], "m:sample", "curated first: {answer}");
    assert_eq!(answer["total"], 11, "{answer}");
}

#[tokio::test]
async fn hits_carry_what_a_result_grid_shows() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let base = &server.base;
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
        .date()
        .to_string();
    ingest(
        &client,
        base,
        json!([{
            "id": "a:cup", "title": "Paper coffee cup", "language": "en",
            "description": "A recyclable cup on a wooden table.",
            "variants": {"de": {"title": "Kaffeebecher aus Papier", "description": "Ein recycelbarer Becher auf einem Holztisch."}},
            "content_type": "image", "created": "2026-03-01T09:30:00Z",
            "preview": {"url": "https://cdn.example.com/cup-600.jpg", "width": 600, "height": 400},
            "rights": {"editorial_only": true, "downloads": 1, "max_downloads": 3,
                       "grants": [{"territory": ["DE"], "until": soon}]}
        }]),
    )
    .await;
    // in the asked language, with the language given
    let (_, answer) = search(&client, base, &[("q", "papier"), ("lang", "de")]).await;
    let hit = &answer["hits"][0];
    assert_eq!(hit["title"], "Kaffeebecher aus Papier", "{answer}");
    assert_eq!(hit["description"], "Ein recycelbarer Becher auf einem Holztisch.");
    assert_eq!(hit["language"], "de");
    assert_eq!(
        hit["preview"],
        json!({"url": "https://cdn.example.com/cup-600.jpg", "width": 600, "height": 400})
    );
    assert_eq!(hit["content_type"], "image");
    assert_eq!(hit["source"], "assetgraph");
    assert_eq!(hit["created"], "2026-03-01T09:30:00Z");
    // the highlight is one field, with offsets into it
    assert_eq!(hit["highlight"]["field"], "title", "{answer}");
    assert_eq!(hit["highlight"]["fragment"], "Kaffeebecher aus Papier");
    assert_eq!(hit["highlight"]["ranges"], json!([[17, 23]]));
    // a language it does not have: its own
    let (_, answer) = search(&client, base, &[("q", "cup"), ("lang", "ja")]).await;
    assert_eq!(answer["hits"][0]["title"], "Paper coffee cup", "{answer}");
    assert_eq!(answer["hits"][0]["language"], "en");
    let (_, answer) = search(&client, base, &[("q", "wooden"), ("lang", "en")]).await;
    assert_eq!(answer["hits"][0]["highlight"]["field"], "description", "{answer}");
    assert_eq!(answer["hits"][0]["highlight"]["ranges"], json!([[22, 28]]), "{answer}");
    // badges a card shows as they are
    let (_, answer) = search(
        &client,
        base,
        &[("q", "cup"), ("territory", "FR"), ("include_blocked", "true")],
    )
    .await;
    let badges = &answer["hits"][0]["badges"];
    let kinds: Vec<&str> = badges
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["blocked", "editorial-only", "expires-soon", "downloads-left"],
        "{answer}"
    );
    assert_eq!(badges[0]["rule"], "grant-does-not-admit", "{answer}");
    assert_eq!(badges[2]["date"].as_str().unwrap()[..10], soon, "{answer}");
    assert_eq!(badges[3]["count"], 2);
}

#[tokio::test]
async fn a_preview_that_is_no_web_address_is_refused_with_its_field() {
    let server = start_server(unthrottled()).await;
    let client = Client::new();
    let response = client
        .post(format!("{}/api/ingest/assetgraph", server.base))
        .json(&json!([{"id": "a:x", "title": "X", "preview": {"url": "javascript:alert(1)"}}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("preview.url"), "{body}");
    assert_eq!(server.index.len(), 0);
}
