//! Times as the service reads and writes them: Unix seconds inside, RFC 3339
//! (`xsd:dateTime` in UTC) outside.

use oxigraph::model::vocab::xsd;
use oxigraph::model::Literal;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Unix seconds of an RFC 3339 date-time, a plain date (midnight UTC), or a
/// date and time without an offset (`2024-03-01 10:00:00`, read as UTC).
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    if let Ok(date) = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")) {
        return Some(date.midnight().assume_utc().unix_timestamp());
    }
    let local = time::macros::format_description!("[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second]");
    let head = text.get(..19)?;
    let at = time::PrimitiveDateTime::parse(head, local).ok()?;
    // Fractions of a second are allowed after the seconds; nothing else is.
    let rest = &text[19..];
    if !(rest.is_empty() || rest.starts_with('.') && rest[1..].chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    Some(at.assume_utc().unix_timestamp())
}

/// An `xsd:dateTime` literal of Unix seconds, in UTC.
pub fn literal(unix: i64) -> Literal {
    let text = OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string());
    Literal::new_typed_literal(text, xsd::DATE_TIME)
}

/// Unix seconds as RFC 3339 text in UTC.
pub(crate) fn rfc3339(unix: i64) -> String {
    literal(unix).value().to_owned()
}

/// An `xsd:dateTime` literal of a moment, to the fraction of a second (the
/// audit trail orders what happened within one second).
pub(crate) fn precise_literal(t: OffsetDateTime) -> Literal {
    let text = t.format(&Rfc3339).expect("RFC 3339 formats every UTC time");
    Literal::new_typed_literal(text, xsd::DATE_TIME)
}
