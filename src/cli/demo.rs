//! The demo of `assetgraph serve --demo`: a campaign taxonomy and assets
//! from three sources with rights that differ by territory, channel,
//! audience and date, and six months of their use (`demo/`, written by
//! `demo/tools/gen_demo_assets.py`).
//!
//! The records' dates are written for a demo "today" of [`WRITTEN_FOR`].
//! On load every date moves by the days from then to the real today, so
//! the demo looks the same on any day: a grant "ending in six months" still
//! ends in six months, nothing expires the month after a release.

use crate::error::Result;
use crate::ingest::{Mapping, Source};
use crate::store::Store;
use crate::taxonomy::{self, Push, PushMode};
use oxigraph::io::RdfFormat;
use serde_json::Value;
use time::macros::{date, format_description};
use time::{Date, Duration, OffsetDateTime};

/// The demo's taxonomy, pushed as project `demo`.
pub(crate) const TAXONOMY: &str = include_str!("../../demo/campaigns.ttl");

/// The demo's asset and rights records, by source.
const ASSETS: [(Source, &str); 3] = [
    (Source::AssetGraph, include_str!("../../demo/assets.json")),
    (Source::SmintIo, include_str!("../../demo/smintio.json")),
    (Source::Rightsline, include_str!("../../demo/rightsline.json")),
];

/// What people did with the demo assets, as `POST /api/usage` takes it.
const USAGE: &str = include_str!("../../demo/usage.json");

/// The day the records' dates were written for.
pub(crate) const WRITTEN_FOR: Date = date!(2026 - 07 - 01);

/// Pushes the demo taxonomy and upserts the demo assets, their dates
/// moved to today.
pub(crate) fn load(store: &Store) -> Result<()> {
    let quads = crate::rdf::parse("demo/campaigns.ttl", RdfFormat::Turtle, TAXONOMY.as_bytes(), &|_| {})?;
    let report = taxonomy::push(
        store,
        Push {
            project: "demo".into(),
            mode: PushMode::Replace,
            quads,
            default_graph: None,
            actor: "demo".into(),
            tenant: crate::store::DEFAULT_TENANT.into(),
        },
    )?;
    tracing::info!(project = "demo", concepts = report.counts.concepts, version = %report.version, changed = report.changed, "demo taxonomy loaded");
    let shift = OffsetDateTime::now_utc().date() - WRITTEN_FOR;
    let mapping = Mapping {
        territories: crate::rights::Territories::global(),
        rightsline: &crate::ingest::RightslineMapping::default(),
        record_type: None,
    };
    for (source, body) in ASSETS {
        let body = moved_by(body, shift);
        let records = crate::ingest::map_batch(source, body.as_bytes(), &mapping)?;
        let report = crate::assets::upsert(
            store,
            records,
            &crate::assets::Ingest {
                source,
                actor: "demo",
                tenant: crate::store::DEFAULT_TENANT,
                on_error: crate::assets::OnError::Reject,
            },
        )?;
        tracing::info!(
            source = source.name(),
            records = report.records,
            created = report.created,
            days_moved = shift.whole_days(),
            "demo assets loaded"
        );
    }
    load_usage(store, shift)
}

/// The demo's usage events, through the usage write path like any other;
/// their ids make a second load record nothing new.
fn load_usage(store: &Store, shift: Duration) -> Result<()> {
    let events = crate::usage::parse_batch(moved_by(USAGE, shift).as_bytes())?;
    let how = crate::usage::Recording {
        actor: "demo",
        tenant: crate::store::DEFAULT_TENANT,
        sees: None,
        on_error: crate::assets::OnError::Reject,
        now: OffsetDateTime::now_utc().unix_timestamp(),
    };
    let report = crate::usage::record(store, events, &crate::records::FromStore(store), &how)?;
    tracing::info!(
        recorded = report.recorded,
        duplicates = report.duplicates,
        "demo usage loaded"
    );
    Ok(())
}

/// The JSON text with every date (`2026-12-31`) and the date of every
/// timestamp (`2026-12-31T23:59:59Z`) moved by `shift`.
fn moved_by(json: &str, shift: Duration) -> String {
    let mut value: Value = serde_json::from_str(json).expect("the demo records are JSON");
    move_dates(&mut value, shift);
    value.to_string()
}

fn move_dates(value: &mut Value, shift: Duration) {
    match value {
        Value::String(text) => {
            if let Some(moved) = moved_date(text, shift) {
                *text = moved;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| move_dates(v, shift)),
        Value::Object(fields) => fields.values_mut().for_each(|v| move_dates(v, shift)),
        _ => {}
    }
}

/// `text` with its leading date moved, when it is a date or a timestamp.
fn moved_date(text: &str, shift: Duration) -> Option<String> {
    let (day, rest) = (text.get(..10)?, &text[10..]);
    if !(rest.is_empty() || rest.starts_with('T')) {
        return None;
    }
    let format = format_description!("[year]-[month]-[day]");
    let moved = Date::parse(day, format).ok()?.checked_add(shift)?;
    Some(format!("{}{rest}", moved.format(format).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_move_and_nothing_else_does() {
        let shift = Duration::days(159);
        assert_eq!(moved_date("2026-12-31", shift).as_deref(), Some("2027-06-08"));
        assert_eq!(
            moved_date("2026-12-31T23:59:59Z", shift).as_deref(),
            Some("2027-06-08T23:59:59Z")
        );
        for untouched in ["2:0:61019701", "brand:2026-01-01x", "Spring Campaign", "2026"] {
            assert_eq!(moved_date(untouched, shift), None, "{untouched}");
        }
    }

    #[test]
    fn the_demo_records_keep_their_shape_when_moved() {
        for (_, body) in ASSETS {
            let moved: Value = serde_json::from_str(&moved_by(body, Duration::days(400))).unwrap();
            let original: Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                moved.to_string().len(),
                original.to_string().len(),
                "only digits of dates change"
            );
            assert_ne!(moved, original);
        }
    }
}
