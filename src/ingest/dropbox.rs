//! Dropbox API v2 `files/list_folder` results → assets and collections.
//!
//! Entries are processed in order, as Dropbox asks: a `file` is the asset
//! `dropbox:{id}` (`dropbox:id:a4ayc_80_OEAAAAAAAAAXw`), stamped with its
//! `server_modified` and keeping its `rev` (the idempotency key is id + rev:
//! the same revision maps to the same triples, so re-ingesting it changes
//! nothing); a `folder` is a collection record, and every file names the
//! folder path it sits in (`ag:folderPath`), so that folder path →
//! collection; a `deleted` entry removes whatever was at that path and under
//! it. Accepts a `ListFolderResult` (`{entries, cursor, has_more}`), an
//! array of entries, or one entry.
//!
//! Files carry no licence; their embedded metadata arrives through the
//! files path (`POST /api/ingest/files`) once the connector downloads them.

use super::assetgraph::Preview;
use super::json::{self, FieldResult, Obj};
use super::{asset_triples, batch_items, map_items, Action, Extra, Mapped, Mapping, RecordResult};
use super::{Source, Stamp, Texts};
use crate::error::Result;
use crate::rdf::asset_iri;
use crate::vocab::{ag, dcterms};
use oxigraph::model::vocab::rdf;
use serde_json::Value;

pub(crate) fn map_batch(value: Value, mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let items = batch_items(value, &["entries"])?;
    Ok(map_items(
        items,
        |v| v.get("id").and_then(Value::as_str).map(|id| format!("dropbox:{id}")),
        |v| map_entry(&json::record(v)?, mapping),
    ))
}

fn map_entry(entry: &Obj<'_>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    let tag = entry.required_string(".tag")?;
    match tag {
        "file" => map_file(entry, mapping),
        "folder" => map_folder(entry),
        "deleted" => {
            let path = entry
                .string("path_lower")?
                .or(entry.string("path_display")?)
                .ok_or_else(|| ("path_lower".to_owned(), "a deleted entry needs its path".to_owned()))?;
            Ok(Mapped {
                id: format!("dropbox:path:{}", path.to_lowercase()),
                stamp: None,
                action: Action::DeletePath(path.to_lowercase()),
            })
        }
        other => Err((
            ".tag".into(),
            format!("'{other}' is not an entry kind: expected file, folder or deleted"),
        )),
    }
}

/// The folder a path sits in: `/Homework/math/a.txt` → `/Homework/math`.
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn map_file(file: &Obj<'_>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    let id = format!("dropbox:{}", file.required_string("id")?);
    let name = file.required_string("name")?;
    let stamp = file.time("server_modified")?.map(Stamp::Modified);
    let asset = asset_iri(&id);
    let mut extra = Extra::new(asset.clone());
    let display = file.string("path_display")?;
    let lower = file.string("path_lower")?;
    extra.literal(ag::term("fileName").as_ref(), Some(name));
    extra.literal(ag::term("path").as_ref(), display);
    extra.literal(ag::term("pathLower").as_ref(), lower);
    if let Some(path) = display.or(lower) {
        extra.literal(ag::term("folderPath").as_ref(), Some(parent(path)));
    }
    extra.literal(ag::term("revision").as_ref(), file.string("rev")?);
    extra.integer(ag::term("fileSize").as_ref(), file.integer("size")?);
    extra.literal(ag::term("contentHash").as_ref(), file.string("content_hash")?);
    extra.boolean(ag::term("downloadable").as_ref(), file.boolean("is_downloadable")?);
    extra.time(dcterms::CREATED, file.time("client_modified")?);
    extra.time(dcterms::MODIFIED, file.time("server_modified")?);
    let mut record = Texts::default().into_record(id.clone(), name);
    record.content_type = super::content_type_of(name).map(str::to_owned);
    record.preview = Preview::at(file.string("preview_url")?, None, None);
    let triples = asset_triples(&record, Source::Dropbox, extra.triples, stamp, mapping.territories);
    Ok(Mapped {
        id,
        stamp,
        action: Action::Upsert(triples),
    })
}

fn map_folder(folder: &Obj<'_>) -> FieldResult<Mapped> {
    let id = format!("dropbox:{}", folder.required_string("id")?);
    let mut extra = Extra::new(asset_iri(&id));
    extra.typed_link(rdf::TYPE, ag::term("Collection").as_ref());
    extra.literal(dcterms::IDENTIFIER, Some(&id));
    extra.literal(ag::SOURCE, Some("dropbox"));
    extra.literal(dcterms::TITLE, folder.string("name")?);
    let display = folder.string("path_display")?;
    extra.literal(
        ag::term("folderPath").as_ref(),
        display.or(folder.string("path_lower")?),
    );
    extra.literal(ag::term("pathLower").as_ref(), folder.string("path_lower")?);
    Ok(Mapped {
        id,
        stamp: None,
        action: Action::Upsert(extra.triples),
    })
}
