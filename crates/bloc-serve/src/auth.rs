//! API tokens and roles.
//!
//! A token belongs to one reporting entity (a member government or company) and has one role:
//! `reporter` (of one member) or `secretariat`. Reads of published data need no token; every
//! write route names the role it needs ([`Caller::require`]). A token is 32 random bytes from
//! the operating system (a secret, so not from the seeded RNG), shown once in hex with a
//! `bloc_` prefix; the database keeps only its SHA-256.

use crate::error::ApiError;
use crate::server::AppState;
use anyhow::Result;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reports prices for one member.
    Reporter,
    /// Runs the bloc: computes and publishes, keeps the ledger, reads everything.
    Secretariat,
}

impl Role {
    /// `reporter` or `secretariat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Secretariat => "secretariat",
        }
    }
    /// Reads `reporter` or `secretariat`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reporter" => Some(Role::Reporter),
            "secretariat" => Some(Role::Secretariat),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token row id.
    pub token_id: i64,
    /// Role of the token.
    pub role: Role,
    /// The member a reporter reports for.
    pub member: Option<String>,
    /// The reporting entity (e.g. `JPN-METI`, `acme-magnets`).
    pub entity: String,
}

impl Caller {
    /// 403 unless the caller has `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role == role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this route needs a {role} token; this token's role is {}",
                self.role
            )))
        }
    }
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Creates a token and stores its hash; returns the token (shown once, never stored).
pub fn create_token(
    conn: &Connection,
    role: Role,
    member: Option<&str>,
    entity: &str,
) -> Result<String> {
    match (role, member) {
        (Role::Reporter, None) => anyhow::bail!(
            "--member: a reporter token needs the member it reports for (e.g. --member JPN)"
        ),
        (Role::Secretariat, Some(_)) => {
            anyhow::bail!("--member: a secretariat token belongs to no member; drop --member")
        }
        _ => {}
    }
    anyhow::ensure!(!entity.trim().is_empty(), "--entity: must not be empty");
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "bloc_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    conn.execute(
        "INSERT INTO tokens (hash, role, member, entity) VALUES (?1, ?2, ?3, ?4)",
        (hash_token(&token), role.as_str(), member, entity),
    )?;
    crate::db::audit(
        conn,
        "admin",
        "admin",
        "token.create",
        entity,
        &serde_json::json!({"role": role.as_str(), "member": member}),
    )?;
    Ok(token)
}

/// Looks a token up by its hash.
pub fn lookup(conn: &Connection, token: &str) -> rusqlite::Result<Option<Caller>> {
    conn.query_row(
        "SELECT id, role, member, entity FROM tokens WHERE hash = ?1",
        [hash_token(token)],
        |r| {
            Ok(Caller {
                token_id: r.get(0)?,
                role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Reporter),
                member: r.get(2)?,
                entity: r.get(3)?,
            })
        },
    )
    .optional()
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let h = h
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization: not valid text".into()))?;
    h.strip_prefix("Bearer ")
        .map(|t| Some(t.trim()))
        .ok_or_else(|| ApiError::Unauthorized("Authorization: expected `Bearer <token>`".into()))
}

async fn resolve(state: &Arc<AppState>, token: &str) -> Result<Caller, ApiError> {
    if let Some(c) = state.tokens.read().await.get(token).cloned() {
        return Ok(c);
    }
    let st = state.clone();
    let t = token.to_string();
    let found = tokio::task::spawn_blocking(move || lookup(&st.db.reader(), &t))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    let c = found.ok_or_else(|| ApiError::Unauthorized("unknown token".into()))?;
    state
        .tokens
        .write()
        .await
        .insert(token.to_string(), c.clone());
    Ok(c)
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts)? {
            Some(t) => resolve(state, t).await,
            None => Err(ApiError::Unauthorized(
                "this route needs a token: Authorization: Bearer <token>".into(),
            )),
        }
    }
}
