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

use super::concepts::{ConceptView, LabelKind};
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
}

#[derive(Debug, Clone, Serialize)]
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

fn weight(kind: LabelKind) -> f32 {
    match kind {
        LabelKind::Pref => 1.0,
        LabelKind::Alt => 0.9,
        LabelKind::Hidden => 0.6,
    }
}

pub fn tag(view: &ConceptView, request: &TagRequest) -> Result<Vec<Tag>> {
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
    for (id, kind, n, range) in view.occurrences(&request.text) {
        if request.scheme.as_deref().is_some_and(|s| !view.in_scheme(id, s)) {
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
        entry.0 += weight(kind) * if same_language { 1.1 } else { 1.0 };
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
            .then(a.iri.cmp(&b.iri))
    });
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
