//! Rightsline v4 entities and SNS messages → records with ODRL rights.
//!
//! Every entity is one record, `rightsline:{char type}:{id}`
//! (`rightsline:catalog-item:26`, `rightsline:right:2200`), stamped with its
//! `lastUpdatedDate`. Its title, template, status, parents and every
//! characteristic are kept (a characteristic `notes` as
//! `<https://w3id.org/assetgraph/rightsline/char/notes>`), so analysts can
//! ask for any of them.
//!
//! A **right** becomes a policy that targets its parent records (the catalog
//! items or deals of `parentRelationship`): a Rights In template is a grant;
//! an *exclusive* Rights Out is a restriction (`exclusive-rights-out`); a
//! holdback template is a restriction (`holdback`); a non-exclusive Rights Out
//! restricts nothing. A right whose status is inactive contributes no rule.
//! Which characteristic holds media, territory, language, channel, term start,
//! term end and exclusivity is tenant-specific and comes from the
//! `[connectors.rightsline.mapping]` configuration ([`RightslineMapping`]); media and channel
//! both constrain the context's channel. A term end given as a date is
//! inclusive (the right holds through that day), so the window ends at the
//! following midnight UTC.
//!
//! Entities carry no char type of their own: it comes from `charTypeId`
//! when present, from the batch (`?type=right`), or from the template
//! (a Rights In/Out/Holdback template is a right).
//!
//! SNS messages (the bare message or the HTTPS envelope) are pointers: a
//! `deleted` action drops the entity's record; any other action is kept as
//! the entity's latest notice, `rightsline:notice:{char type}:{id}`, with
//! `ag:needsRefetch` so that the connector fetches the entity.

use super::json::{self, FieldResult, Obj};
use super::{batch_items, map_items, Action, Extra, Mapped, Mapping, RecordResult, Stamp};
use crate::error::{Error, Result};
use crate::rdf::asset_iri;
use crate::rights::{policy_triples, Dimension, Key, RestrictionKind, RightsStatement, Rule};
use crate::vocab::{ag, dcterms};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedNode, Triple};
use serde::Deserialize;
use serde_json::Value;

/// Which characteristics (by tag label) hold each rights dimension, and
/// which templates and statuses mean what. Labels and names are matched
/// case-insensitively; template names by containment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RightslineMapping {
    pub media: Vec<String>,
    pub territory: Vec<String>,
    pub language: Vec<String>,
    pub channel: Vec<String>,
    pub term_start: Vec<String>,
    pub term_end: Vec<String>,
    pub exclusivity: Vec<String>,
    pub rights_in_templates: Vec<String>,
    pub rights_out_templates: Vec<String>,
    pub holdback_templates: Vec<String>,
    pub inactive_statuses: Vec<String>,
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

impl Default for RightslineMapping {
    fn default() -> Self {
        RightslineMapping {
            media: strings(&["media_right", "media_rights", "media"]),
            territory: strings(&["territory", "territories"]),
            language: strings(&["language", "languages"]),
            channel: strings(&["channel", "channels"]),
            term_start: strings(&["term_start", "actual_term_start", "contract_term_start"]),
            term_end: strings(&["term_end", "actual_term_end", "contract_term_end"]),
            exclusivity: strings(&["exclusivity", "exclusive", "is_exclusive"]),
            rights_in_templates: strings(&["Rights In"]),
            rights_out_templates: strings(&["Rights Out"]),
            holdback_templates: strings(&["Holdback"]),
            inactive_statuses: strings(&[
                "Inactive",
                "Cancelled",
                "Canceled",
                "Terminated",
                "Expired",
                "Rejected",
                "Deleted",
            ]),
        }
    }
}

const CHARACTERISTIC: &str = "https://w3id.org/assetgraph/rightsline/char/";

/// The char types of Rightsline's entity model.
const CHAR_TYPES: [(i64, &str); 13] = [
    (0, "relationship"),
    (1, "catalog-item"),
    (2, "contact"),
    (3, "right"),
    (4, "deal"),
    (5, "table"),
    (7, "financial-document"),
    (10, "amount"),
    (13, "royalty"),
    (14, "file"),
    (15, "job"),
    (16, "project"),
    (17, "inventory"),
];

/// The number of a char type (`right` → 3).
pub(crate) fn char_type_id(name: &str) -> Option<i64> {
    CHAR_TYPES.iter().find(|(_, n)| *n == name).map(|(i, _)| *i)
}

pub(crate) fn char_type_name(id: i64) -> Option<&'static str> {
    CHAR_TYPES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// A char type given by name (`right`, `catalog-item`) or number (`3`).
pub(crate) fn parse_char_type(text: &str) -> Option<&'static str> {
    let lower = text.trim().to_ascii_lowercase().replace('_', "-");
    if let Ok(id) = lower.parse::<i64>() {
        return char_type_name(id);
    }
    CHAR_TYPES.iter().find(|(_, n)| *n == lower).map(|(_, n)| *n)
}

pub(crate) fn map_batch(value: Value, mapping: &Mapping<'_>) -> Result<Vec<RecordResult>> {
    let hint = match mapping.record_type {
        Some(text) => Some(parse_char_type(text).ok_or_else(|| {
            Error::invalid_field(
                "type",
                format!(
                    "'{text}' is not a Rightsline char type; use one of: {}",
                    CHAR_TYPES.map(|(_, n)| n).join(", ")
                ),
            )
        })?),
        None => None,
    };
    let items = batch_items(value, &["entities", "rows", "Records"])?;
    Ok(map_items(
        items,
        |v| v.get("id").or_else(|| v.get("entityId")).map(|id| id.to_string()),
        |v| {
            let item = unwrap_sns(v)?;
            let obj = json::record(&item)?;
            if obj.get("action").is_some() && obj.get("entity").is_some() {
                map_message(&obj)
            } else {
                map_entity(&obj, hint, mapping)
            }
        },
    ))
}

/// The message inside an SNS HTTPS envelope, or the item itself.
fn unwrap_sns(v: &Value) -> FieldResult<Value> {
    if v.get("Type").and_then(Value::as_str) == Some("Notification") {
        let text = v
            .get("Message")
            .and_then(Value::as_str)
            .ok_or_else(|| ("Message".to_owned(), "an SNS notification needs its Message".to_owned()))?;
        return serde_json::from_str(text)
            .map_err(|e| ("Message".to_owned(), format!("the SNS Message is not JSON: {e}")));
    }
    Ok(v.clone())
}

fn record_id(char_type: &str, id: &str) -> String {
    format!("rightsline:{char_type}:{id}")
}

fn map_entity(entity: &Obj<'_>, hint: Option<&'static str>, mapping: &Mapping<'_>) -> FieldResult<Mapped> {
    let id = entity.required_id("id")?;
    let template = entity.object("template")?;
    let template_name = match &template {
        Some(t) => t.string("templateName")?,
        None => None,
    };
    let config = mapping.rightsline;
    let kind = template_name.and_then(|name| template_kind(name, config));
    let char_type = match entity.integer("charTypeId")? {
        Some(n) => char_type_name(n).ok_or_else(|| (entity.at("charTypeId"), format!("{n} is not a char type")))?,
        None => match (hint, kind) {
            (Some(hint), _) => hint,
            (None, Some(_)) => "right",
            (None, None) => {
                return Err((
                    "charTypeId".into(),
                    "cannot tell the entity's char type: send charTypeId, or ingest with ?type=catalog-item (or right, deal…)"
                        .into(),
                ))
            }
        },
    };
    let record_id = record_id(char_type, &id);
    let node = asset_iri(&record_id);
    let stamp = entity.time("lastUpdatedDate")?.map(Stamp::Modified);
    let mut extra = Extra::new(node.clone());
    let class = if char_type == "right" {
        ag::RIGHTS_RECORD
    } else {
        ag::ASSET
    };
    extra.typed_link(rdf::TYPE, class);
    extra.literal(dcterms::IDENTIFIER, Some(&record_id));
    extra.literal(ag::SOURCE, Some("rightsline"));
    extra.literal(ag::term("charType").as_ref(), Some(char_type));
    extra.literal(ag::term("sourceId").as_ref(), Some(&id));
    extra.literal(dcterms::TITLE, entity.string("title")?);
    extra.integer(ag::term("revision").as_ref(), entity.integer("revisionId")?);
    extra.literal(ag::TEMPLATE, template_name);
    if let Some(t) = &template {
        extra.literal(ag::PROCESS, t.string("processName")?);
    }
    let status = match entity.object("status")? {
        Some(s) => s.string("statusName")?,
        None => None,
    };
    extra.literal(ag::STATUS, status);
    extra.literal(ag::STATUS_UPDATED_BY, entity.id("statusUpdatedById")?.as_deref());
    extra.time(ag::STATUS_UPDATED_AT, entity.time("statusUpdatedDate")?);
    extra.time(dcterms::CREATED, entity.time("createdDate")?);
    extra.time(dcterms::MODIFIED, entity.time("lastUpdatedDate")?);

    let parents = parents(entity)?;
    for parent in &parents {
        extra.link(dcterms::IS_PART_OF, parent);
    }
    let characteristics = entity.object("characteristics")?;
    if let Some(chars) = &characteristics {
        for (label, value) in chars.map.iter() {
            let predicate = NamedNode::new(format!("{CHARACTERISTIC}{}", crate::rdf::percent_encode(label)))
                .map_err(|e| (chars.at(label), format!("cannot name this characteristic: {e}")))?;
            for item in values(value) {
                extra.literal(predicate.as_ref(), Some(&item.value));
                if let Some(xref) = &item.xref {
                    extra.literal(ag::term("xref").as_ref(), Some(xref));
                }
            }
        }
    }

    let mut triples = extra.triples;
    if char_type == "right" {
        let inactive = status.is_some_and(|s| config.inactive_statuses.iter().any(|i| i.eq_ignore_ascii_case(s)));
        let rights = right_rules(characteristics.as_ref(), kind, inactive, config, mapping)?;
        if parents.is_empty() && (!rights.grants.is_empty() || !rights.restrictions.is_empty()) {
            return Err((
                "parentRelationship".into(),
                "a right must name the catalog item or deal it belongs to (parentRelationship)".into(),
            ));
        }
        triples.extend(policy_triples(&node, &parents, &rights, mapping.territories));
    }
    if let Some(stamp) = stamp {
        triples.push(Triple::new(node, ag::SOURCE_VERSION, stamp.literal()));
    }
    Ok(Mapped {
        id: record_id,
        stamp,
        action: Action::Upsert(triples),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TemplateKind {
    RightsIn,
    RightsOut,
    Holdback,
}

fn template_kind(name: &str, config: &RightslineMapping) -> Option<TemplateKind> {
    let name = name.to_lowercase();
    let matches = |list: &[String]| list.iter().any(|t| name.contains(&t.to_lowercase()));
    if matches(&config.holdback_templates) {
        Some(TemplateKind::Holdback)
    } else if matches(&config.rights_in_templates) {
        Some(TemplateKind::RightsIn)
    } else if matches(&config.rights_out_templates) {
        Some(TemplateKind::RightsOut)
    } else {
        None
    }
}

fn parents(entity: &Obj<'_>) -> FieldResult<Vec<NamedNode>> {
    let mut out = Vec::new();
    for parent in entity.objects("parentRelationship")? {
        let char_type = parent.integer("parentCharTypeId")?.and_then(char_type_name);
        let (Some(char_type), Some(id)) = (char_type, parent.id("parentRecordId")?) else {
            return Err((
                parent.at("parentCharTypeId"),
                "a parent needs parentCharTypeId (a known char type) and parentRecordId".into(),
            ));
        };
        out.push(asset_iri(&record_id(char_type, &id)));
    }
    Ok(out)
}

/// A characteristic's value(s): a scalar, an LOV item `{id, value, xref}`,
/// a list of them, or a money object.
struct Item {
    value: String,
    xref: Option<String>,
}

fn values(value: &Value) -> Vec<Item> {
    let scalar = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().flat_map(values).collect(),
        Value::Object(o) if o.contains_key("value") || o.contains_key("Value") => {
            let v = o.get("value").or_else(|| o.get("Value")).and_then(scalar);
            let xref = o.get("xref").or_else(|| o.get("Xref")).and_then(scalar);
            v.or_else(|| xref.clone())
                .map(|value| Item { value, xref })
                .into_iter()
                .collect()
        }
        Value::Object(o) if o.contains_key("locAmt") => {
            let amount = o.get("locAmt").and_then(scalar);
            let currency = o.get("locCur").and_then(scalar).unwrap_or_default();
            amount
                .map(|a| Item {
                    value: format!("{a} {currency}").trim().to_owned(),
                    xref: None,
                })
                .into_iter()
                .collect()
        }
        other => scalar(other)
            .map(|value| Item { value, xref: None })
            .into_iter()
            .collect(),
    }
}

/// The values of the characteristics mapped to one dimension; an LOV item's
/// `xref` (an ISO code, often) is preferred when a vocabulary knows it.
fn dimension_values(chars: &Obj<'_>, labels: &[String], dimension: Dimension, mapping: &Mapping<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (label, value) in chars.map.iter() {
        if !labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
            continue;
        }
        for item in values(value) {
            let xref_known = item
                .xref
                .as_deref()
                .filter(|x| !matches!(Key::resolve(dimension, x, mapping.territories), Key::Unknown(_)));
            out.push(xref_known.map_or(item.value.clone(), str::to_owned));
        }
    }
    out
}

fn first_value(chars: &Obj<'_>, labels: &[String]) -> Option<(String, String)> {
    chars.map.iter().find_map(|(label, value)| {
        labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(label))
            .then(|| values(value).into_iter().next().map(|i| (label.clone(), i.value)))
            .flatten()
    })
}

fn right_rules(
    chars: Option<&Obj<'_>>,
    kind: Option<TemplateKind>,
    inactive: bool,
    config: &RightslineMapping,
    mapping: &Mapping<'_>,
) -> FieldResult<RightsStatement> {
    let mut rights = RightsStatement::default();
    let (Some(kind), Some(chars), false) = (kind, chars, inactive) else {
        return Ok(rights);
    };
    let mut rule = Rule::default();
    let mut channels = dimension_values(chars, &config.media, Dimension::Channel, mapping);
    channels.extend(dimension_values(chars, &config.channel, Dimension::Channel, mapping));
    rule.values[Dimension::Channel as usize] = channels;
    rule.values[Dimension::Territory as usize] =
        dimension_values(chars, &config.territory, Dimension::Territory, mapping);
    rule.values[Dimension::Language as usize] = dimension_values(chars, &config.language, Dimension::Language, mapping);
    let date = |labels: &[String], inclusive_end: bool| -> FieldResult<Option<i64>> {
        let Some((label, text)) = first_value(chars, labels) else {
            return Ok(None);
        };
        let at = crate::rdf::time::parse(&text).ok_or_else(|| {
            (
                chars.at(&label),
                format!("'{text}' is not a date (2026-12-01) or date-time"),
            )
        })?;
        let date_only = !text.contains('T');
        Ok(Some(if inclusive_end && date_only { at + 86_400 } else { at }))
    };
    rule.from = date(&config.term_start, false)?;
    rule.until = date(&config.term_end, true)?;
    if let (Some(from), Some(until)) = (rule.from, rule.until) {
        if until <= from {
            return Err(("characteristics".into(), "the term ends before it starts".into()));
        }
    }
    let exclusive = first_value(chars, &config.exclusivity).is_some_and(|(_, v)| {
        let v = v.to_lowercase();
        v == "true" || v == "yes" || v == "y" || v.starts_with("excl")
    });
    match kind {
        TemplateKind::RightsIn => rights.grants.push(rule),
        TemplateKind::RightsOut if exclusive => {
            rule.restriction = Some(RestrictionKind::ExclusiveRightsOut);
            rights.restrictions.push(rule);
        }
        TemplateKind::RightsOut => {}
        TemplateKind::Holdback => {
            rule.restriction = Some(RestrictionKind::Holdback);
            rights.restrictions.push(rule);
        }
    }
    Ok(rights)
}

/// An SNS message body: `deleted` drops the entity; others are kept as a notice.
fn map_message(message: &Obj<'_>) -> FieldResult<Mapped> {
    let action = message.required_string("action")?;
    let entity = message
        .object("entity")?
        .ok_or_else(|| ("entity".to_owned(), "is required".to_owned()))?;
    let id = entity.required_id("entityId")?;
    let char_type_id = entity
        .integer("charTypeId")?
        .ok_or_else(|| (entity.at("charTypeId"), "is required".to_owned()))?;
    let char_type = char_type_name(char_type_id)
        .ok_or_else(|| (entity.at("charTypeId"), format!("{char_type_id} is not a char type")))?;
    let stamp = message.time("lastUpdatedDate")?.map(Stamp::Modified);
    if action == "deleted" {
        return Ok(Mapped {
            id: record_id(char_type, &id),
            stamp: None,
            action: Action::Delete,
        });
    }
    let notice_id = format!("rightsline:notice:{char_type}:{id}");
    let node = asset_iri(&notice_id);
    let mut extra = Extra::new(node.clone());
    extra.typed_link(rdf::TYPE, ag::term("RightslineNotice").as_ref());
    extra.literal(dcterms::IDENTIFIER, Some(&notice_id));
    extra.literal(ag::SOURCE, Some("rightsline"));
    extra.literal(ag::term("action").as_ref(), Some(action));
    extra.link(ag::term("about").as_ref(), &asset_iri(&record_id(char_type, &id)));
    if let Some(template) = entity.object("template")? {
        extra.literal(ag::TEMPLATE, template.string("templateName")?);
    }
    if let Some(status) = entity.object("status")? {
        extra.literal(ag::STATUS, status.string("statusName")?);
    }
    let roots = match message.object("rootEntity")? {
        Some(root) => vec![root],
        None => message.objects("rootEntities")?,
    };
    for root in roots {
        let root_type = root.integer("charTypeId")?.and_then(char_type_name);
        if let (Some(t), Some(root_id)) = (root_type, root.id("entityId")?) {
            extra.link(dcterms::IS_PART_OF, &asset_iri(&record_id(t, &root_id)));
        }
    }
    extra.boolean(ag::term("needsRefetch").as_ref(), Some(true));
    extra.time(dcterms::MODIFIED, message.time("lastUpdatedDate")?);
    if let Some(stamp) = stamp {
        extra.typed(ag::SOURCE_VERSION, stamp.literal());
    }
    Ok(Mapped {
        id: notice_id,
        stamp,
        action: Action::Upsert(extra.triples),
    })
}
