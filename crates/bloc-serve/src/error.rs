//! The API's errors: 4xx answers name the field and say what would be right; internal errors
//! are a bare 500 and are logged to stderr.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error answer of the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the request is malformed or a field is wrong.
    #[error("{field}: {message}")]
    BadRequest {
        /// The field at fault (a JSON path or a query parameter).
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// 401: no token, or an unknown one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token's role or member may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0}")]
    NotFound(String),
    /// 409: conflicts with what is stored (published, or an idempotency key reused).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is above the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// 422: well-formed but refused by a rule (budget, inventory).
    #[error("{0}")]
    Rejected(String),
    /// 408: the body (or the answer) took longer than the request timeout.
    #[error("{0}")]
    Timeout(String),
    /// 503: over the connection limit.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault of the service; details go to the log, not to the caller.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 naming `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable kind: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `rejected`, `payload_too_large`, `request_timeout`, `unavailable`, `internal`.
    pub error: String,
    /// The field at fault, for `bad_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Human-readable explanation.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, field) = match &self {
            ApiError::BadRequest { field, .. } => {
                (StatusCode::BAD_REQUEST, "bad_request", Some(field.clone()))
            }
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
            ApiError::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected", None),
            ApiError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout", None),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", None),
            ApiError::Internal(e) => {
                eprintln!("bloc serve: internal error: {e:#}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let body = ErrorBody {
            error: kind.into(),
            field,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
