//! Smint.io licence purchase transactions (LPTs) → assets with ODRL rights.
//!
//! One purchase is one asset, `smintio:{lpt uuid}`, whose version stamp is
//! the LPT's `version`. A batch is the sync result as Smint.io returns it
//! (`{count, continuation_uuid, license_purchase_transactions}`) or a bare
//! array of transactions.
//!
//! Rights: every licence term is one grant (its `allowed_*` lists; usages,
//! distributions → channel, geographies → territory, industries, languages)
//! active from `valid_from` until the earlier of `valid_until` and
//! `to_be_used_until` (a new use after the latter is not allowed). Each
//! non-empty `restricted_*` list of a term is one restriction of its own in
//! the term's window, so that any one of them blocks. Sizes, placements,
//! usage limits and exclusivities are kept as facts of the term; they are not
//! dimensions of a context. A `cancelled` state cancels the asset, an
//! editorial flag on the content or on any term makes it editorial-only,
//! and `effective_max_downloads` > 0 limits downloads (≤ 0 or null is
//! unlimited). LPTs with `can_be_synced: false` are skipped, as Smint.io's
//! own sync does.

use super::assetgraph::Preview;
use super::json::{self, FieldResult, Obj};
use super::{asset_triples, batch_items, map_items, Action, Extra, Mapped, Mapping, RecordResult, Source};
use super::{text_literal, Stamp, Texts};
use crate::error::Result;
use crate::rdf::asset_iri;
use crate::rights::{Dimension, RestrictionKind, RightsStatement, Rule};
use crate::vocab::{ag, dcterms};
use oxigraph::model::{Literal, NamedNode};
use serde_json::Value;

pub(crate) fn map_batch(value: Value, mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let items = batch_items(value, &["license_purchase_transactions"])?;
    Ok(map_items(
        items,
        |v| v.get("uuid").and_then(id_text).map(|id| format!("smintio:{id}")),
        |v| map_lpt(&json::record(v)?, mapping),
    ))
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The terms' allowed and restricted lists, per context dimension.
const TERM_DIMENSIONS: [(&str, Dimension); 5] = [
    ("usages", Dimension::Usage),
    ("distributions", Dimension::Channel),
    ("geographies", Dimension::Territory),
    ("industries", Dimension::Industry),
    ("languages", Dimension::Language),
];

/// The content's preview image: the first culture's `preview`, else its
/// `thumbnail` (`previews: [{culture, preview: {thumbnail, preview}}]`).
fn preview(content: &Obj<'_>) -> FieldResult<Option<Preview>> {
    for entry in content.objects("previews")? {
        let Some(sizes) = entry.object("preview")? else {
            continue;
        };
        for size in ["preview", "thumbnail"] {
            if let Some(image) = sizes.object(size)? {
                let found = Preview::at(image.string("url")?, image.integer("width")?, image.integer("height")?);
                if found.is_some() {
                    return Ok(found);
                }
            }
        }
    }
    Ok(None)
}

fn map_lpt(lpt: &Obj<'_>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    let id = format!("smintio:{}", lpt.required_id("uuid")?);
    let stamp = lpt.integer("version")?.map(Stamp::Version);
    if lpt.boolean("can_be_synced")? == Some(false) {
        return Ok(Mapped {
            id,
            stamp,
            action: Action::Skip("Smint.io marks this purchase can_be_synced: false"),
        });
    }
    let asset = asset_iri(&id);
    let content = lpt.object("content_element")?;
    let offering = lpt.object("offering")?;
    let mut extra = Extra::new(asset.clone());

    let mut texts = Texts::default();
    let mut fallback = id.clone();
    if let Some(c) = &content {
        for (culture, name) in localized(c, "name")? {
            texts.entry(&culture).title = Some(name);
        }
        for (culture, description) in localized(c, "description")? {
            texts.entry(&culture).description = Some(description);
        }
        for (culture, element) in localized_elements(c, "keywords")? {
            if let Some(keyword) = element.string("name")? {
                texts.entry(&culture).keywords.push(keyword.to_owned());
            }
        }
        if let Some(uuid) = c.id("uuid")? {
            fallback = format!("Smint.io content {uuid}");
        }
    }
    let mut record = texts.into_record(id.clone(), &fallback);

    if let Some(c) = &content {
        record.content_type = c.string("content_type")?.map(str::to_owned);
        record.preview = preview(c)?;
        content_facts(c, &mut extra)?;
    }
    purchase_facts(lpt, &mut extra)?;
    if let Some(o) = &offering {
        extra.literal(ag::term("licenseType").as_ref(), o.string("license_type")?);
        extra.literal(ag::term("offering").as_ref(), o.string("offering_name")?);
        for (_, element) in localized_elements(o, "license_urls")? {
            extra.url(dcterms::LICENSE, element.string("url")?);
        }
    }
    // Current payloads carry the licence text at the top level; older ones under the offering.
    let license_text = match lpt.object("license_text")? {
        Some(text) => Some(text),
        None => offering
            .as_ref()
            .map(|o| o.object("license_text"))
            .transpose()?
            .flatten(),
    };
    if let Some(text) = license_text {
        for (culture, value) in localized(&text, "effective_text")? {
            extra.typed(ag::term("licenseText").as_ref(), text_literal(&value, &culture));
        }
    }

    let editorial_content = content
        .as_ref()
        .map(|c| -> FieldResult<bool> {
            Ok(c.boolean("is_editorial_use")?.unwrap_or(false) || c.string("content_category")? == Some("editorial"))
        })
        .transpose()?
        .unwrap_or(false);
    let terms = lpt.objects("license_terms")?;
    let mut rights = RightsStatement {
        cancelled: lpt
            .string("state")?
            .is_some_and(|s| s.eq_ignore_ascii_case("cancelled")),
        editorial_only: editorial_content,
        ..Default::default()
    };
    for term in &terms {
        add_term(term, &mut rights, &asset, &mut extra)?;
    }
    if let Some(constraints) = lpt.object("license_download_constraints")? {
        let max = constraints.integer("effective_max_downloads")?.filter(|&m| m > 0);
        if let Some(max) = max {
            let used = lpt.integer("current_downloads")?.unwrap_or(0).max(0);
            rights.downloads = Some((clamp(used), clamp(max)));
        }
        extra.integer(
            ag::term("maxUsers").as_ref(),
            constraints.integer("effective_max_users")?.filter(|&m| m > 0),
        );
        extra.integer(
            ag::term("maxReuses").as_ref(),
            constraints.integer("effective_max_reuses")?.filter(|&m| m > 0),
        );
    }
    for binary in lpt.objects("binaries")? {
        binary_facts(&binary, &asset, &mut extra)?;
    }
    record.rights = rights;
    let triples = asset_triples(&record, Source::SmintIo, extra.triples, stamp, mapping.territories);
    Ok(Mapped {
        id,
        stamp,
        action: Action::Upsert(triples),
    })
}

fn clamp(n: i64) -> u32 {
    n.clamp(0, u32::MAX.into()) as u32
}

fn content_facts(c: &Obj<'_>, extra: &mut Extra) -> FieldResult<()> {
    extra.literal(ag::term("contentElement").as_ref(), c.id("uuid")?.as_deref());
    extra.literal(ag::term("provider").as_ref(), c.string("provider")?);
    extra.literal(ag::term("contentCategory").as_ref(), c.string("content_category")?);
    extra.boolean(ag::term("editorial").as_ref(), c.boolean("is_editorial")?);
    extra.boolean(ag::term("premium").as_ref(), c.boolean("is_premium")?);
    extra.boolean(ag::term("aiGenerated").as_ref(), c.boolean("is_ai")?);
    for (culture, notice) in localized(c, "copyright_notices")? {
        extra.typed(dcterms::RIGHTS, text_literal(&notice, &culture));
    }
    for (_, element) in localized_elements(c, "contributors")? {
        extra.literal(dcterms::CREATOR, element.string("name")?);
    }
    for (culture, element) in localized_elements(c, "categories")? {
        if let Some(name) = element.string("name")? {
            extra.typed(ag::term("category").as_ref(), text_literal(name, &culture));
        }
    }
    for (_, element) in localized_elements(c, "provider_urls")? {
        extra.url(ag::term("providerUrl").as_ref(), element.string("url")?);
    }
    if let Some(release) = c.object("release_details")? {
        extra.literal(
            ag::term("modelRelease").as_ref(),
            release.string("model_release_state")?,
        );
        extra.literal(
            ag::term("propertyRelease").as_ref(),
            release.string("property_release_state")?,
        );
        for field in [
            "provider_allowed_use_comment",
            "provider_release_comment",
            "provider_usage_constraints",
        ] {
            for (culture, text) in localized(&release, field)? {
                extra.typed(ag::term("usageNote").as_ref(), text_literal(&text, &culture));
            }
        }
    }
    Ok(())
}

fn purchase_facts(lpt: &Obj<'_>, extra: &mut Extra) -> FieldResult<()> {
    extra.literal(ag::term("state").as_ref(), lpt.string("state")?);
    extra.literal(
        ag::term("cart").as_ref(),
        lpt.id("cart_purchase_transaction_uuid")?.as_deref(),
    );
    extra.literal(
        ag::term("reusedPurchase").as_ref(),
        lpt.id("reused_license_purchase_transaction_uuid")?.as_deref(),
    );
    extra.literal(ag::LICENSEE, lpt.string("licensee_name")?);
    extra.literal(ag::term("licenseeId").as_ref(), lpt.id("licensee_uuid")?.as_deref());
    extra.literal(ag::PURCHASED_BY, lpt.string("purchased_by_user_name")?);
    if let Some(project) = lpt.id("project_uuid")? {
        extra.literal(ag::term("project").as_ref(), Some(&project));
        for (culture, name) in localized(lpt, "project_name")? {
            extra.typed(ag::term("projectName").as_ref(), text_literal(&name, &culture));
        }
    }
    if let Some(collection) = lpt.id("collection_uuid")? {
        extra.literal(ag::COLLECTION, Some(&collection));
        for (culture, name) in localized(lpt, "collection_name")? {
            extra.typed(ag::term("collectionName").as_ref(), text_literal(&name, &culture));
        }
    }
    extra.time(ag::PURCHASED_AT, lpt.time("purchased_at")?);
    extra.time(dcterms::CREATED, lpt.time("created_at")?);
    extra.time(dcterms::MODIFIED, lpt.time("last_updated_at")?);
    for field in ["total_price_eur", "total_price_usd"] {
        if let Some(price) = lpt.number(field)? {
            let name = if field.ends_with("eur") { "priceEur" } else { "priceUsd" };
            extra.typed(
                ag::term(name).as_ref(),
                Literal::new_typed_literal(format!("{price}"), oxigraph::model::vocab::xsd::DECIMAL),
            );
        }
    }
    for (field, name) in [
        ("current_downloads", "downloadsUsed"),
        ("current_users", "users"),
        ("current_reuses", "reuses"),
    ] {
        extra.integer(ag::term(name).as_ref(), lpt.integer(field)?);
    }
    extra.boolean(
        ag::term("restrictiveTerms").as_ref(),
        lpt.boolean("has_potentially_restrictive_license_terms")?,
    );
    Ok(())
}

/// One licence term: a grant, one restriction per restricted list, and its facts.
fn add_term(term: &Obj<'_>, rights: &mut RightsStatement, asset: &NamedNode, extra: &mut Extra) -> FieldResult<()> {
    let from = term.time("valid_from")?;
    let valid_until = term.time("valid_until")?;
    let use_until = term.time("to_be_used_until")?;
    let until = match (valid_until, use_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let (Some(from), Some(until)) = (from, until) {
        if until <= from {
            return Err((
                term.at("valid_until"),
                "ends before the term starts (valid_from)".into(),
            ));
        }
    }
    if term.boolean("is_editorial_use")? == Some(true) {
        rights.editorial_only = true;
    }
    let mut grant = Rule {
        from,
        until,
        ..Default::default()
    };
    for (name, dimension) in TERM_DIMENSIONS {
        grant.values[dimension as usize] = owned(term.strings(&format!("allowed_{name}"))?);
        let restricted = owned(term.strings(&format!("restricted_{name}"))?);
        if !restricted.is_empty() {
            let mut restriction = Rule {
                from,
                until,
                restriction: Some(RestrictionKind::Restricted),
                ..Default::default()
            };
            restriction.values[dimension as usize] = restricted;
            rights.restrictions.push(restriction);
        }
    }
    rights.grants.push(grant);

    let node = NamedNode::new_unchecked(format!("{}#grant-{}", asset.as_str(), rights.grants.len()));
    let mut facts = Extra::new(node);
    facts.integer(ag::term("sequenceNumber").as_ref(), term.integer("sequence_number")?);
    for (culture, name) in localized(term, "name")? {
        facts.typed(ag::term("termName").as_ref(), text_literal(&name, &culture));
    }
    for (field, predicate) in [
        ("allowed_sizes", "size"),
        ("restricted_sizes", "restrictedSize"),
        ("allowed_placements", "placement"),
        ("restricted_placements", "restrictedPlacement"),
        ("usage_limits", "usageLimit"),
        ("exclusivities", "exclusivity"),
    ] {
        for value in term.strings(field)? {
            facts.literal(ag::term(predicate).as_ref(), Some(value));
        }
    }
    facts.time(ag::term("validUntil").as_ref(), valid_until);
    facts.time(ag::term("toBeUsedUntil").as_ref(), use_until);
    extra.triples.extend(facts.triples);
    Ok(())
}

fn binary_facts(binary: &Obj<'_>, asset: &NamedNode, extra: &mut Extra) -> FieldResult<()> {
    let uuid = binary.required_id("uuid")?;
    let node = NamedNode::new_unchecked(format!(
        "{}#binary-{}",
        asset.as_str(),
        crate::rdf::percent_encode(&uuid)
    ));
    extra.link(ag::term("binary").as_ref(), &node);
    let mut facts = Extra::new(node);
    facts.literal(dcterms::IDENTIFIER, Some(&uuid));
    facts.literal(ag::term("binaryType").as_ref(), binary.string("binary_type")?);
    facts.literal(ag::CONTENT_TYPE, binary.string("content_type")?);
    facts.literal(ag::term("fileName").as_ref(), binary.string("recommended_file_name")?);
    facts.literal(dcterms::LANGUAGE, binary.string("culture")?);
    facts.integer(ag::term("binaryVersion").as_ref(), binary.integer("version")?);
    for (culture, usage) in localized(binary, "usage")? {
        facts.typed(ag::term("usageNote").as_ref(), text_literal(&usage, &culture));
    }
    // download_url is a signed, expiring link: not kept.
    extra.triples.extend(facts.triples);
    Ok(())
}

fn owned(values: Vec<&str>) -> Vec<String> {
    values
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A LocalizedStrings array: `[{culture, value}]`.
fn localized(obj: &Obj<'_>, field: &str) -> FieldResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in obj.objects(field)? {
        if let Some(value) = item.string("value")? {
            out.push((item.string("culture")?.unwrap_or("en").to_owned(), value.to_owned()));
        }
    }
    Ok(out)
}

/// A LocalizedMetadataElements array: `[{culture, metadata_element{key,name,url}}]`.
fn localized_elements<'a>(obj: &Obj<'a>, field: &str) -> FieldResult<Vec<(String, Obj<'a>)>> {
    let mut out = Vec::new();
    for item in obj.objects(field)? {
        if let Some(element) = item.object("metadata_element")? {
            out.push((item.string("culture")?.unwrap_or("en").to_owned(), element));
        }
    }
    Ok(out)
}
