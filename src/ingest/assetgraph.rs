//! The asset JSON format of the project's own (source `assetgraph`), for
//! integrators whose system is none of the supported sources. Its schema is
//! `schemas/asset.schema.json`; a batch is a JSON array of records or
//! `{"records": [...]}`.
//!
//! Validation is strict — an unknown field is an error, so a typo never
//! silently drops data — and every error names the record's index and the
//! field's path (`rights.grants[0].from`).

use super::json::kind;
use super::{Action, Mapped, RecordError};
use crate::error::{Error, Result};
use crate::rights::{self, RestrictionKind, RightsStatement, Rule, Territories, DIMENSIONS};
use crate::vocab::{ag, dcterms};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{Literal, NamedNode, Triple};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One asset as the integrator describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub id: String,
    pub language: String,
    pub title: String,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub concepts: Vec<NamedNode>,
    pub content_type: Option<String>,
    /// When the asset was created and last modified (unix seconds).
    pub created: Option<i64>,
    pub modified: Option<i64>,
    /// Other languages: title, description, keywords.
    pub variants: BTreeMap<String, Variant>,
    /// An image a result grid can show for it.
    pub preview: Option<Preview>,
    pub rights: RightsStatement,
}

/// A preview image of an asset: where it is and, when known, its size in
/// pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub url: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl Preview {
    /// A preview at `url` when it is an http(s) address.
    pub fn at(url: Option<&str>, width: Option<i64>, height: Option<i64>) -> Option<Preview> {
        let url = url?.trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        let positive = |n: Option<i64>| n.filter(|n| *n > 0);
        (web && NamedNode::new(url).is_ok()).then(|| Preview {
            url: url.to_owned(),
            width: positive(width),
            height: positive(height),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variant {
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
}

/// Parses a batch; a body that is not JSON, or not a list of records, is an
/// error of the whole request; each record is then valid or not on its own.
pub fn parse_batch(body: &[u8]) -> Result<Vec<std::result::Result<AssetRecord, RecordError>>> {
    parse_value(super::parse_json(body)?)
}

/// The records of a parsed batch: an array, or `{"records": [...]}`.
pub(crate) fn parse_value(value: Value) -> Result<Vec<std::result::Result<AssetRecord, RecordError>>> {
    let records = match value {
        Value::Array(records) => records,
        Value::Object(mut object) if object.contains_key("records") => match object.remove("records") {
            Some(Value::Array(records)) => records,
            _ => {
                return Err(Error::invalid_field(
                    "records",
                    "'records' must be an array of asset records",
                ))
            }
        },
        _ => {
            return Err(Error::invalid_field(
                "body",
                "send an array of asset records, or {\"records\": [...]}",
            ))
        }
    };
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(index, record)| parse_record(index, record))
        .collect())
}

/// Maps a batch of the own format (the registry's mapper).
pub(crate) fn map_batch(value: Value, mapping: &super::Mapping<'_>) -> Result<Vec<super::RecordResult>> {
    Ok(parse_value(value)?
        .into_iter()
        .map(|r| r.map(|record| mapped(&record, mapping.territories)))
        .collect())
}

/// A record of the project's own format, ready for the store. It has no
/// version stamp: the record as sent is the truth.
pub fn mapped(record: &AssetRecord, territories: &Territories) -> Mapped {
    Mapped {
        id: record.id.clone(),
        stamp: None,
        action: Action::Upsert(triples(record, "assetgraph", territories)),
    }
}

fn parse_record(index: usize, value: Value) -> std::result::Result<AssetRecord, RecordError> {
    let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
    let fail = |field: &str, message: String| RecordError {
        index,
        id: id.clone(),
        field: field.to_owned(),
        message,
    };
    let Value::Object(object) = value else {
        return Err(fail("", "a record must be a JSON object".into()));
    };
    let r = Reader {
        object: &object,
        path: String::new(),
    };
    r.only(&[
        "id",
        "title",
        "description",
        "keywords",
        "concepts",
        "language",
        "variants",
        "content_type",
        "created",
        "modified",
        "preview",
        "rights",
    ])
    .map_err(|(f, m)| fail(&f, m))?;
    let record = (|| {
        let id = r.required_string("id")?;
        if id.trim().is_empty() || id.len() > 512 || id.chars().any(char::is_control) {
            return Err(("id".to_owned(), "must be 1 to 512 printable characters".to_owned()));
        }
        let language = r
            .optional_string("language")?
            .unwrap_or_else(|| "en".into())
            .to_ascii_lowercase();
        Literal::new_language_tagged_literal("x", &language).map_err(|e| {
            (
                "language".to_owned(),
                format!("'{language}' is not a language tag: {e}"),
            )
        })?;
        Ok(AssetRecord {
            title: r.required_string("title")?,
            description: r.optional_string("description")?,
            keywords: r.strings("keywords")?,
            concepts: r
                .strings("concepts")?
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    NamedNode::new(&c).map_err(|e| (format!("concepts[{i}]"), format!("'{c}' is not an IRI: {e}")))
                })
                .collect::<std::result::Result<_, _>>()?,
            content_type: r.optional_string("content_type")?,
            created: r.time("created")?,
            modified: r.time("modified")?,
            variants: r.variants()?,
            preview: r.preview()?,
            rights: r.rights()?,
            id,
            language,
        })
    })();
    record.map_err(|(field, message)| fail(&field, message))
}

type FieldResult<T> = std::result::Result<T, (String, String)>;

/// Reads fields of one JSON object, naming them by their path in errors.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Reader<'a> {
    fn at(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    fn nested(&self, object: &'a Map<String, Value>, path: String) -> Reader<'a> {
        Reader { object, path }
    }

    fn only(&self, allowed: &[&str]) -> FieldResult<()> {
        match self.object.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(unknown) => Err((
                self.at(unknown),
                format!("unknown field; expected one of: {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn optional_string(&self, field: &str) -> FieldResult<Option<String>> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err((self.at(field), format!("must be a string, not {}", kind(other)))),
        }
    }

    fn required_string(&self, field: &str) -> FieldResult<String> {
        self.optional_string(field)?
            .ok_or_else(|| (self.at(field), "is required".to_owned()))
    }

    /// A string or an array of strings.
    fn strings(&self, field: &str) -> FieldResult<Vec<String>> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err((
                        format!("{}[{i}]", self.at(field)),
                        format!("must be a string, not {}", kind(other)),
                    )),
                })
                .collect(),
            Some(other) => Err((
                self.at(field),
                format!("must be an array of strings, not {}", kind(other)),
            )),
        }
    }

    fn boolean(&self, field: &str) -> FieldResult<bool> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err((self.at(field), format!("must be true or false, not {}", kind(other)))),
        }
    }

    fn count(&self, field: &str) -> FieldResult<Option<u32>> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| (self.at(field), format!("must be a whole number ≥ 0, not {n}"))),
            Some(other) => Err((self.at(field), format!("must be a number, not {}", kind(other)))),
        }
    }

    fn time(&self, field: &str) -> FieldResult<Option<i64>> {
        self.optional_string(field)?
            .map(|text| {
                crate::rdf::time::parse(&text).ok_or_else(|| {
                    (
                        self.at(field),
                        format!("'{text}' is not a date (2026-12-01) or date-time (2026-12-01T00:00:00Z)"),
                    )
                })
            })
            .transpose()
    }

    fn object(&self, field: &str) -> FieldResult<Option<&'a Map<String, Value>>> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err((self.at(field), format!("must be an object, not {}", kind(other)))),
        }
    }

    fn array(&self, field: &str) -> FieldResult<&'a [Value]> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err((self.at(field), format!("must be an array, not {}", kind(other)))),
        }
    }

    /// `{"url", "width"?, "height"?}`: an http(s) URL and sizes in pixels.
    fn preview(&self) -> FieldResult<Option<Preview>> {
        let Some(preview) = self.object("preview")? else {
            return Ok(None);
        };
        let p = self.nested(preview, self.at("preview"));
        p.only(&["url", "width", "height"])?;
        let url = p.required_string("url")?;
        let size = |field: &str| -> FieldResult<Option<i64>> {
            match p.count(field)? {
                Some(0) => Err((p.at(field), "must be a whole number of pixels ≥ 1".to_owned())),
                n => Ok(n.map(i64::from)),
            }
        };
        let (width, height) = (size("width")?, size("height")?);
        Preview::at(Some(&url), width, height)
            .map(Some)
            .ok_or_else(|| (p.at("url"), format!("'{url}' is not an http(s) URL")))
    }

    fn variants(&self) -> FieldResult<BTreeMap<String, Variant>> {
        let Some(variants) = self.object("variants")? else {
            return Ok(BTreeMap::new());
        };
        variants
            .iter()
            .map(|(language, value)| {
                let path = format!("{}.{language}", self.at("variants"));
                let Value::Object(o) = value else {
                    return Err((path, "must be an object".to_owned()));
                };
                if Literal::new_language_tagged_literal("x", language).is_err() {
                    return Err((path, format!("'{language}' is not a language tag")));
                }
                let v = self.nested(o, path);
                v.only(&["title", "description", "keywords"])?;
                let variant = Variant {
                    title: v.optional_string("title")?,
                    description: v.optional_string("description")?,
                    keywords: v.strings("keywords")?,
                };
                Ok((language.to_ascii_lowercase(), variant))
            })
            .collect()
    }

    fn rights(&self) -> FieldResult<RightsStatement> {
        let Some(rights) = self.object("rights")? else {
            return Ok(RightsStatement::default());
        };
        let r = self.nested(rights, self.at("rights"));
        r.only(&[
            "cancelled",
            "editorial_only",
            "downloads",
            "max_downloads",
            "grants",
            "restrictions",
        ])?;
        let downloads = match (r.count("downloads")?, r.count("max_downloads")?) {
            (used, Some(max)) => Some((used.unwrap_or(0), max)),
            (Some(_), None) => return Err((r.at("max_downloads"), "is required when downloads is given".into())),
            (None, None) => None,
        };
        let rules = |field: &str, restriction: bool| -> FieldResult<Vec<Rule>> {
            r.array(field)?
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{}[{i}]", r.at(field));
                    let Value::Object(o) = item else {
                        return Err((path, "must be an object".to_owned()));
                    };
                    r.nested(o, path).rule(restriction)
                })
                .collect()
        };
        Ok(RightsStatement {
            cancelled: r.boolean("cancelled")?,
            editorial_only: r.boolean("editorial_only")?,
            downloads,
            grants: rules("grants", false)?,
            restrictions: rules("restrictions", true)?,
        })
    }

    fn rule(&self, restriction: bool) -> FieldResult<Rule> {
        let mut allowed: Vec<&str> = DIMENSIONS.iter().map(|d| d.name()).collect();
        allowed.extend(["from", "until"]);
        if restriction {
            allowed.push("kind");
        }
        self.only(&allowed)?;
        let mut rule = Rule {
            from: self.time("from")?,
            until: self.time("until")?,
            ..Default::default()
        };
        if let (Some(from), Some(until)) = (rule.from, rule.until) {
            if until <= from {
                return Err((self.at("until"), "must be after from".into()));
            }
        }
        for d in DIMENSIONS {
            rule.values[d as usize] = self.strings(d.name())?;
        }
        if restriction {
            let name = self.optional_string("kind")?.unwrap_or_else(|| "restricted".into());
            rule.restriction = Some(RestrictionKind::from_name(&name).ok_or_else(|| {
                (
                    self.at("kind"),
                    format!("'{name}' is not a restriction kind: use restricted, holdback or exclusive-rights-out"),
                )
            })?);
        }
        Ok(rule)
    }
}

/// The triples of a record: descriptive metadata and its ODRL policy.
pub fn triples(record: &AssetRecord, source: &str, territories: &Territories) -> Vec<Triple> {
    let asset = crate::rdf::asset_iri(&record.id);
    let text = |value: &str, language: &str| {
        Literal::new_language_tagged_literal(value, language).unwrap_or_else(|_| Literal::new_simple_literal(value))
    };
    let mut out = vec![
        Triple::new(asset.clone(), rdf::TYPE, ag::ASSET),
        Triple::new(
            asset.clone(),
            dcterms::IDENTIFIER,
            Literal::new_simple_literal(&record.id),
        ),
        Triple::new(asset.clone(), ag::SOURCE, Literal::new_simple_literal(source)),
        Triple::new(
            asset.clone(),
            dcterms::LANGUAGE,
            Literal::new_simple_literal(&record.language),
        ),
        Triple::new(asset.clone(), dcterms::TITLE, text(&record.title, &record.language)),
    ];
    let mut describe = |title: Option<&str>, description: Option<&str>, keywords: &[String], language: &str| {
        if let Some(title) = title {
            out.push(Triple::new(asset.clone(), dcterms::TITLE, text(title, language)));
        }
        if let Some(description) = description {
            out.push(Triple::new(
                asset.clone(),
                dcterms::DESCRIPTION,
                text(description, language),
            ));
        }
        for keyword in keywords {
            out.push(Triple::new(asset.clone(), ag::KEYWORD, text(keyword, language)));
        }
    };
    describe(None, record.description.as_deref(), &record.keywords, &record.language);
    for (language, variant) in &record.variants {
        describe(
            variant.title.as_deref(),
            variant.description.as_deref(),
            &variant.keywords,
            language,
        );
    }
    for concept in &record.concepts {
        out.push(Triple::new(asset.clone(), dcterms::SUBJECT, concept.clone()));
    }
    if let Some(preview) = &record.preview {
        out.push(Triple::new(
            asset.clone(),
            ag::PREVIEW_URL,
            NamedNode::new_unchecked(&preview.url),
        ));
        for (property, size) in [(ag::PREVIEW_WIDTH, preview.width), (ag::PREVIEW_HEIGHT, preview.height)] {
            if let Some(size) = size {
                out.push(Triple::new(asset.clone(), property, Literal::from(size)));
            }
        }
    }
    if let Some(content_type) = &record.content_type {
        out.push(Triple::new(
            asset.clone(),
            ag::CONTENT_TYPE,
            Literal::new_simple_literal(content_type),
        ));
    }
    for (property, time) in [(dcterms::CREATED, record.created), (dcterms::MODIFIED, record.modified)] {
        if let Some(time) = time {
            out.push(Triple::new(asset.clone(), property, crate::rdf::time::literal(time)));
        }
    }
    out.extend(rights::odrl_triples(&asset, &record.rights, territories));
    out
}
