//! `ApiJson<T>`: a JSON body extractor whose errors are 400 and name the field
//! (`serde_path_to_error`), unlike axum's `Json` (422, message only). Bodies above the size
//! limit never get here: [`axum::extract::DefaultBodyLimit`] answers 413 first.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        // axum's own rejections are text/plain; every error of this API is the JSON body.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(format!(
                    "the body is larger than {} bytes",
                    crate::server::BODY_LIMIT
                ))
            } else {
                ApiError::field("body", e.body_text())
            }
            .into_response()
        })?;
        parse(&bytes)
            .map(ApiJson)
            .map_err(IntoResponse::into_response)
    }
}

/// Query parameters of type `T`; errors are 400 naming the parameter, in the JSON error body.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(e) => {
                // axum reads the query with serde_path_to_error: "<field>: <what>".
                let text = e.body_text();
                let inner = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let field = match inner.split_once(": ") {
                    Some((f, _)) if !f.contains(' ') => f.to_string(),
                    _ => "query".to_string(),
                };
                Err(ApiError::field(field, inner.to_string()))
            }
        }
    }
}

/// The path parameter of type `T`; errors are 400 naming the parameter, in the JSON error
/// body.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let name = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|p| p.iter().next().map(|(k, _)| k.to_string()))
            .unwrap_or_else(|| "path".to_string());
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            Err(axum::extract::rejection::PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let msg = match e.kind() {
                    ErrorKind::ParseError {
                        value,
                        expected_type,
                    }
                    | ErrorKind::ParseErrorAtKey {
                        value,
                        expected_type,
                        ..
                    } => format!("`{value}` is not a valid {expected_type}"),
                    ErrorKind::InvalidUtf8InPathParam { .. } => "not valid UTF-8".to_string(),
                    k => k.to_string(),
                };
                Err(ApiError::field(name, msg))
            }
            Err(e) => Err(ApiError::field(name, e.body_text())),
        }
    }
}

/// Parses `bytes` as a `T`, naming the field at fault on error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(error)
}

/// Reads a `T` out of a JSON value, naming the field at fault on error.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v).map_err(error)
}

fn error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // A missing field is reported by serde at its parent; name the field itself.
        let field = match msg.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or("");
                if path == "." {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            }
            None if inner.is_syntax() || inner.is_eof() => "body".to_string(),
            None => path,
        };
        ApiError::field(field, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct T {
        price_usd_per_t: f64,
        volume_t: f64,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<T>(br#"{"price_usd_per_t": "x", "volume_t": 1}"#).unwrap_err();
        assert!(
            matches!(e, ApiError::BadRequest { ref field, .. } if field == "price_usd_per_t"),
            "{e:?}"
        );
        let e = parse::<T>(br#"{"price_usd_per_t": 1}"#).unwrap_err();
        assert!(
            matches!(e, ApiError::BadRequest { ref field, .. } if field == "volume_t"),
            "{e:?}"
        );
        let e = parse::<T>(br#"{"price_usd_per_t": 1,"#).unwrap_err();
        assert!(
            matches!(e, ApiError::BadRequest { ref field, .. } if field == "body"),
            "{e:?}"
        );
    }
}
