//! PhotoShelter v3 images and galleries → assets and collections.
//!
//! Accepts the API's envelope as it comes (`{status, data: {Image: …}}`,
//! `{data: {GalleryImage: [...]}}` from a gallery listing with `Image` and
//! `Iptc` embedded by `extend=`, `{data: {Gallery: …}}`), or bare records.
//! An image is `photoshelter:{image_id}`, a gallery
//! `photoshelter:gallery:{gallery_id}`, each stamped with its `updated_at` /
//! `modified_at`. IPTC keywords arrive as one comma-separated string and are
//! split. PhotoShelter sends local times without an offset; they are read
//! as UTC.
//!
//! PhotoShelter holds no licence terms: its usage terms are kept as text
//! (`xmpRights:UsageTerms`), and an image has no grant of its own.

use super::assetgraph::Preview;
use super::json::{self, FieldResult, Obj};
use super::{asset_triples, batch_items, map_items, Action, Extra, Mapped, Mapping, RecordResult};
use super::{Source, Stamp, Texts};
use crate::error::Result;
use crate::rdf::asset_iri;
use crate::vocab::{ag, dcterms};
use oxigraph::model::vocab::rdf;
use oxigraph::model::NamedNode;
use serde_json::Value;

pub(crate) const USAGE_TERMS: &str = "http://ns.adobe.com/xap/1.0/rights/UsageTerms";

pub(crate) fn map_batch(value: Value, mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let value = match value {
        Value::Object(mut o) if o.contains_key("data") => o.remove("data").unwrap_or(Value::Null),
        other => other,
    };
    let items = batch_items(value, &["GalleryImage", "Image", "Gallery", "images", "galleries"])?;
    Ok(map_items(
        items,
        |v| {
            v.get("image_id")
                .or_else(|| v.get("gallery_id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        },
        |v| {
            let record = json::record(v)?;
            if record.get("gallery_id").is_some() && record.get("image_id").is_none() {
                map_gallery(&record)
            } else {
                map_image(&record, mapping)
            }
        },
    ))
}

fn map_image(item: &Obj<'_>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    // A GalleryImage carries the image's own fields under `Image` when extended.
    let image = item.object("Image")?.unwrap_or_else(|| item.clone());
    let image_id = match image.id("image_id")? {
        Some(id) => id,
        None => item.required_id("image_id")?,
    };
    let id = format!("photoshelter:{image_id}");
    let iptc = match item.object("Iptc")? {
        Some(iptc) => Some(iptc),
        None => image.object("Iptc")?,
    };
    let file_name = image.string("file_name")?;
    let stamp = image.time("updated_at")?.map(Stamp::Modified);
    let asset = asset_iri(&id);
    let mut extra = Extra::new(asset.clone());
    let mut texts = Texts::default();
    if let Some(iptc) = &iptc {
        let english = texts.entry("en");
        english.title = iptc.string("headline")?.or(iptc.string("title")?).map(str::to_owned);
        english.description = iptc.string("caption")?.map(str::to_owned);
        english.keywords = split_keywords(iptc.string("keyword")?.or(iptc.string("keywords")?));
        extra.literal(ag::term("credit").as_ref(), iptc.string("credit")?);
        extra.literal(dcterms::RIGHTS, iptc.string("copyright")?);
        extra.literal(dcterms::CREATOR, iptc.string("byline")?.or(iptc.string("creator")?));
        extra.literal(
            NamedNode::new_unchecked(USAGE_TERMS).as_ref(),
            iptc.string("usage_terms")?.or(iptc.string("rights_usage_terms")?),
        );
        extra.literal(ag::term("jobIdentifier").as_ref(), iptc.string("job_identifier")?);
    }
    let mut record = texts.into_record(id.clone(), file_name.unwrap_or(&id));
    record.content_type = Some("image".into());
    extra.literal(ag::term("fileName").as_ref(), file_name);
    extra.integer(ag::term("fileSize").as_ref(), image.integer("file_size")?);
    extra.integer(ag::term("width").as_ref(), image.integer("width")?);
    extra.integer(ag::term("height").as_ref(), image.integer("height")?);
    extra.time(dcterms::MODIFIED, image.time("updated_at")?);
    let visible = match item.get("f_visible").or_else(|| image.get("f_visible")) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "t" | "true" | "1" | "yes")),
        Some(Value::Number(n)) => Some(n.as_i64() != Some(0)),
        _ => None,
    };
    extra.boolean(ag::term("visible").as_ref(), visible);
    extra.time(
        ag::term("licenseExpires").as_ref(),
        image.time("license_expiration_date")?,
    );
    if let Some(gallery) = item.id("gallery_id")? {
        extra.link(ag::COLLECTION, &asset_iri(&format!("photoshelter:gallery:{gallery}")));
    }
    if let Some(link) = item.object("ImageLink")? {
        record.preview = Preview::at(link.string("link")?, None, None);
    }
    let triples = asset_triples(&record, Source::PhotoShelter, extra.triples, stamp, mapping.territories);
    Ok(Mapped {
        id,
        stamp,
        action: Action::Upsert(triples),
    })
}

fn map_gallery(gallery: &Obj<'_>) -> FieldResult<Mapped> {
    let id = format!("photoshelter:gallery:{}", gallery.required_id("gallery_id")?);
    let node = asset_iri(&id);
    let stamp = gallery.time("modified_at")?.map(Stamp::Modified);
    let mut extra = Extra::new(node.clone());
    extra.typed_link(rdf::TYPE, ag::term("Collection").as_ref());
    extra.literal(dcterms::IDENTIFIER, Some(&id));
    extra.literal(ag::SOURCE, Some("photoshelter"));
    extra.literal(dcterms::TITLE, gallery.string("name")?);
    extra.literal(dcterms::DESCRIPTION, gallery.string("description")?);
    let mode = match gallery.object("Visibility")? {
        Some(v) => v.string("mode")?,
        None => gallery.string("mode")?.or(gallery.string("effective_mode")?),
    };
    extra.literal(ag::term("visibility").as_ref(), mode);
    if let Some(key) = gallery.object("KeyImage")? {
        if let Some(image) = key.id("image_id")? {
            extra.link(
                ag::term("keyImage").as_ref(),
                &asset_iri(&format!("photoshelter:{image}")),
            );
        }
    }
    extra.time(dcterms::MODIFIED, gallery.time("modified_at")?);
    if let Some(stamp) = stamp {
        extra.typed(ag::SOURCE_VERSION, stamp.literal());
    }
    Ok(Mapped {
        id,
        stamp,
        action: Action::Upsert(extra.triples),
    })
}

/// IPTC keywords as PhotoShelter sends them: one comma-separated string.
pub(crate) fn split_keywords(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', ';'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}
