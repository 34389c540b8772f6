//! The Project Vault ledger: double-entry books of the scenario's stockpiles.
//!
//! Every transaction posts entries that sum to zero in each unit (`USD`, and `t:<commodity>`
//! for tonnes), across these accounts:
//! * `vault/<v>/inventory/<c>` — tonnes held and their book value (USD);
//! * `vault/<v>/treasury` — money paid out (purchases) and received (releases);
//! * `vault/<v>/result` — gain or loss on releases against book value;
//! * `external/<counterparty>` — tonnes that left or entered the bloc's books.
//!
//! | kind | tonnes | USD |
//! | --- | --- | --- |
//! | purchase q at p | inventory +q, external −q | inventory +q·p, treasury −q·p |
//! | release q at p | inventory −q, external +q | treasury +q·p, inventory −q·avg, result −(q·p − q·avg) |
//! | transfer q to w | inventory(v) −q, inventory(w) +q | inventory(v) −q·avg, inventory(w) +q·avg |
//!
//! (avg = book value / tonnes held.) Refused with a clear error (422): inventory below zero,
//! inventory above `max_inventory_t`, purchases over the run above `budget_usd`. Every write
//! appends to the audit log in the same transaction.

use crate::auth::{Caller, Role};
use crate::db::audit;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::server::{blocking, AppState};
use crate::util::{bounded, text, MAX_NAME, MAX_T, MAX_USD_PER_T};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use bloc_scenario::{Scenario, Stockpile};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Tolerance for money and tonnes comparisons (rounding of sums).
const EPS: f64 = 1e-6;

/// A purchase or a release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    /// Stockpile name.
    pub vault: String,
    /// Commodity id.
    pub commodity: String,
    /// Tonnes, > 0 and ≤ 1e10.
    pub quantity_t: f64,
    /// Price, USD/t (> 0 for a purchase, ≥ 0 for a release), ≤ 1e10.
    pub price_usd_per_t: f64,
    /// Seller or buyer.
    pub counterparty: String,
    /// Optional; a retry with the same key stores nothing new.
    pub idempotency_key: Option<String>,
}

/// A move between vaults at book value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// From this stockpile.
    pub vault: String,
    /// To this stockpile.
    pub to_vault: String,
    /// Commodity id.
    pub commodity: String,
    /// Tonnes, > 0 and ≤ 1e10.
    pub quantity_t: f64,
    /// Optional; a retry with the same key stores nothing new.
    pub idempotency_key: Option<String>,
}

/// The documented shape of the requests (the OpenAPI schema): one object per kind, `kind`
/// included, so that a request can be built from the schema alone. The service reads the
/// same bodies through [`TxRequest::parse`].
pub mod doc {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    macro_rules! kind {
        ($t:ident, $v:literal) => {
            /// The kind of the transaction.
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            #[allow(dead_code)]
            pub enum $t {
                /// The only value.
                #[serde(rename = $v)]
                Only,
            }
        };
    }
    kind!(PurchaseKind, "purchase");
    kind!(ReleaseKind, "release");
    kind!(TransferKind, "transfer");

    macro_rules! trade {
        ($name:ident, $kind:ident, $doc:literal, $price_min:ident) => {
            #[doc = $doc]
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            #[allow(dead_code)]
            #[serde(deny_unknown_fields)]
            pub struct $name {
                /// The kind.
                pub kind: $kind,
                /// Stockpile name.
                #[schema(min_length = 1, max_length = 128)]
                pub vault: String,
                /// Commodity id.
                #[schema(min_length = 1, max_length = 128)]
                pub commodity: String,
                /// Tonnes, > 0 and ≤ 1e10.
                #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
                pub quantity_t: f64,
                /// Price, USD/t, ≤ 1e10 (> 0 for a purchase, ≥ 0 for a release).
                #[schema($price_min = 0.0, maximum = 1e10)]
                pub price_usd_per_t: f64,
                /// Seller or buyer: 1–128 characters, no control characters.
                #[schema(
                    min_length = 1,
                    max_length = 128,
                    pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
                )]
                pub counterparty: String,
                /// Optional; a retry with the same key stores nothing new. 1–128 characters,
                /// no control characters; the prefix `opening/` is reserved.
                #[schema(
                    min_length = 1,
                    max_length = 128,
                    pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
                )]
                pub idempotency_key: Option<String>,
            }
        };
    }
    trade!(
        PurchaseRequest,
        PurchaseKind,
        "Buy into a vault.",
        exclusive_minimum
    );
    trade!(
        ReleaseRequest,
        ReleaseKind,
        "Sell or release out of a vault.",
        minimum
    );

    /// Move tonnes between vaults at book value.
    #[derive(Debug, Serialize, Deserialize, ToSchema)]
    #[allow(dead_code)]
    #[serde(deny_unknown_fields)]
    pub struct TransferRequest {
        /// The kind.
        pub kind: TransferKind,
        /// From this stockpile.
        #[schema(min_length = 1, max_length = 128)]
        pub vault: String,
        /// To this stockpile (not `vault`).
        #[schema(min_length = 1, max_length = 128)]
        pub to_vault: String,
        /// Commodity id.
        #[schema(min_length = 1, max_length = 128)]
        pub commodity: String,
        /// Tonnes, > 0 and ≤ 1e10.
        #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
        pub quantity_t: f64,
        /// Optional; a retry with the same key stores nothing new. 1–128 characters, no
        /// control characters; the prefix `opening/` is reserved.
        #[schema(
            min_length = 1,
            max_length = 128,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
        )]
        pub idempotency_key: Option<String>,
    }

    /// A ledger transaction request: `{"kind": "purchase" | "release" | "transfer", …}`.
    #[derive(Debug, Serialize, Deserialize, ToSchema)]
    #[allow(dead_code)]
    #[serde(untagged)]
    pub enum TxRequestDoc {
        /// Buy into a vault.
        Purchase(PurchaseRequest),
        /// Sell or release out of a vault.
        Release(ReleaseRequest),
        /// Move tonnes between vaults.
        Transfer(TransferRequest),
    }
}

/// A ledger transaction request: `{"kind": "purchase" | "release" | "transfer", …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TxRequest {
    /// Buy into a vault.
    Purchase(Trade),
    /// Sell or release out of a vault.
    Release(Trade),
    /// Move tonnes between vaults.
    Transfer(Transfer),
}

impl TxRequest {
    /// Reads a request; errors name the field (serde loses the path inside a tagged enum,
    /// so the tag is read first and the rest as its own struct).
    pub fn parse(mut v: serde_json::Value) -> ApiResult<TxRequest> {
        let obj = v
            .as_object_mut()
            .ok_or_else(|| ApiError::field("body", "expected a JSON object"))?;
        let kind = obj.remove("kind");
        match kind.as_ref().and_then(|k| k.as_str()) {
            Some("purchase") => Ok(TxRequest::Purchase(crate::json::from_value(v)?)),
            Some("release") => Ok(TxRequest::Release(crate::json::from_value(v)?)),
            Some("transfer") => Ok(TxRequest::Transfer(crate::json::from_value(v)?)),
            _ => Err(ApiError::field(
                "kind",
                "must be one of purchase, release, transfer",
            )),
        }
    }
    fn key(&self) -> Option<&String> {
        match self {
            TxRequest::Purchase(t) | TxRequest::Release(t) => t.idempotency_key.as_ref(),
            TxRequest::Transfer(t) => t.idempotency_key.as_ref(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            TxRequest::Purchase(_) => "purchase",
            TxRequest::Release(_) => "release",
            TxRequest::Transfer(_) => "transfer",
        }
    }
}

/// One posting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Entry {
    /// Account.
    pub account: String,
    /// `USD` or `t:<commodity>`.
    pub unit: String,
    /// Signed amount.
    pub amount: f64,
}

/// A stored transaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Transaction {
    /// Id.
    pub id: i64,
    /// `opening`, `purchase`, `release` or `transfer`.
    pub kind: String,
    /// The request as made.
    pub body: serde_json::Value,
    /// Who.
    pub actor: String,
    /// When (UTC).
    pub created_at: String,
    /// Postings (each unit sums to zero).
    pub entries: Vec<Entry>,
}

fn inv(v: &str, c: &str) -> String {
    format!("vault/{v}/inventory/{c}")
}

fn balance(conn: &Connection, account: &str, unit: &str) -> rusqlite::Result<f64> {
    conn.prepare_cached(
        "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE account = ?1 AND unit = ?2",
    )?
    .query_row((account, unit), |r| r.get(0))
}

/// Purchases of vault `v` so far, USD.
fn spent(conn: &Connection, v: &str) -> rusqlite::Result<f64> {
    conn.prepare_cached(
        "SELECT COALESCE(-SUM(amount), 0) FROM ledger_entries WHERE account = ?1 AND unit = 'USD' AND amount < 0",
    )?
    .query_row([format!("vault/{v}/treasury")], |r| r.get(0))
}

fn vault<'a>(s: &'a Scenario, field: &str, name: &str) -> ApiResult<&'a Stockpile> {
    s.bloc
        .stockpiles
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            ApiError::field(
                field,
                format!(
                    "`{name}` is not a stockpile of this bloc; one of: {}",
                    s.bloc
                        .stockpiles
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

fn holds(p: &Stockpile, c: &str) -> ApiResult<()> {
    if p.commodities.iter().any(|x| x.as_str() == c) {
        Ok(())
    } else {
        Err(ApiError::field(
            "commodity",
            format!(
                "stockpile `{}` does not hold `{c}`; it holds: {}",
                p.name,
                p.commodities
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

fn positive(name: &str, v: f64, zero_ok: bool) -> ApiResult<()> {
    let max = if name == "quantity_t" {
        MAX_T
    } else {
        MAX_USD_PER_T
    };
    bounded(name, v, zero_ok, max).map(|_| ())
}

/// The key prefix of the opening postings, which only the service itself writes.
pub const OPENING_PREFIX: &str = "opening/";

/// Checks the text fields of a request: names and keys 1–128 characters without control
/// characters; `opening/` keys are the service's own.
pub fn check_text(req: &TxRequest) -> ApiResult<()> {
    let key = match req {
        TxRequest::Purchase(t) | TxRequest::Release(t) => {
            text("counterparty", &t.counterparty, MAX_NAME)?;
            text("vault", &t.vault, MAX_NAME)?;
            text("commodity", &t.commodity, MAX_NAME)?;
            t.idempotency_key.as_deref()
        }
        TxRequest::Transfer(t) => {
            text("vault", &t.vault, MAX_NAME)?;
            text("to_vault", &t.to_vault, MAX_NAME)?;
            text("commodity", &t.commodity, MAX_NAME)?;
            t.idempotency_key.as_deref()
        }
    };
    if let Some(k) = key {
        text("idempotency_key", k, MAX_NAME)?;
        if k.starts_with(OPENING_PREFIX) {
            return Err(ApiError::field(
                "idempotency_key",
                format!(
                    "keys starting with `{OPENING_PREFIX}` are reserved for the opening postings"
                ),
            ));
        }
    }
    Ok(())
}

/// The postings of a request, checked against the books; `Err` names what is refused.
pub fn postings(s: &Scenario, conn: &Connection, req: &TxRequest) -> ApiResult<Vec<Entry>> {
    match req {
        TxRequest::Purchase(t) => purchase(s, conn, t),
        TxRequest::Release(t) => release(s, conn, t),
        TxRequest::Transfer(t) => transfer(s, conn, t),
    }
}

fn entry(account: String, unit: String, amount: f64) -> Entry {
    Entry {
        account,
        unit,
        amount,
    }
}

/// A purchase's or release's vault, which must hold the commodity, and its quantity and
/// price (a release may be free: `free`).
fn checked_trade<'s>(s: &'s Scenario, trade: &Trade, free: bool) -> ApiResult<&'s Stockpile> {
    let sp = vault(s, "vault", &trade.vault)?;
    holds(sp, &trade.commodity)?;
    positive("quantity_t", trade.quantity_t, false)?;
    positive("price_usd_per_t", trade.price_usd_per_t, free)?;
    Ok(sp)
}

/// Refuses (`what refused: ...`) to put `q` t of `c` into vault `v` (`sp`) beyond its
/// `max_inventory_t`.
fn check_room(
    conn: &Connection,
    what: &str,
    (sp, v): (&Stockpile, &str),
    c: &str,
    q: f64,
) -> ApiResult<()> {
    let held = balance(conn, &inv(v, c), &format!("t:{c}"))?;
    if held + q > sp.max_inventory.0 + EPS {
        return Err(ApiError::Rejected(format!(
            "{what} refused: {v} would hold {} t of {c}, above its max_inventory_t {}",
            held + q,
            sp.max_inventory.0
        )));
    }
    Ok(())
}

/// Takes `q` t of `c` out of vault `v`, which must hold them (else `what refused: ...`);
/// returns their book value at the vault's average cost.
fn withdraw(conn: &Connection, what: &str, v: &str, c: &str, q: f64) -> ApiResult<f64> {
    let held = balance(conn, &inv(v, c), &format!("t:{c}"))?;
    if held - q < -EPS {
        return Err(ApiError::Rejected(format!(
            "{what} refused: {v} holds {held} t of {c}, less than {q} t"
        )));
    }
    let book = balance(conn, &inv(v, c), "USD")?;
    Ok(if held > 0.0 { book * q / held } else { 0.0 })
}

/// A purchase: tonnes in from the counterparty, their cost out of the treasury, within the
/// vault's capacity and budget.
fn purchase(s: &Scenario, conn: &Connection, trade: &Trade) -> ApiResult<Vec<Entry>> {
    let Trade {
        vault: v,
        commodity: c,
        quantity_t: q,
        price_usd_per_t: p,
        counterparty,
        ..
    } = trade;
    let sp = checked_trade(s, trade, false)?;
    check_room(conn, "purchase", (sp, v), c, *q)?;
    let spend = spent(conn, v)?;
    if spend + q * p > sp.budget.0 + EPS {
        return Err(ApiError::Rejected(format!(
            "purchase refused: it costs {} USD and {v} has {} USD of its {} USD budget left",
            q * p,
            sp.budget.0 - spend,
            sp.budget.0
        )));
    }
    let t = format!("t:{c}");
    Ok(vec![
        entry(inv(v, c), t.clone(), *q),
        entry(format!("external/{counterparty}"), t, -q),
        entry(inv(v, c), "USD".into(), q * p),
        entry(format!("vault/{v}/treasury"), "USD".into(), -q * p),
    ])
}

/// A release: tonnes out to the counterparty at its price; the inventory's book value leaves
/// at average cost, the difference is the vault's result.
fn release(s: &Scenario, conn: &Connection, trade: &Trade) -> ApiResult<Vec<Entry>> {
    let Trade {
        vault: v,
        commodity: c,
        quantity_t: q,
        price_usd_per_t: p,
        counterparty,
        ..
    } = trade;
    checked_trade(s, trade, true)?;
    let cost = withdraw(conn, "release", v, c, *q)?;
    let t = format!("t:{c}");
    Ok(vec![
        entry(inv(v, c), t.clone(), -q),
        entry(format!("external/{counterparty}"), t, *q),
        entry(format!("vault/{v}/treasury"), "USD".into(), q * p),
        entry(inv(v, c), "USD".into(), -cost),
        entry(format!("vault/{v}/result"), "USD".into(), -(q * p - cost)),
    ])
}

/// A transfer between two vaults that both hold the commodity, at average book cost.
fn transfer(s: &Scenario, conn: &Connection, transfer: &Transfer) -> ApiResult<Vec<Entry>> {
    let Transfer {
        vault: v,
        to_vault: w,
        commodity: c,
        quantity_t: q,
        ..
    } = transfer;
    let sp = vault(s, "vault", v)?;
    let sw = vault(s, "to_vault", w)?;
    if v == w {
        return Err(ApiError::field("to_vault", "must differ from vault"));
    }
    holds(sp, c)?;
    holds(sw, c)?;
    positive("quantity_t", *q, false)?;
    let cost = withdraw(conn, "transfer", v, c, *q)?;
    check_room(conn, "transfer", (sw, w), c, *q)?;
    let t = format!("t:{c}");
    Ok(vec![
        entry(inv(v, c), t.clone(), -q),
        entry(inv(w, c), t, *q),
        entry(inv(v, c), "USD".into(), -cost),
        entry(inv(w, c), "USD".into(), cost),
    ])
}

/// Whether postings summing to `sum`, moving `scale` in absolute value, balance: within EPS
/// plus 1e-12 of the amounts moved. False for NaN.
pub fn balanced(sum: f64, scale: f64) -> bool {
    sum.abs() <= EPS + 1e-12 * scale
}

fn insert(
    tx: &Connection,
    kind: &str,
    body: &serde_json::Value,
    key: Option<&str>,
    actor: &str,
    entries: &[Entry],
) -> ApiResult<i64> {
    // Every amount is a finite number (serde_json would write ±inf and NaN as null).
    for e in entries {
        crate::util::finite(
            &format!("the {kind}'s posting to {} ({})", e.account, e.unit),
            e.amount,
        )?;
    }
    // Double entry: every unit sums to zero, up to rounding relative to the amounts moved.
    // Written as `!(… <= …)` so that a NaN sum fails.
    let mut units: Vec<&str> = entries.iter().map(|e| e.unit.as_str()).collect();
    units.sort();
    units.dedup();
    for u in units {
        let of_u = || entries.iter().filter(|e| e.unit == u).map(|e| e.amount);
        let sum: f64 = of_u().sum();
        let scale: f64 = of_u().map(f64::abs).sum();
        if !balanced(sum, scale) {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "unbalanced {kind}: {u} sums to {sum}"
            )));
        }
    }
    tx.execute(
        "INSERT INTO ledger_tx (kind, body, idempotency_key, actor) VALUES (?1, ?2, ?3, ?4)",
        (kind, body.to_string(), key, actor),
    )?;
    let id = tx.last_insert_rowid();
    for e in entries {
        tx.prepare_cached(
            "INSERT INTO ledger_entries (tx_id, account, unit, amount) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute((id, &e.account, &e.unit, e.amount))?;
    }
    Ok(id)
}

/// Posts each stockpile's initial inventory once (an `opening` transaction, at zero book value).
pub fn open_books(s: &Scenario, conn: &Connection) -> anyhow::Result<()> {
    for p in &s.bloc.stockpiles {
        if p.initial_inventory.0 <= 0.0 {
            continue;
        }
        let key = format!("opening/{}", p.name);
        let done: Option<String> = conn
            .query_row(
                "SELECT kind FROM ledger_tx WHERE idempotency_key = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        match done.as_deref() {
            Some("opening") => continue,
            Some(other) => {
                // Written by a version that did not reserve the prefix: start anyway, say so.
                eprintln!(
                    "bloc serve: warning: the key `{key}` is held by a {other} transaction; the opening inventory of {} is not posted",
                    p.name
                );
                continue;
            }
            None => {}
        }
        let mut entries = vec![];
        for c in &p.commodities {
            let t = format!("t:{}", c.as_str());
            entries.push(Entry {
                account: inv(&p.name, c.as_str()),
                unit: t.clone(),
                amount: p.initial_inventory.0,
            });
            entries.push(Entry {
                account: "external/opening".into(),
                unit: t,
                amount: -p.initial_inventory.0,
            });
        }
        let body = serde_json::json!({"kind": "opening", "vault": p.name, "initial_inventory_t": p.initial_inventory.0});
        insert(conn, "opening", &body, Some(&key), "system", &entries)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        audit(
            conn,
            "system",
            "system",
            "ledger.opening",
            &format!("vault/{}", p.name),
            &body,
        )?;
    }
    Ok(())
}

/// One transaction with its postings (the page of one).
fn read_tx(conn: &Connection, id: i64) -> rusqlite::Result<Transaction> {
    read_page(conn, id - 1, 1)?
        .0
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// Record a purchase, release or transfer (secretariat).
#[utoipa::path(post, path = "/v1/ledger/transactions", request_body = doc::TxRequestDoc, security(("bearer" = [])),
    responses((status = 201, body = Transaction), (status = 200, body = Transaction, description = "already stored under this idempotency key"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "idempotency key used for a different transaction"),
        (status = 413, body = crate::error::ErrorBody, description = "body above 64 KiB"),
        (status = 422, body = crate::error::ErrorBody, description = "refused: inventory or budget, or a result that is not a finite number")))]
pub async fn post(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(req): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Transaction>)> {
    caller.require(Role::Secretariat)?;
    let req = TxRequest::parse(req)?;
    check_text(&req)?;
    let (t, fresh) = blocking(&state, move |st| {
        let mut conn = st.db.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let body = serde_json::to_value(&req).map_err(anyhow::Error::from)?;
        let (kind, key) = (req.kind(), req.key());
        if let Some(k) = key {
            let found: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, body FROM ledger_tx WHERE idempotency_key = ?1",
                    [k],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, b)) = found {
                if serde_json::from_str::<serde_json::Value>(&b).ok().as_ref() != Some(&body) {
                    return Err(ApiError::Conflict(format!(
                        "idempotency_key `{k}` was used for a different transaction ({id})"
                    )));
                }
                return Ok((read_tx(&tx, id)?, false));
            }
        }
        let entries = postings(&st.scenario, &tx, &req)?;
        let id = insert(
            &tx,
            kind,
            &body,
            key.map(String::as_str),
            &caller.entity,
            &entries,
        )?;
        audit(
            &tx,
            &caller.entity,
            caller.role.as_str(),
            &format!("ledger.{kind}"),
            &format!("ledger/{id}"),
            &body,
        )?;
        let t = read_tx(&tx, id)?;
        tx.commit()?;
        Ok((t, true))
    })
    .await?;
    Ok((
        if fresh {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(t),
    ))
}

/// Most transactions one page of `GET /v1/ledger/transactions` holds.
pub const MAX_PAGE: u32 = 1000;

/// Which page of `GET /v1/ledger/transactions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Only transactions with a larger id (the last id of the previous page; default 0).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// At most this many transactions (1 to 1000; default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Ledger transactions with their postings, oldest first, a page at a time: when more follow,
/// the `link` header names the next page (`rel="next"`).
#[utoipa::path(get, path = "/v1/ledger/transactions", params(Page),
    responses((status = 200, body = Vec<Transaction>, headers(("link" = String, description = "the next page, when there is one"))),
        (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::response::Response> {
    let after = page.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("after", "must be 0 or more"));
    }
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be from 1 to {MAX_PAGE}"),
        ));
    }
    let (v, more) = blocking(&state, move |st| {
        Ok(read_page(&st.db.reader(), after, limit)?)
    })
    .await?;
    let next = match (more, v.last()) {
        (true, Some(t)) => Some(format!(
            "</v1/ledger/transactions?after={}&limit={limit}>; rel=\"next\"",
            t.id
        )),
        _ => None,
    };
    let mut r = axum::response::IntoResponse::into_response(Json(v));
    if let Some(link) = next.and_then(|l| axum::http::HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(axum::http::header::LINK, link);
    }
    Ok(r)
}

/// Up to `limit` transactions after id `after`, with their postings, in one query; and
/// whether more follow.
pub fn read_page(
    conn: &Connection,
    after: i64,
    limit: u32,
) -> rusqlite::Result<(Vec<Transaction>, bool)> {
    let mut st = conn.prepare_cached(
        "WITH page AS (SELECT id, kind, body, actor, created_at FROM ledger_tx WHERE id > ?1 ORDER BY id LIMIT ?2) \
         SELECT page.id, page.kind, page.body, page.actor, page.created_at, e.account, e.unit, e.amount \
         FROM page LEFT JOIN ledger_entries e ON e.tx_id = page.id ORDER BY page.id, e.id",
    )?;
    let mut rows = st.query((after, i64::from(limit) + 1))?;
    let mut out: Vec<Transaction> = vec![];
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if out.last().map(|t| t.id) != Some(id) {
            let body: String = r.get(2)?;
            out.push(Transaction {
                id,
                kind: r.get(1)?,
                body: serde_json::from_str(&body).unwrap_or_default(),
                actor: r.get(3)?,
                created_at: r.get(4)?,
                entries: vec![],
            });
        }
        if let Some(account) = r.get::<_, Option<String>>(5)? {
            let t = out.last_mut().expect("pushed above");
            t.entries.push(Entry {
                account,
                unit: r.get(6)?,
                amount: r.get(7)?,
            });
        }
    }
    let more = out.len() > limit as usize;
    out.truncate(limit as usize);
    Ok((out, more))
}

/// Holdings of one commodity in one vault.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Balance {
    /// Stockpile.
    pub vault: String,
    /// Commodity.
    pub commodity: String,
    /// Tonnes held.
    pub inventory_t: f64,
    /// Book value, USD.
    pub book_value_usd: f64,
    /// Largest holding allowed, t.
    pub max_inventory_t: f64,
}

/// Money of one vault.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct VaultMoney {
    /// Stockpile.
    pub vault: String,
    /// Budget for purchases over the run, USD.
    pub budget_usd: f64,
    /// Purchases so far, USD.
    pub spent_usd: f64,
    /// Budget left, USD.
    pub budget_left_usd: f64,
    /// Release proceeds so far, USD.
    pub proceeds_usd: f64,
}

/// `GET /v1/ledger/balances` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Balances {
    /// By vault and commodity.
    pub holdings: Vec<Balance>,
    /// By vault.
    pub money: Vec<VaultMoney>,
}

/// Computes the balances from the postings.
pub fn compute_balances(s: &Scenario, conn: &Connection) -> rusqlite::Result<Balances> {
    let mut holdings = vec![];
    let mut money = vec![];
    for p in &s.bloc.stockpiles {
        for c in &p.commodities {
            holdings.push(Balance {
                vault: p.name.clone(),
                commodity: c.as_str().into(),
                inventory_t: balance(
                    conn,
                    &inv(&p.name, c.as_str()),
                    &format!("t:{}", c.as_str()),
                )?,
                book_value_usd: balance(conn, &inv(&p.name, c.as_str()), "USD")?,
                max_inventory_t: p.max_inventory.0,
            });
        }
        let spend = spent(conn, &p.name)?;
        let treasury = balance(conn, &format!("vault/{}/treasury", p.name), "USD")?;
        money.push(VaultMoney {
            vault: p.name.clone(),
            budget_usd: p.budget.0,
            spent_usd: spend,
            budget_left_usd: p.budget.0 - spend,
            proceeds_usd: treasury + spend,
        });
    }
    Ok(Balances { holdings, money })
}

/// Balances by vault and commodity.
#[utoipa::path(get, path = "/v1/ledger/balances", responses((status = 200, body = Balances)))]
pub async fn balances(State(state): State<Arc<AppState>>) -> ApiResult<Json<Balances>> {
    let b = blocking(&state, |st| {
        Ok(compute_balances(&st.scenario, &st.db.reader())?)
    })
    .await?;
    Ok(Json(b))
}

/// One audit-log row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditRow {
    /// Id.
    pub id: i64,
    /// When (UTC).
    pub at: String,
    /// Who (reporting entity, `system` or `admin`).
    pub actor: String,
    /// Their role.
    pub role: String,
    /// What (`report.create`, `ledger.purchase`, …).
    pub action: String,
    /// On what.
    pub target: String,
    /// The request.
    pub detail: serde_json::Value,
}

/// The audit log of every write, oldest first (secretariat).
#[utoipa::path(get, path = "/v1/audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<AuditRow>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<AuditRow>>> {
    caller.require(Role::Secretariat)?;
    let v = blocking(&state, |st| {
        let conn = st.db.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at, actor, role, action, target, detail FROM audit ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                detail: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
    .await?;
    Ok(Json(v))
}
