//! Request-level errors: `{code, message, details}` with an HTTP status.

use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
    /// What went wrong inside, for the log only: never sent to the client.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: json!({}), retry_after: None, cause: None }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BAD_REQUEST", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(401, "UNAUTHENTICATED", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(403, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "NOT_FOUND", message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(413, "BATCH_TOO_LARGE", message)
    }

    pub fn version(got: Value) -> ApiError {
        ApiError::new(426, "VERSION_NOT_SUPPORTED", format!("protocol {got} is not supported; this server speaks {}", siyu_sync::PROTOCOL_VERSION))
            .with_details(json!({ "supported": [siyu_sync::PROTOCOL_VERSION], "got": got }))
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(429, "RATE_LIMITED", format!("too many requests for this member; retry in {retry_after} s"))
            .with_details(json!({ "retryAfterSeconds": retry_after }));
        e.retry_after = Some(retry_after);
        e
    }

    /// A passing condition (a busy database): the client retries; `cause` is logged, not sent.
    pub fn unavailable(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(503, "UNAVAILABLE", "the server is busy: retry shortly");
        e.retry_after = Some(1);
        e.cause = Some(cause.into());
        e
    }

    /// A failure inside the server: the client gets a generic message (and the request id to quote),
    /// the log gets `cause`.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(500, "INTERNAL", "the server failed to handle this request");
        e.cause = Some(cause.into());
        e
    }

    pub fn body(&self) -> Value {
        json!({ "code": self.code, "message": self.message, "details": self.details })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::transient(&e) {
            ApiError::unavailable(format!("storage is busy: {e}"))
        } else {
            ApiError::internal(format!("storage error: {e}"))
        }
    }
}

/// Parse a JSON body strictly, naming the path of the first problem. JSON has one number type:
/// `2877398.0` is the integer 2877398 (JSON Schema agrees), so a body refused only for integral
/// numbers written as floats is read again with them as integers.
pub fn parse_json<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let first = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::bad_request(format!("invalid {what}: {inner}"))
            .with_details(json!({ "path": if path == "." { String::new() } else { path }, "problem": inner.to_string() }))
    });
    let Err(error) = first else { return first };
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else { return Err(error) };
    if !integral_numbers(&mut value) {
        return Err(error);
    }
    serde_json::from_value(value).map_err(|_| error)
}

/// Integral floats read as integers (the authority's rule, so every backend reads bodies alike).
pub use siyu_sync::authority::integral_numbers;

impl From<siyu_sync::authority::Refusal> for ApiError {
    fn from(r: siyu_sync::authority::Refusal) -> ApiError {
        if r.status >= 500 {
            return ApiError::internal(r.message);
        }
        ApiError::new(r.status, r.code, r.message).with_details(r.details)
    }
}
