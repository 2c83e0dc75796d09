//! Scaleflex DAM (Filerobot) files → assets.
//!
//! Accepts a file as the API returns it (`{response: {status, file}}`,
//! `{status, file}`), a listing (`{files: [...]}`), an array of files or one
//! file. A file is `scaleflex:{uuid}`, stamped with `modified_at` (the
//! idempotency key is uuid + modified_at / `hash.sha1`). Title, description
//! and alt text come from `meta`; every other `meta` field is kept as
//! `<https://w3id.org/assetgraph/scaleflex/meta/{key}>`. Tags arrive as a
//! list of strings or per language as `[{label, sid}]`; labels, visibility
//! (`set` and `actual`) and the folder (→ collection) are kept.

use super::assetgraph::Preview;
use super::json::{self, FieldResult, Obj};
use super::{asset_triples, batch_items, map_items, Action, Extra, Mapped, Mapping, RecordResult};
use super::{Source, Stamp, Texts};
use crate::error::Result;
use crate::rdf::asset_iri;
use crate::vocab::{ag, dcterms};
use oxigraph::model::NamedNode;
use serde_json::Value;

const META: &str = "https://w3id.org/assetgraph/scaleflex/meta/";

pub(crate) fn map_batch(value: Value, mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let value = match value {
        Value::Object(mut o) if o.contains_key("response") => o.remove("response").unwrap_or(Value::Null),
        other => other,
    };
    let items = batch_items(value, &["files", "file"])?;
    Ok(map_items(
        items,
        |v| {
            v.get("uuid")
                .and_then(Value::as_str)
                .map(|id| format!("scaleflex:{id}"))
        },
        |v| map_file(&json::record(v)?, mapping),
    ))
}

fn map_file(file: &Obj<'_>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    let id = format!("scaleflex:{}", file.required_string("uuid")?);
    let name = file.string("name")?;
    let stamp = file.time("modified_at")?.map(Stamp::Modified);
    let asset = asset_iri(&id);
    let mut extra = Extra::new(asset.clone());
    let mut texts = Texts::default();

    if let Some(meta) = file.object("meta")? {
        for (key, value) in meta.map.iter() {
            match (key.as_str(), value) {
                ("title", _) => texts.entry("en").title = text_of(&meta, key)?,
                ("description", _) => texts.entry("en").description = text_of(&meta, key)?,
                ("alt", _) => extra.literal(ag::term("altText").as_ref(), text_of(&meta, key)?.as_deref()),
                (_, Value::Object(per_language)) => {
                    // Regional variants: {"en": "...", "de": "..."}.
                    let predicate = meta_predicate(key);
                    for (language, text) in per_language {
                        if let Some(text) = text.as_str() {
                            extra.typed(predicate.as_ref(), super::text_literal(text, language));
                        }
                    }
                }
                (_, Value::Array(items)) => {
                    for item in items.iter().filter_map(scalar) {
                        extra.literal(meta_predicate(key).as_ref(), Some(&item));
                    }
                }
                (_, other) => extra.literal(meta_predicate(key).as_ref(), scalar(other).as_deref()),
            }
        }
    }
    match file.get("tags") {
        Some(Value::Array(_)) => texts.entry("en").keywords.extend(owned(file.strings("tags")?)),
        Some(Value::Object(_)) => {
            let tags = file.object("tags")?.expect("checked to be an object");
            for (language, _) in tags.map.iter() {
                for tag in tags.objects(language)? {
                    if let Some(label) = tag.string("label")? {
                        texts.entry(language).keywords.push(label.to_owned());
                    }
                }
            }
        }
        _ => {}
    }
    for label in file.strings("labels")? {
        extra.literal(ag::term("label").as_ref(), Some(label));
    }
    if let Some(visibility) = file.object("visibility")? {
        extra.literal(ag::term("visibility").as_ref(), visibility.string("set")?);
        extra.literal(ag::term("effectiveVisibility").as_ref(), visibility.string("actual")?);
    }
    if let Some(folder) = file.object("folder")? {
        extra.literal(ag::term("folderPath").as_ref(), folder.string("name")?);
        extra.literal(ag::term("folderId").as_ref(), folder.string("uuid")?);
    }
    if let Some(url) = file.object("url")? {
        extra.url(ag::term("cdnUrl").as_ref(), url.string("cdn")?);
        extra.url(ag::term("publicUrl").as_ref(), url.string("public")?);
    }
    if let Some(hash) = file.object("hash")? {
        extra.literal(ag::term("sha1").as_ref(), hash.string("sha1")?);
    }
    if let Some(size) = file.object("size")? {
        extra.integer(ag::term("fileSize").as_ref(), size.integer("bytes")?);
    }
    if let Some(info) = file.object("info")? {
        extra.integer(ag::term("width").as_ref(), info.integer("img_w")?);
        extra.integer(ag::term("height").as_ref(), info.integer("img_h")?);
    }
    extra.literal(ag::term("fileName").as_ref(), name);
    extra.literal(dcterms::FORMAT, file.string("type")?);
    extra.time(dcterms::CREATED, file.time("created_at")?);
    extra.time(dcterms::MODIFIED, file.time("modified_at")?);

    let mut record = texts.into_record(id.clone(), name.unwrap_or(&id));
    let media_type = file.string("type")?.unwrap_or_default();
    record.content_type = media_type
        .split('/')
        .next()
        .filter(|t| matches!(*t, "image" | "video" | "audio"))
        .map(str::to_owned)
        .or_else(|| name.and_then(super::content_type_of).map(str::to_owned));
    record.preview = preview(file)?;
    let triples = asset_triples(&record, Source::Scaleflex, extra.triples, stamp, mapping.territories);
    Ok(Mapped {
        id,
        stamp,
        action: Action::Upsert(triples),
    })
}

fn meta_predicate(key: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{META}{}", crate::rdf::percent_encode(key)))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A meta text: a string, or per language (the English one, else the first).
fn text_of(meta: &Obj<'_>, key: &str) -> FieldResult<Option<String>> {
    match meta.get(key) {
        Some(Value::Object(per_language)) => Ok(per_language
            .get("en")
            .or_else(|| per_language.values().next())
            .and_then(scalar)),
        _ => Ok(meta.string(key)?.map(str::to_owned)),
    }
}

fn owned(values: Vec<&str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// The file's thumbnail (`info.thumbnail`), else its CDN URL at the image's
/// own size.
fn preview(file: &Obj<'_>) -> FieldResult<Option<Preview>> {
    let info = file.object("info")?;
    if let Some(thumbnail) = info.as_ref().map(|i| i.string("thumbnail")).transpose()?.flatten() {
        if let Some(found) = Preview::at(Some(thumbnail), None, None) {
            return Ok(Some(found));
        }
    }
    let Some(url) = file.object("url")? else {
        return Ok(None);
    };
    let size = |field| info.as_ref().map(|i| i.integer(field)).transpose().map(Option::flatten);
    Ok(Preview::at(url.string("cdn")?, size("img_w")?, size("img_h")?))
}
