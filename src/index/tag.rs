//! Automatic tagging, like a taxonomy extractor: text in, the concepts whose
//! labels it contains out, with score, frequency, matched labels and
//! positions.
//!
//! Matching is the query resolution of search applied to running text: at
//! each word, the longest concept label (any kind, any language, folded)
//! that starts there; occurrences never overlap. A label counts by its
//! kind — prefLabel 1, altLabel 0.9, hiddenLabel 0.6 — and in the text's
//! own language a little more (×1.1); the score is the concept's sum
//! relative to the best concept's (the best scores 1).

use super::analysis::fold;
use super::concepts::{ConceptView, Form, LabelKind, Occurrence};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct TagRequest {
    pub text: String,
    /// The text's language, when known.
    pub language: Option<String>,
    /// Only concepts of this scheme.
    pub scheme: Option<String>,
    pub limit: usize,
    /// Concepts scoring below this (0–1, relative to the best) are left out.
    pub threshold: f32,
    /// Only concepts of these tenants' taxonomies (`None`: every tenant's).
    pub tenants: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tag {
    pub iri: String,
    /// The prefLabel in the text's language (else English, else any).
    pub label: String,
    pub score: f32,
    pub frequency: usize,
    /// The labels found in the text, as the taxonomy writes them.
    pub matched: Vec<String>,
    /// Where, as `[start, end)` character offsets.
    pub positions: Vec<[usize; 2]>,
}

/// A label found as written counts fully; stemmed a little less; without
/// its qualifier less again, as homonyms share that form.
fn form_weight(form: Form) -> f32 {
    match form {
        Form::Exact => 1.0,
        Form::Stemmed => 0.9,
        Form::WithoutQualifier => 0.7,
    }
}

/// A label of several words names something more specific than one word.
fn specificity(words: usize) -> f32 {
    1.0 + 0.25 * (words.max(1) - 1) as f32
}

fn weight(kind: LabelKind) -> f32 {
    match kind {
        LabelKind::Pref => 1.0,
        LabelKind::Alt => 0.9,
        LabelKind::Hidden => 0.6,
    }
}

/// Tags a text. `rarity` weighs a folded word by how rare it is in the
/// indexed assets' text (1 when the index is empty): a label made only of
/// words most assets contain ("history", "world") says little about the
/// text, one with a rare word says much.
pub(super) fn tag(view: &ConceptView, request: &TagRequest, rarity: &dyn Fn(&str) -> f32) -> Result<Vec<Tag>> {
    if let Some(scheme) = &request.scheme {
        if !view.knows_scheme(scheme) {
            return Err(Error::invalid_field(
                "scheme",
                format!("<{scheme}> is not a concept scheme of any taxonomy in the store"),
            ));
        }
    }
    let lang = request.language.as_deref();
    let chars = CharOffsets::new(&request.text);
    let mut by_concept: HashMap<u32, (f32, Tag)> = HashMap::new();
    for Occurrence {
        concept: id,
        kind,
        label: n,
        form,
        range,
    } in view.occurrences(&request.text, lang)
    {
        if request.scheme.as_deref().is_some_and(|s| !view.in_scheme(id, s))
            || !view.readable(id, request.tenants.as_deref())
        {
            continue;
        }
        let (label_language, label) = view.label_at(id, n);
        let same_language = lang.is_some_and(|l| label_language == l);
        let entry = by_concept.entry(id).or_insert_with(|| {
            (
                0.0,
                Tag {
                    iri: view.iri(id).to_owned(),
                    label: view.label(id, lang).to_owned(),
                    score: 0.0,
                    frequency: 0,
                    matched: Vec::new(),
                    positions: Vec::new(),
                },
            )
        });
        let words = fold(&request.text[range.clone()]);
        let rare = words.iter().map(|w| rarity(w)).fold(0.0_f32, f32::max);
        let language = if same_language { 1.1 } else { 1.0 };
        entry.0 += weight(kind) * form_weight(form) * specificity(words.len()) * rare * language;
        entry.1.frequency += 1;
        if !entry.1.matched.iter().any(|m| m == label) {
            entry.1.matched.push(label.to_owned());
        }
        entry.1.positions.push([chars.of(range.start), chars.of(range.end)]);
    }
    let best = by_concept.values().map(|(raw, _)| *raw).fold(0.0_f32, f32::max);
    let mut tags: Vec<Tag> = by_concept
        .into_values()
        .map(|(raw, mut tag)| {
            tag.score = ((raw / best) * 1000.0).round() / 1000.0;
            tag
        })
        .collect();
    tags.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.frequency.cmp(&a.frequency))
            .then(a.positions[0][0].cmp(&b.positions[0][0]))
            .then(a.iri.cmp(&b.iri))
    });
    tags.retain(|tag| tag.score >= request.threshold);
    tags.truncate(request.limit);
    Ok(tags)
}

/// Byte offsets to character offsets, for clients that count characters.
struct CharOffsets(Vec<usize>);

impl CharOffsets {
    fn new(text: &str) -> Self {
        CharOffsets(text.char_indices().map(|(byte, _)| byte).collect())
    }

    fn of(&self, byte: usize) -> usize {
        self.0.partition_point(|&b| b < byte)
    }
}
