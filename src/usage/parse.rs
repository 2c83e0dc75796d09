//! Usage events as integrators send them: one JSON object, an array of
//! them, or `{"events": [...]}`.
//!
//! ```json
//! {"id": "evt-1", "asset": "smintio:88120", "user": "alice", "action": "publish",
//!  "at": "2026-11-02T10:00:00Z", "territory": "DE", "channel": "web",
//!  "usage": "advertising", "audience": "public", "campaign": "spring-launch"}
//! ```
//!
//! `asset`, `user` and `action` are required; `at` defaults to the time
//! the batch arrives. Fields nobody maps are refused rather than ignored: a
//! misspelt `teritory` must not widen the check to every territory.

use crate::error::RecordError;
use crate::error::Result;
use crate::ingest::json::{self, FieldResult, Obj};
use crate::rights::{Context, Key, Territories, DIMENSIONS};
use serde_json::Value;

/// What the event did with the asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Download,
    Publish,
    Distribute,
}

impl Action {
    const ALL: [Action; 4] = [Action::View, Action::Download, Action::Publish, Action::Distribute];

    pub fn name(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Download => "download",
            Action::Publish => "publish",
            Action::Distribute => "distribute",
        }
    }

    fn from_name(name: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One use of one asset.
#[derive(Debug, Clone)]
pub struct UsageEvent {
    /// The client's id of the event, for idempotent resends.
    pub id: Option<String>,
    /// The asset's id here (`smintio:88120`).
    pub asset: String,
    pub user: String,
    pub action: Action,
    /// Unix seconds; `None` for "now".
    pub at: Option<i64>,
    /// The context values in [`DIMENSIONS`] order, as sent.
    pub dimensions: [Option<String>; 6],
    pub campaign: Option<String>,
    /// Copies, impressions or prints, when the integrator counts them.
    pub quantity: Option<u64>,
}

const FIELDS: [&str; 13] = [
    "id",
    "asset",
    "user",
    "action",
    "at",
    "territory",
    "channel",
    "usage",
    "audience",
    "industry",
    "language",
    "campaign",
    "quantity",
];

/// The events of a request body, each parsed or with its error. A body
/// that is not JSON, or not an event or a list of them, fails as a whole.
/// Refuses a batch with an event of another user than `subject`: a
/// browser token records the usage of the person it was minted for, and
/// of no one else.
pub fn check_user(events: &[std::result::Result<UsageEvent, RecordError>], subject: &str) -> Result<()> {
    for (index, event) in events.iter().enumerate() {
        if let Ok(event) = event {
            if event.user != subject {
                return Err(crate::error::Error::Forbidden {
                    message: format!(
                        "this token records the usage of '{subject}' only; event {index} names user '{}'",
                        event.user
                    ),
                });
            }
        }
    }
    Ok(())
}

pub fn parse_batch(body: &[u8]) -> Result<Vec<std::result::Result<UsageEvent, RecordError>>> {
    let items = crate::ingest::batch_items(crate::ingest::parse_json(body)?, &["events"])?;
    Ok(items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_event(item).map_err(|(field, message)| RecordError {
                index,
                id: item.get("id").and_then(Value::as_str).map(str::to_owned),
                field,
                message,
            })
        })
        .collect())
}

fn parse_event(item: &Value) -> FieldResult<UsageEvent> {
    let event = json::record(item)?;
    if let Some(unknown) = event.map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err((
            unknown.clone(),
            format!("is not a field of a usage event; use {}", FIELDS.join(", ")),
        ));
    }
    let action = event.required_string("action")?;
    let action = Action::from_name(action.trim()).ok_or_else(|| {
        (
            "action".to_owned(),
            format!("'{action}' is not an action; use view, download, publish or distribute"),
        )
    })?;
    let quantity = match event.integer("quantity")? {
        Some(n) if n < 1 => return Err(("quantity".into(), format!("must be 1 or more, not {n}"))),
        other => other.map(|n| n as u64),
    };
    Ok(UsageEvent {
        id: event.id("id")?,
        asset: event.required_id("asset")?,
        user: event.required_id("user")?,
        action,
        at: event.time("at")?,
        dimensions: dimensions(&event)?,
        campaign: event.string("campaign")?.map(|c| c.trim().to_owned()),
        quantity,
    })
}

fn dimensions(event: &Obj<'_>) -> FieldResult<[Option<String>; 6]> {
    let mut values: [Option<String>; 6] = Default::default();
    for (slot, dimension) in values.iter_mut().zip(DIMENSIONS) {
        *slot = event.string(dimension.name())?.map(|v| v.trim().to_owned());
    }
    Ok(values)
}

impl UsageEvent {
    /// The clearance question the event asks: its moment and every
    /// dimension it names, each resolved by the shipped vocabularies.
    pub fn context(&self, at: i64) -> FieldResult<Context> {
        let territories = Territories::global();
        let mut context = Context::at(at);
        for (dimension, value) in DIMENSIONS.into_iter().zip(&self.dimensions) {
            let Some(value) = value else { continue };
            match Key::resolve(dimension, value, territories) {
                Key::Unknown(_) => {
                    return Err((
                        dimension.name().to_owned(),
                        crate::rights::unknown_value_hint(dimension, value),
                    ))
                }
                key => context = context.with(dimension, key),
            }
        }
        Ok(context)
    }
}
