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

/// How long a token lives: `90d`, `12h`, `30m` or `45s` (a whole number and a unit), at most
/// 100 years. Returns seconds.
pub fn parse_lifetime(s: &str) -> Result<i64> {
    let bad = || {
        anyhow::anyhow!(
            "--expires-in: `{s}` is not a lifetime; write a whole number and a unit, e.g. 90d, 12h, 30m, 45s"
        )
    };
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 12 {
        return Err(bad());
    }
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = n * match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    anyhow::ensure!(
        secs > 0 && secs <= 100 * 366 * 86_400,
        "--expires-in: `{s}` must be more than 0 and at most 100 years"
    );
    Ok(secs)
}

/// What a new token is.
#[derive(Debug, Clone, Default)]
pub struct NewToken<'a> {
    /// The member a reporter reports for.
    pub member: Option<&'a str>,
    /// The reporting entity it acts for.
    pub entity: &'a str,
    /// Lifetime in seconds (none: until revoked).
    pub lifetime_s: Option<i64>,
    /// Made by `bloc serve --demo` (revoked by the next demo start).
    pub demo: bool,
}

/// Creates a token and stores its hash; returns the token (shown once, never stored).
///
/// An entity acts for one member (or for the secretariat) for good: a token for an entity
/// that another member's tokens or reports already use is refused, so that `--entity` cannot
/// let one member's token act for (and correct the reports of) another member's entity.
pub fn create_token(
    conn: &Connection,
    role: Role,
    member: Option<&str>,
    entity: &str,
) -> Result<String> {
    create_token_with(
        conn,
        role,
        &NewToken {
            member,
            entity,
            ..NewToken::default()
        },
    )
}

/// [`create_token`] with a lifetime and the demo mark.
pub fn create_token_with(conn: &Connection, role: Role, t: &NewToken<'_>) -> Result<String> {
    let (member, entity) = (t.member, t.entity);
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
    anyhow::ensure!(
        entity.chars().count() <= crate::util::MAX_NAME && !entity.chars().any(char::is_control),
        "--entity: at most {} characters, no control characters",
        crate::util::MAX_NAME
    );
    let tx = conn.unchecked_transaction()?;
    // Who the entity already acts for: tokens (revoked ones too) and stored reports.
    let mut owners: Vec<(String, Option<String>)> = tx
        .prepare("SELECT DISTINCT role, member FROM tokens WHERE entity = ?1")?
        .query_map([entity], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    owners.extend(
        tx.prepare("SELECT DISTINCT member FROM reports WHERE entity = ?1")?
            .query_map([entity], |r| {
                Ok(("reporter".to_string(), Some(r.get::<_, String>(0)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    );
    if let Some((r, m)) = owners
        .iter()
        .find(|(r, m)| r != role.as_str() || m.as_deref() != member)
    {
        let whose = match m {
            Some(m) => format!("member {m}'s {r}"),
            None => format!("the {r}"),
        };
        anyhow::bail!(
            "--entity: `{entity}` already acts for {whose}; a token may act only for an entity of its own member (choose another --entity)"
        );
    }
    // An entity named like another member (e.g. --member JPN --entity USA) is refused too.
    if let Some(m) = member {
        let other: Option<String> = tx
            .query_row(
                "SELECT member FROM tokens WHERE member = ?1 AND member IS NOT ?2 LIMIT 1",
                (entity, m),
                |r| r.get(0),
            )
            .optional()?;
        anyhow::ensure!(
            other.is_none(),
            "--entity: `{entity}` is another member's name; a {m} token cannot act for it"
        );
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "bloc_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    tx.execute(
        "INSERT INTO tokens (hash, role, member, entity, expires_at, demo) VALUES (?1, ?2, ?3, ?4, \
         CASE WHEN ?5 IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ?5 || ' seconds') END, ?6)",
        (hash_token(&token), role.as_str(), member, entity, t.lifetime_s, t.demo),
    )?;
    let id = tx.last_insert_rowid();
    crate::db::audit(
        &tx,
        "admin",
        "admin",
        "token.create",
        entity,
        &serde_json::json!({"id": id, "role": role.as_str(), "member": member, "lifetime_s": t.lifetime_s, "demo": t.demo}),
    )?;
    tx.commit()?;
    Ok(token)
}

/// A stored token, as `bloc admin token list` shows it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Row id (what `revoke` takes).
    pub id: i64,
    /// Role.
    pub role: String,
    /// Member of a reporter.
    pub member: Option<String>,
    /// Reporting entity.
    pub entity: String,
    /// First 12 hex digits of the token's SHA-256 (to tell tokens apart).
    pub fingerprint: String,
    /// When it was created (UTC).
    pub created_at: String,
    /// When it expires (UTC), if ever.
    pub expires_at: Option<String>,
    /// When it was revoked (UTC), if it was.
    pub revoked_at: Option<String>,
    /// Made by `bloc serve --demo`.
    pub demo: bool,
    /// `active`, `expired` or `revoked`.
    pub status: String,
}

const TOKEN_INFO: &str = "SELECT id, role, member, entity, substr(hash, 1, 12), created_at, expires_at, revoked_at, demo, \
    CASE WHEN revoked_at IS NOT NULL THEN 'revoked' \
         WHEN expires_at IS NOT NULL AND expires_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now') THEN 'expired' \
         ELSE 'active' END FROM tokens";

fn token_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.get(0)?,
        role: r.get(1)?,
        member: r.get(2)?,
        entity: r.get(3)?,
        fingerprint: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        revoked_at: r.get(7)?,
        demo: r.get(8)?,
        status: r.get(9)?,
    })
}

/// Every token, oldest first.
pub fn list_tokens(conn: &Connection) -> rusqlite::Result<Vec<TokenInfo>> {
    conn.prepare(&format!("{TOKEN_INFO} ORDER BY id"))?
        .query_map([], token_info)?
        .collect()
}

/// Revokes a token given by its id or by the token itself; it fails with 401 from the next
/// request on (the service looks tokens up on every request). Revoking twice is an error.
pub fn revoke_token(conn: &Connection, id_or_token: &str, actor: &str) -> Result<TokenInfo> {
    let found: Option<TokenInfo> = match id_or_token.parse::<i64>() {
        Ok(id) => conn
            .query_row(&format!("{TOKEN_INFO} WHERE id = ?1"), [id], token_info)
            .optional()?,
        Err(_) => conn
            .query_row(
                &format!("{TOKEN_INFO} WHERE hash = ?1"),
                [hash_token(id_or_token.trim())],
                token_info,
            )
            .optional()?,
    };
    let t = found.ok_or_else(|| {
        anyhow::anyhow!("no token `{id_or_token}`; `bloc admin token list` shows their ids")
    })?;
    anyhow::ensure!(
        t.revoked_at.is_none(),
        "token {} was already revoked at {}",
        t.id,
        t.revoked_at.clone().unwrap_or_default()
    );
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE tokens SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
        [t.id],
    )?;
    crate::db::audit(
        &tx,
        actor,
        "admin",
        "token.revoke",
        &t.entity,
        &serde_json::json!({"id": t.id}),
    )?;
    let t = tx.query_row(&format!("{TOKEN_INFO} WHERE id = ?1"), [t.id], token_info)?;
    tx.commit()?;
    Ok(t)
}

/// What a presented token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenStatus {
    /// Valid: the caller.
    Active(Caller),
    /// Revoked (when).
    Revoked(String),
    /// Expired (when).
    Expired(String),
    /// Not a token of this service.
    Unknown,
}

/// Looks a token up by its hash, on every request (no cache: a revocation, an expiry or a
/// deleted row takes effect at once).
pub fn lookup(conn: &Connection, token: &str) -> rusqlite::Result<TokenStatus> {
    let r = conn
        .prepare_cached(&format!("{TOKEN_INFO} WHERE hash = ?1"))?
        .query_row([hash_token(token)], token_info)
        .optional()?;
    Ok(match r {
        None => TokenStatus::Unknown,
        Some(t) if t.status == "revoked" => TokenStatus::Revoked(t.revoked_at.unwrap_or_default()),
        Some(t) if t.status == "expired" => TokenStatus::Expired(t.expires_at.unwrap_or_default()),
        Some(t) => TokenStatus::Active(Caller {
            token_id: t.id,
            role: Role::parse(&t.role).unwrap_or(Role::Reporter),
            member: t.member,
            entity: t.entity,
        }),
    })
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
    let st = state.clone();
    let t = token.to_string();
    let found = tokio::task::spawn_blocking(move || lookup(&st.db.reader(), &t))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    match found {
        TokenStatus::Active(c) => Ok(c),
        TokenStatus::Revoked(at) => Err(ApiError::Unauthorized(format!(
            "this token was revoked at {at}"
        ))),
        TokenStatus::Expired(at) => Err(ApiError::Unauthorized(format!(
            "this token expired at {at}"
        ))),
        TokenStatus::Unknown => Err(ApiError::Unauthorized("unknown token".into())),
    }
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
