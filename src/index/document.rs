//! The asset document: its schema, and how a record graph becomes one
//! tantivy document.

use super::analysis::{fold, language_field_name, FOLDED, STEMMED_LANGUAGES};
use super::concepts::ConceptView;
use super::hit::HitPreview;
use crate::rdf::time::parse as parse_time;
use crate::vocab::{ag, dcterms};
use oxigraph::model::{NamedNode, Term, Triple};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING};
use tantivy::TantivyDocument;

/// Every asset record lives in a graph under this prefix.
pub(super) const ASSET_GRAPH_PREFIX: &str = "urn:assetgraph:asset:";

fn text_options(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

pub(super) fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("graph", STRING);
    // The tenant that owns the record's graph: searches of a key limited to
    // some tenants filter on it in the index, never after.
    builder.add_text_field("tenant", STRING | FAST);
    builder.add_u64_field("key", FAST | STORED);
    // The class of the asset's rights (see rights.rs), what the rights
    // filter reads per candidate: a string column, so that a segment holds
    // each class once in its dictionary and each document a small ordinal.
    builder.add_text_field("rights_class", TextOptions::default().set_fast("raw"));
    builder.add_text_field("id", STRING | STORED);
    builder.add_text_field("title", STORED);
    builder.add_text_field("title_text", text_options(FOLDED));
    // Stored for the highlights of hits.
    builder.add_text_field("text", text_options(FOLDED).set_stored());
    for (code, _) in STEMMED_LANGUAGES {
        builder.add_text_field(&format!("text_{code}"), text_options(&format!("stem_{code}")));
    }
    builder.add_text_field("concept", STRING | FAST | STORED);
    builder.add_text_field("auto_concept", STRING | STORED);
    builder.add_text_field("auto_description_concept", STRING | STORED);
    builder.add_text_field("source", STRING | FAST | STORED);
    builder.add_text_field("content_type", STRING | FAST | STORED);
    builder.add_text_field("license_type", STRING | FAST | STORED);
    // Sort keys: unix seconds of dcterms:created and dcterms:modified, and
    // the shown title folded.
    builder.add_i64_field("created", FAST);
    builder.add_i64_field("modified", FAST);
    builder.add_text_field("title_sort", STRING | FAST);
    // What a hit shows: every title and description as `{language}\u{1f}{text}`,
    // the preview as JSON, the creation date as given.
    builder.add_text_field("titles", STORED);
    builder.add_text_field("descriptions", STORED);
    builder.add_text_field("preview", STORED);
    builder.add_text_field("created_at", STORED);
    builder.build()
}

/// The schema's fields, looked up once.
pub(super) struct Fields {
    pub graph: Field,
    pub tenant: Field,
    pub key: Field,
    pub rights_class: Field,
    pub id: Field,
    pub title: Field,
    /// The shown title, folded, for suggestions.
    pub title_text: Field,
    pub text: Field,
    pub concept: Field,
    /// Concepts the asset's titles and keywords mention (automatic tags),
    /// curated ones excepted.
    pub auto_concept: Field,
    /// Concepts only its descriptions mention, unambiguously (see [`build`]).
    pub auto_description_concept: Field,
    pub source: Field,
    pub content_type: Field,
    pub license_type: Field,
    pub created: Field,
    pub modified: Field,
    pub title_sort: Field,
    pub titles: Field,
    pub descriptions: Field,
    pub preview: Field,
    pub created_at: Field,
    schema: Schema,
}

impl Fields {
    pub(super) fn new(schema: &Schema) -> Self {
        let field = |name: &str| schema.get_field(name).expect("the schema defines every field");
        Fields {
            graph: field("graph"),
            tenant: field("tenant"),
            key: field("key"),
            rights_class: field("rights_class"),
            id: field("id"),
            title: field("title"),
            title_text: field("title_text"),
            text: field("text"),
            concept: field("concept"),
            auto_concept: field("auto_concept"),
            auto_description_concept: field("auto_description_concept"),
            source: field("source"),
            content_type: field("content_type"),
            license_type: field("license_type"),
            created: field("created"),
            modified: field("modified"),
            title_sort: field("title_sort"),
            titles: field("titles"),
            descriptions: field("descriptions"),
            preview: field("preview"),
            created_at: field("created_at"),
            schema: schema.clone(),
        }
    }

    /// The stemmed field of a language, if it has one.
    pub(super) fn stemmed(&self, tag: &str) -> Option<Field> {
        language_field_name(tag).and_then(|name| self.schema.get_field(&name).ok())
    }
}

/// The document of one record graph, with its tenant and the class of its
/// rights; `None` when the graph is gone or holds no asset (a rights
/// record, say).
pub(super) fn build(
    graph: &NamedNode,
    tenant: &str,
    triples: &[Triple],
    rights_class: u64,
    fields: &Fields,
    view: &ConceptView,
) -> Option<TantivyDocument> {
    if !crate::records::holds_asset(graph, triples) {
        return None;
    }
    let about_asset = |t: &&Triple| t.subject.as_ref() == graph.as_ref().into();
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.graph, graph.as_str());
    doc.add_text(fields.tenant, tenant);
    doc.add_u64(fields.key, super::rights::key_of(graph.as_str()));
    doc.add_text(fields.rights_class, super::rights::class_name(rights_class));
    let mut titles: Vec<&oxigraph::model::Literal> = Vec::new();
    let mut language = None;
    let mut curated: Vec<&str> = Vec::new();
    let mut automatic: Vec<&str> = Vec::new();
    let mut described: Vec<&str> = Vec::new();
    let mut preview = HitPreview::default();
    for t in triples.iter().filter(about_asset) {
        let p = t.predicate.as_ref();
        match &t.object {
            Term::Literal(l) if p == dcterms::IDENTIFIER => doc.add_text(fields.id, l.value()),
            Term::Literal(l) if p == dcterms::LANGUAGE => language = Some(l.value()),
            Term::Literal(l) if p == dcterms::TITLE || p == dcterms::DESCRIPTION || p == ag::KEYWORD => {
                if p == dcterms::TITLE {
                    titles.push(l);
                }
                if p == dcterms::TITLE || p == dcterms::DESCRIPTION {
                    let field = if p == dcterms::TITLE {
                        fields.titles
                    } else {
                        fields.descriptions
                    };
                    doc.add_text(field, format!("{}\u{1f}{}", l.language().unwrap_or(""), l.value()));
                }
                doc.add_text(fields.text, l.value());
                if let Some(field) = l.language().and_then(|lang| fields.stemmed(lang)) {
                    doc.add_text(field, l.value());
                }
                if p == dcterms::DESCRIPTION {
                    described.extend(unambiguous(view, l.value(), l.language()));
                } else {
                    for occurrence in view.occurrences(l.value(), l.language()) {
                        automatic.push(view.iri(occurrence.concept));
                    }
                }
            }
            Term::NamedNode(concept) if p == dcterms::SUBJECT => {
                doc.add_text(fields.concept, concept.as_str());
                curated.push(concept.as_str());
            }
            Term::Literal(l) if p == ag::SOURCE => doc.add_text(fields.source, l.value()),
            Term::Literal(l) if p == ag::CONTENT_TYPE => doc.add_text(fields.content_type, l.value()),
            Term::Literal(l) if p.as_str() == ag::term("licenseType").as_str() => {
                doc.add_text(fields.license_type, l.value())
            }
            Term::NamedNode(url) if p == ag::PREVIEW_URL => preview.url = url.as_str().to_owned(),
            Term::Literal(l) if p == ag::PREVIEW_WIDTH => preview.width = l.value().parse().ok(),
            Term::Literal(l) if p == ag::PREVIEW_HEIGHT => preview.height = l.value().parse().ok(),
            Term::Literal(l) if p == dcterms::CREATED || p == dcterms::MODIFIED => {
                if p == dcterms::CREATED {
                    doc.add_text(fields.created_at, l.value());
                }
                if let Some(seconds) = parse_time(l.value()) {
                    let field = if p == dcterms::CREATED {
                        fields.created
                    } else {
                        fields.modified
                    };
                    doc.add_i64(field, seconds);
                }
            }
            _ => {}
        }
    }
    // Automatic tags: concepts the text mentions, apart from curated ones;
    // those only a description mentions apart from the others.
    automatic.sort_unstable();
    automatic.dedup();
    described.sort_unstable();
    described.dedup();
    for concept in automatic.iter().filter(|c| !curated.contains(c)) {
        doc.add_text(fields.auto_concept, concept);
    }
    for concept in described
        .into_iter()
        .filter(|c| !curated.contains(c) && !automatic.contains(c))
    {
        doc.add_text(fields.auto_description_concept, concept);
    }
    if !preview.url.is_empty() {
        doc.add_text(fields.preview, serde_json::to_string(&preview).unwrap_or_default());
    }
    // The title shown is the one in the record's own language.
    let shown = titles.iter().find(|l| l.language() == language).or(titles.first());
    if let Some(title) = shown {
        doc.add_text(fields.title, title.value());
        doc.add_text(fields.title_text, title.value());
        doc.add_text(fields.title_sort, fold(title.value()).join(" "));
    }
    Some(doc)
}

/// The concepts a description mentions by a label that names only them: a
/// description uses words in passing, and a one-word label several
/// concepts share ("Glass" the material, "Glass" the family name) says
/// nothing certain about the asset.
fn unambiguous<'v>(view: &'v ConceptView, text: &str, language: Option<&str>) -> Vec<&'v str> {
    let occurrences = view.occurrences(text, language);
    occurrences
        .iter()
        .filter(|o| {
            let words = fold(&text[o.range.clone()]).len();
            words > 1 || occurrences.iter().filter(|other| other.range == o.range).count() == 1
        })
        .map(|o| view.iri(o.concept))
        .collect()
}
