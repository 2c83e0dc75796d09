//! Reading the sources' JSON leniently but never silently wrong.
//!
//! Source payloads carry many fields we do not map and gain new ones without
//! notice, so unknown fields are ignored; but a field we do map that has the
//! wrong type is an error naming its path (`license_terms[0].valid_from`),
//! never a value quietly dropped.

use serde_json::{Map, Value};

/// A field at fault: its path and what is wrong with it.
pub(crate) type FieldError = (String, String);
pub(crate) type FieldResult<T> = std::result::Result<T, FieldError>;

/// One JSON object and its path in the record.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    path: String,
}

/// The object a record must be.
pub(crate) fn record(value: &Value) -> FieldResult<Obj<'_>> {
    match value {
        Value::Object(map) => Ok(Obj {
            map,
            path: String::new(),
        }),
        other => Err((
            String::new(),
            format!("a record must be a JSON object, not {}", kind(other)),
        )),
    }
}

impl<'a> Obj<'a> {
    pub(crate) fn at(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&self, field: &str) -> FieldResult<Option<&'a str>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
            Some(other) => Err(self.wrong(field, "a string", other)),
        }
    }

    pub(crate) fn required_string(&self, field: &str) -> FieldResult<&'a str> {
        self.string(field)?
            .ok_or_else(|| (self.at(field), "is required".into()))
    }

    /// An identifier sent as a string or as a number.
    pub(crate) fn id(&self, field: &str) -> FieldResult<Option<String>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Some(Value::String(_)) => Err((self.at(field), "must not be empty".into())),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong(field, "a string or a whole number", other)),
        }
    }

    pub(crate) fn required_id(&self, field: &str) -> FieldResult<String> {
        self.id(field)?.ok_or_else(|| (self.at(field), "is required".into()))
    }

    pub(crate) fn boolean(&self, field: &str) -> FieldResult<Option<bool>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(field, "true or false", other)),
        }
    }

    pub(crate) fn integer(&self, field: &str) -> FieldResult<Option<i64>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| (self.at(field), format!("must be a whole number, not {n}"))),
            Some(other) => Err(self.wrong(field, "a whole number", other)),
        }
    }

    pub(crate) fn number(&self, field: &str) -> FieldResult<Option<f64>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.wrong(field, "a number", other)),
        }
    }

    /// A date or date-time, as Unix seconds.
    pub(crate) fn time(&self, field: &str) -> FieldResult<Option<i64>> {
        self.string(field)?
            .map(|text| {
                crate::rdf::time::parse(text).ok_or_else(|| {
                    (
                        self.at(field),
                        format!("'{text}' is not a date (2026-12-01) or date-time (2026-12-01T00:00:00Z)"),
                    )
                })
            })
            .transpose()
    }

    pub(crate) fn object(&self, field: &str) -> FieldResult<Option<Obj<'a>>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.at(field),
            })),
            Some(other) => Err(self.wrong(field, "an object", other)),
        }
    }

    pub(crate) fn array(&self, field: &str) -> FieldResult<&'a [Value]> {
        match self.get(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong(field, "an array", other)),
        }
    }

    /// The objects of an array field, each with its path.
    pub(crate) fn objects(&self, field: &str) -> FieldResult<Vec<Obj<'a>>> {
        self.array(field)?
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Obj {
                    map,
                    path: format!("{}[{i}]", self.at(field)),
                }),
                other => Err((
                    format!("{}[{i}]", self.at(field)),
                    format!("must be an object, not {}", kind(other)),
                )),
            })
            .collect()
    }

    /// An array of strings (a single string is accepted as one).
    pub(crate) fn strings(&self, field: &str) -> FieldResult<Vec<&'a str>> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.as_str()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_null())
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.as_str()),
                    other => Err((
                        format!("{}[{i}]", self.at(field)),
                        format!("must be a string, not {}", kind(other)),
                    )),
                })
                .collect(),
            Some(other) => Err(self.wrong(field, "an array of strings", other)),
        }
    }

    fn wrong(&self, field: &str, expected: &str, got: &Value) -> FieldError {
        (self.at(field), format!("must be {expected}, not {}", kind(got)))
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
