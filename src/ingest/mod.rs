//! Ingest: turning what sources send into triples the store accepts.
//!
//! This layer parses and maps; it never writes. Each source system has its
//! own file: `poolparty.rs` for taxonomy exports; `smintio.rs`,
//! `rightsline.rs`, `photoshelter.rs`, `dropbox.rs`, `scaleflex.rs` for
//! asset and rights records; `files.rs` for the metadata embedded in image
//! files; `assetgraph.rs` for the project's own asset format. What comes out
//! is handed to the write path in [`crate::store`] by the layer that owns the
//! records ([`crate::assets`] for assets, [`crate::taxonomy`] for
//! taxonomies).
//!
//! Every asset-source mapping produces [`Mapped`] records: the asset's id
//! (its source key prefixed by the source, `smintio:79468`), the source's
//! version stamp where it has one, and the complete set of triples of the
//! record's graph, so that an upsert is "replace this graph".

pub(crate) mod json;
pub(crate) mod poolparty;

use crate::error::{Error, Position, Result};
use crate::rights::Territories;
use crate::vocab::ag;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Triple};
use serde_json::Value;
use std::collections::BTreeMap;

pub use self::assetgraph::{AssetRecord, Variant};
pub use self::rightsline::RightslineMapping;
use crate::error::RecordError;

/// The registry of asset sources: one line per source system, naming its
/// variant and its mapper module (declared here). The module's name is the
/// source's name (in URLs, ids and `ag:source`) and its `map_batch` maps a
/// JSON batch; the enum, the names, the errors and help that list them and
/// the dispatch of [`map_batch`] all follow from this list.
macro_rules! sources {
    ($($(#[$doc:meta])* $variant:ident => $vis:vis $module:ident),* $(,)?) => {
        $($vis mod $module;)*

        /// The systems whose records `POST /api/ingest/{source}` accepts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Source {
            $($(#[$doc])* $variant,)*
        }

        impl Source {
            pub const ALL: &'static [Source] = &[$(Source::$variant),*];

            /// The name in URLs, ids and `ag:source`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Source::$variant => stringify!($module),)*
                }
            }

            fn mapper(self) -> fn(Value, &Mapping<'_>) -> Result<Vec<RecordResult>> {
                match self {
                    $(Source::$variant => $module::map_batch,)*
                }
            }
        }
    };
}

sources! {
    /// The project's own asset format.
    AssetGraph => pub assetgraph,
    SmintIo => pub(crate) smintio,
    Rightsline => pub(crate) rightsline,
    PhotoShelter => pub(crate) photoshelter,
    Dropbox => pub(crate) dropbox,
    Scaleflex => pub(crate) scaleflex,
    /// Image and video files, their embedded metadata read.
    Files => pub files,
}

impl Source {
    pub(crate) fn from_name(name: &str) -> Option<Source> {
        let name = name.to_ascii_lowercase().replace(['-', '_', '.'], "");
        Source::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// Every source's name, for help and error messages.
    pub fn names() -> String {
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
        names.join(", ")
    }
}

/// What a source needs to map its records.
pub struct Mapping<'a> {
    pub territories: &'a Territories,
    pub rightsline: &'a RightslineMapping,
    /// The kind of records in the batch, where the source cannot tell
    /// (a Rightsline char type: `?type=right`).
    pub record_type: Option<&'a str>,
}

/// One record of a batch, mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The asset's id: the source key prefixed by the source
    /// (`smintio:79468`), or the id as given for the project's own format.
    pub id: String,
    /// The source's version of the record, where it sends one; an older
    /// version never replaces a newer one.
    pub stamp: Option<Stamp>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace the record's graph with these triples.
    Upsert(Vec<Triple>),
    /// The source says the record is gone: drop its graph.
    Delete,
    /// The source says everything at this path (and under it) is gone; it
    /// does not say which records (Dropbox's `deleted` entries).
    DeletePath(String),
    /// The source says the record is not to be synced; nothing is written.
    Skip(&'static str),
}

/// A source's version stamp: a version number or a modification time.
/// Stamps of different kinds are not comparable: see [`Stamp::is_older_than`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Version(i64),
    /// Unix seconds.
    Modified(i64),
}

impl Stamp {
    /// The `ag:sourceVersion` literal recording it in the record's graph.
    pub fn literal(self) -> Literal {
        match self {
            Stamp::Version(v) => Literal::new_typed_literal(v.to_string(), xsd::INTEGER),
            Stamp::Modified(t) => crate::rdf::time::literal(t),
        }
    }

    pub(crate) fn from_literal(literal: &Literal) -> Option<Stamp> {
        if literal.datatype() == xsd::INTEGER {
            literal.value().parse().ok().map(Stamp::Version)
        } else {
            crate::rdf::time::parse(literal.value()).map(Stamp::Modified)
        }
    }

    /// Whether a record with this stamp is older than one stamped `stored`.
    pub fn is_older_than(self, stored: Stamp) -> bool {
        match (self, stored) {
            (Stamp::Version(a), Stamp::Version(b)) | (Stamp::Modified(a), Stamp::Modified(b)) => a < b,
            _ => false,
        }
    }
}

pub(crate) type RecordResult = std::result::Result<Mapped, RecordError>;

/// Maps a batch of a JSON source. A body that is not JSON or not a batch is
/// an error of the whole request; each record is then valid or not on its own.
pub fn map_batch(source: Source, body: &[u8], mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let value = parse_json(body)?;
    (source.mapper())(value, mapping)
}

pub(crate) fn parse_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Syntax {
        document: "request body".into(),
        format: "JSON".into(),
        message: e.to_string(),
        position: Some(Position {
            line: e.line() as u64,
            column: e.column() as u64,
        }),
    })
}

/// The records of a batch body: a bare array, or the array under one of the
/// envelope keys a source wraps it in; a single record object is a batch of one.
pub(crate) fn batch_items(value: Value, envelope_keys: &[&str]) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut object) => {
            for key in envelope_keys {
                if let Some(inner) = object.remove(*key) {
                    return match inner {
                        Value::Array(items) => Ok(items),
                        Value::Null => Ok(Vec::new()),
                        other @ Value::Object(_) => Ok(vec![other]),
                        _ => Err(Error::invalid_field(
                            *key,
                            format!("'{key}' must be an array of records"),
                        )),
                    };
                }
            }
            Ok(vec![Value::Object(object)])
        }
        _ => Err(Error::invalid_field(
            "body",
            format!(
                "send an array of records{}",
                envelope_keys
                    .first()
                    .map(|k| format!(", or {{\"{k}\": [...]}}"))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Maps every item, turning a field error into the record's error.
pub(crate) fn map_items(
    items: Vec<Value>,
    id_of: impl Fn(&Value) -> Option<String>,
    map: impl Fn(&Value) -> json::FieldResult<Mapped>,
) -> Vec<RecordResult> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            map(item).map_err(|(field, message)| RecordError {
                index,
                id: id_of(item),
                field,
                message,
            })
        })
        .collect()
}

/// Texts per language, gathered from a source's localized fields.
#[derive(Debug, Default)]
pub struct Texts(pub BTreeMap<String, Variant>);

impl Texts {
    pub fn entry(&mut self, language: &str) -> &mut Variant {
        let language = normalise_language(language);
        self.0.entry(language).or_default()
    }

    /// The record's main language (English when present, else the first)
    /// and the others as variants.
    pub(crate) fn into_record(mut self, id: String, fallback_title: &str) -> AssetRecord {
        let language = if self.0.contains_key("en") || self.0.is_empty() {
            "en".to_owned()
        } else {
            self.0.keys().next().cloned().unwrap_or_else(|| "en".into())
        };
        let main = self.0.remove(&language).unwrap_or_default();
        AssetRecord {
            id,
            title: main.title.unwrap_or_else(|| fallback_title.to_owned()),
            description: main.description,
            keywords: main.keywords,
            language,
            variants: self.0,
            concepts: Vec::new(),
            content_type: None,
            created: None,
            modified: None,
            preview: None,
            rights: Default::default(),
        }
    }
}

/// A culture as sources send it (`en`, `de-DE`, `x-default`, empty) as a
/// language tag.
pub(crate) fn normalise_language(culture: &str) -> String {
    let lower = culture.trim().to_ascii_lowercase();
    if lower.is_empty() || lower == "x-default" || Literal::new_language_tagged_literal("x", &lower).is_err() {
        "en".to_owned()
    } else {
        lower
    }
}

/// A text in the language of a source's culture.
pub(crate) fn text_literal(value: &str, culture: &str) -> Literal {
    Literal::new_language_tagged_literal(value, normalise_language(culture))
        .unwrap_or_else(|_| Literal::new_simple_literal(value))
}

/// Builds the triples of a record's graph beyond the common description.
pub(crate) struct Extra {
    pub subject: NamedNode,
    pub triples: Vec<Triple>,
}

impl Extra {
    pub(crate) fn new(subject: NamedNode) -> Self {
        Extra {
            subject,
            triples: Vec::new(),
        }
    }

    pub(crate) fn literal(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Option<&str>) {
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.triples.push(Triple::new(
                self.subject.clone(),
                predicate,
                Literal::new_simple_literal(value),
            ));
        }
    }

    pub(crate) fn typed(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Literal) {
        self.triples.push(Triple::new(self.subject.clone(), predicate, value));
    }

    pub(crate) fn boolean(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Option<bool>) {
        if let Some(value) = value {
            self.typed(predicate, Literal::from(value));
        }
    }

    pub(crate) fn integer(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Option<i64>) {
        if let Some(value) = value {
            self.typed(predicate, Literal::new_typed_literal(value.to_string(), xsd::INTEGER));
        }
    }

    pub(crate) fn time(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Option<i64>) {
        if let Some(value) = value {
            self.typed(predicate, crate::rdf::time::literal(value));
        }
    }

    pub(crate) fn typed_link(
        &mut self,
        predicate: oxigraph::model::NamedNodeRef<'_>,
        object: oxigraph::model::NamedNodeRef<'_>,
    ) {
        self.triples.push(Triple::new(self.subject.clone(), predicate, object));
    }

    pub(crate) fn link(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, object: &NamedNode) {
        self.triples
            .push(Triple::new(self.subject.clone(), predicate, object.clone()));
    }

    /// A web address: an IRI when it is one, else the text.
    pub(crate) fn url(&mut self, predicate: oxigraph::model::NamedNodeRef<'_>, value: Option<&str>) {
        if let Some(url) = value.map(str::trim).filter(|v| !v.is_empty()) {
            match NamedNode::new(url) {
                Ok(iri) => self.link(predicate, &iri),
                Err(_) => self.literal(predicate, Some(url)),
            }
        }
    }
}

/// The complete triples of a source's asset: the common description and
/// rights, the source's own facts, and its version stamp.
pub(crate) fn asset_triples(
    record: &AssetRecord,
    source: Source,
    extra: Vec<Triple>,
    stamp: Option<Stamp>,
    territories: &Territories,
) -> Vec<Triple> {
    let mut triples = assetgraph::triples(record, source.name(), territories);
    triples.extend(extra);
    if let Some(stamp) = stamp {
        triples.push(Triple::new(
            crate::rdf::asset_iri(&record.id),
            ag::SOURCE_VERSION,
            stamp.literal(),
        ));
    }
    triples
}

/// The kind of content a file name suggests.
pub(crate) fn content_type_of(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "tif" | "tiff" | "heic" | "heif" | "avif" | "svg" | "dng" => "image",
        "mp4" | "mov" | "m4v" | "avi" | "mkv" | "webm" | "mxf" => "video",
        "mp3" | "wav" | "aac" | "flac" | "m4a" | "ogg" => "audio",
        "pdf" | "doc" | "docx" | "txt" | "pptx" | "xlsx" | "indd" => "document",
        _ => return None,
    })
}
