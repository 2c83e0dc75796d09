//! What a label is to the index: its kind (SKOS pref, alt or hidden), a
//! reference to one label of one concept, and a stretch of a query's words
//! that a label covers. Shared by the concept view and the loose matching
//! of typed queries.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum LabelKind {
    #[serde(rename = "prefLabel")]
    Pref,
    #[serde(rename = "altLabel")]
    Alt,
    #[serde(rename = "hiddenLabel")]
    Hidden,
}

impl LabelKind {
    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Pref => "prefLabel",
            LabelKind::Alt => "altLabel",
            LabelKind::Hidden => "hiddenLabel",
        }
    }
}

/// One label of one concept: (concept, kind, index among its labels).
pub(super) type LabelRef = (u32, LabelKind, usize);

/// A stretch of words, by index.
pub(super) type Span = std::ops::Range<usize>;
