//! The error type of the core.
//!
//! Every failure the core can report is one [`Error`] variant that says what
//! went wrong in terms of the user's input (which record, which line and
//! column) rather than in terms of the code. The HTTP layer turns each variant
//! into an RFC 9457 problem in one place (`http::problem`), the CLI into a
//! message with a hint; neither inspects error strings.

use std::fmt;

/// A position in a document, both counted from 1 as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not well-formed in its declared format.
    #[error("{document}: {format} syntax error{}: {message}", .position.map(|p| format!(" at {p}")).unwrap_or_default())]
    Syntax {
        /// The file name or "request body".
        document: String,
        format: String,
        message: String,
        position: Option<Position>,
    },

    /// The input is well-formed but not acceptable (wrong shape, bad value).
    #[error("{message}")]
    Invalid {
        message: String,
        /// The parameter or field at fault, when there is one.
        field: Option<String>,
    },

    /// The input is well-formed but cannot be accepted as what it claims to be
    /// (a replacement taxonomy without any SKOS concept, say).
    #[error("{message}")]
    Unacceptable { message: String },

    /// The media type or file extension names a format the service cannot read.
    #[error("unsupported format '{given}': {expected}")]
    UnsupportedFormat { given: String, expected: String },

    /// Records of a batch failed validation; nothing of the batch was stored.
    #[error("{} of the {system} records are invalid: {}", errors.len(), errors.first().map(|e| e.to_string()).unwrap_or_default())]
    Records {
        /// The source system of the batch.
        system: String,
        errors: Vec<RecordError>,
    },

    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },

    /// The request contradicts what the store holds (e.g. a graph owned by another project).
    #[error("{message}")]
    Conflict { message: String },

    /// The caller may not do this to this resource, whatever its role (a
    /// graph the service maintains itself, say).
    #[error("{message}")]
    Forbidden { message: String },

    /// A query ran past the configured time limit and was stopped.
    #[error("the query ran longer than the limit of {seconds} s (sparql.timeout_secs) and was stopped; narrow it, add a LIMIT, or raise the limit")]
    Timeout { seconds: u64 },

    /// A query held more memory than its budget and was stopped.
    #[error("the query needed more than its memory budget of {} MiB (sparql.memory_budget_mib) and was stopped; narrow it, aggregate instead of listing, add a LIMIT, or raise the budget", .bytes >> 20)]
    OverBudget { bytes: usize },

    /// Too much of one kind of work is running; the caller may retry.
    #[error("busy: {what}; retry in {retry_after_secs} s")]
    Busy { what: String, retry_after_secs: u16 },

    /// The service is stopping and takes no new work.
    #[error("the service is shutting down; retry once it is back")]
    ShuttingDown,

    /// A SPARQL query or update is malformed.
    #[error("SPARQL syntax: {message}")]
    QuerySyntax {
        message: String,
        position: Option<Position>,
    },

    /// A well-formed SPARQL query or update could not be evaluated.
    #[error("SPARQL: {message}")]
    Query {
        message: String,
        position: Option<Position>,
    },

    /// A caller that is not an API key holder (a source system's webhook)
    /// could not be authenticated: its signature does not verify.
    #[error("{message}")]
    Unauthorized { message: String },

    /// A browser token that was valid has expired: the page asks its host
    /// for a new one.
    #[error("{message}")]
    TokenExpired { message: String },

    /// The service is not configured for this (what to configure is said).
    #[error("{message}")]
    NotConfigured { message: String },

    /// A source system called by a connector failed or answered something
    /// the connector cannot use.
    #[error("{system}: {message}")]
    Upstream { system: String, message: String },

    /// The embedded store failed (I/O, corruption, lock held by another process).
    #[error("storage: {0}")]
    Storage(String),

    /// The search index failed; it can be rebuilt from the store (`assetgraph reindex`).
    #[error("search index: {0}")]
    Index(String),

    /// An I/O error on a file named by the user.
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub(crate) fn upstream(system: &str, message: impl Into<String>) -> Self {
        Error::Upstream {
            system: system.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }
}

impl From<oxigraph::store::StorageError> for Error {
    fn from(e: oxigraph::store::StorageError) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<oxigraph::sparql::QueryEvaluationError> for Error {
    fn from(e: oxigraph::sparql::QueryEvaluationError) -> Self {
        Error::Query {
            message: e.to_string(),
            position: None,
        }
    }
}

/// Why one record of a batch was refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RecordError {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " ('{id}')")?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ", field '{}': {}", self.field, self.message)
        }
    }
}
