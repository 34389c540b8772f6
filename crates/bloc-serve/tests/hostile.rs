//! Issue 15 (items 6–8, 13): what a hostile member could do to the service, each case as it was
//! found. Real SQLite file, real HTTP on 127.0.0.1.

mod common;
use common::{report, Server};
use serde_json::{json, Value};

fn field(b: &Value) -> &str {
    b["field"].as_str().unwrap_or("")
}

/// r15 item 6: a price or volume of 1e308 was stored; from a non-member origin it became a
/// levy origin price that overflowed and was published as `null`, and the next start failed
/// ("invalid type: null, expected f64"). Now every number is bounded (≤ 1e10).
#[test]
fn r15_huge_numbers_are_refused_naming_the_field() {
    let srv = Server::start();
    let c = srv.client();
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let sec = srv.token("secretariat", None, "secretariat");
    for (name, v) in [
        ("price_usd_per_t", 1e308),
        ("volume_t", 1e308),
        ("price_usd_per_t", 1.5e10),
        ("volume_t", -1.0),
        ("price_usd_per_t", 0.0),
    ] {
        let mut r = report("ndpr_oxide", "CHN", "2026Q1", 40000.0, 10.0, "k");
        r[name] = json!(v);
        let (st, b) = c.post("/v1/reports", Some(&jpn), &r);
        assert_eq!((st, field(&b)), (400, name), "{name} = {v}: {b}");
    }
    // At the bound: accepted.
    let (st, b) = c.post(
        "/v1/reports",
        Some(&jpn),
        &report("ndpr_oxide", "CHN", "2026Q1", 1e10, 1e10, "edge"),
    );
    assert_eq!(st, 201, "{b}");
    // The ledger: a release at 1e308 stored ±inf and passed the zero-sum check.
    let buy = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
        "quantity_t": 10, "price_usd_per_t": 100, "counterparty": "Lynas"});
    assert_eq!(c.post("/v1/ledger/transactions", Some(&sec), &buy).0, 201);
    for (k, v) in [("price_usd_per_t", 1e308), ("quantity_t", 1e300)] {
        let mut rel = json!({"kind": "release", "vault": "project-vault", "commodity": "ndpr_oxide",
            "quantity_t": 1, "price_usd_per_t": 100, "counterparty": "MP"});
        rel[k] = json!(v);
        let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &rel);
        assert_eq!((st, field(&b)), (400, k), "{b}");
    }
    // Duty lookups are bounded too.
    let (st, b) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=1e308");
    assert_eq!((st, field(&b)), (400, "customs_value"), "{b}");
    let (st, b) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=1&quantity_t=inf");
    assert_eq!((st, field(&b)), (400, "quantity_t"), "{b}");
    // Nothing stored is ±inf or NaN (SQLite holds inf as a REAL, NaN as NULL).
    let conn = rusqlite::Connection::open(&srv.db).unwrap();
    let bad: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM ledger_entries WHERE amount IS NULL OR abs(amount) > 1e300",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0);
}

/// r15 item 6: rows written before the bounds (a report at 1e308, a schedule holding `null`, a
/// reference price holding `null`) must not stop the service from starting, nor make a listing
/// answer 500 for everyone; a duty lookup in the broken period is refused, not levy-free.
#[test]
fn r15_startup_survives_any_stored_row() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    assert_eq!(
        c.post(
            "/v1/reports",
            Some(&jpn),
            &report("ndpr_oxide", "CHN", "2026Q1", 40000.0, 10.0, "k1")
        )
        .0,
        201
    );
    let (dir, db) = srv.stop();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        // A report an older version accepted: price 1e308 from a non-member origin, and one
        // of volume 1e308 from a member (two of those made a reference price NaN).
        for (origin, p, v, key) in [
            ("CHN", 1e308, 1000.0, "old1"),
            ("AUS", 70000.0, 1e308, "old2"),
            ("AUS", 70000.0, 1e308, "old3"),
        ] {
            conn.execute(
                "INSERT INTO reports (entity, member, token_id, idempotency_key, request_hash) VALUES ('JPN-METI', 'JPN', 2, ?1, 'h')",
                [key],
            )
            .unwrap();
            let id = conn.last_insert_rowid();
            conn.execute(
                "INSERT INTO report_versions (report_id, version, commodity, origin, delivery_period, price_usd_per_t, volume_t, trade_date, incoterm, counterparty_type) VALUES (?1, 1, 'ndpr_oxide', ?2, '2026Q1', ?3, ?4, '2026-01-15', 'CIF', 'member')",
                rusqlite::params![id, origin, p, v],
            )
            .unwrap();
        }
        // A published schedule and a reference price as the older version wrote them.
        conn.execute(
            "INSERT INTO schedules (period, version, body, content_hash) VALUES ('2026Q3', 1, ?1, 'h')",
            [json!({"period": "2026Q3", "version": 1, "reason": null, "rule": "r", "floors": [],
                "rows": [{"commodity": "ndpr_oxide", "importer": "USA", "origin": "CHN",
                "origin_price_usd_per_t": null, "origin_price_basis": "x", "transport_usd_per_t": 220.0,
                "tariff_usd_per_t": null, "floor_usd_per_t": 66000.0, "levy_usd_per_t": 0.0}],
                "content_hash": "h", "published_at": null}).to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO reference_prices (period, commodity, body, content_hash) VALUES ('2026Q4', 'li2co3', ?1, 'h')",
            [json!({"period": "2026Q4", "commodity": "li2co3", "value_usd_per_t": null}).to_string()],
        )
        .unwrap();
    }
    let srv = Server::start_in(dir, db);
    let c = srv.client();
    let (st, b) = c.get("/v1/reference-prices");
    assert_eq!(
        st, 200,
        "one bad row made the listing 500 for everyone: {b}"
    );
    let (st, b) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-08-14&customs_value=50000");
    assert_eq!(st, 422, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("publish a revision"),
        "{b}"
    );
    // The stored 1e308 reports take no part: the 2026Q1 reference and the 2026Q2 schedule are
    // finite numbers.
    let (st, refs) = c.post(
        "/v1/reference-prices/2026Q1/compute",
        Some(&sec),
        &Value::Null,
    );
    assert_eq!(st, 201, "{refs}");
    for r in refs.as_array().unwrap() {
        assert!(r["value_usd_per_t"].is_f64(), "{r}");
    }
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q2/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        201
    );
    let (st, s) = c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}));
    assert_eq!(st, 201, "{s}");
    for row in s["rows"].as_array().unwrap() {
        for k in [
            "origin_price_usd_per_t",
            "tariff_usd_per_t",
            "levy_usd_per_t",
        ] {
            assert!(row[k].is_f64(), "{k}: {row}");
        }
    }
    // And a revision of the broken period makes it usable again.
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q3/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        201
    );
    let (st, b) = c.post(
        "/v1/schedule/2026Q3/publish",
        Some(&sec),
        &json!({"reason": "v1 unreadable"}),
    );
    assert_eq!(st, 201, "{b}");
    let (st, b) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-08-14&customs_value=50000");
    assert_eq!(st, 200, "{b}");
    // Restart once more: fine.
    let (dir, db) = srv.stop();
    let _srv = Server::start_in(dir, db);
}

/// r15 item 8: `2026q1`, `2026` and `2026Q1 ` were stored and never counted; `+026-01-15`
/// and `2026-+1-15` passed as dates. Now 400 naming the field.
#[test]
fn r15_periods_and_dates_are_parsed_strictly() {
    let srv = Server::start();
    let c = srv.client();
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let sec = srv.token("secretariat", None, "secretariat");
    for p in [
        "2026q1", "2026", "2026Q1 ", " 2026Q1", "2026Q01", "2026Q5", "+026Q1",
    ] {
        let (st, b) = c.post(
            "/v1/reports",
            Some(&jpn),
            &report("ndpr_oxide", "AUS", p, 70000.0, 1.0, "k"),
        );
        assert_eq!((st, field(&b)), (400, "delivery_period"), "{p:?}: {b}");
    }
    for d in [
        "+026-01-15",
        "2026-+1-15",
        "2026-01-+5",
        "2026-1-15",
        "２０２６-01-15",
    ] {
        let mut r = report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 1.0, "k");
        r["trade_date"] = json!(d);
        let (st, b) = c.post("/v1/reports", Some(&jpn), &r);
        assert_eq!((st, field(&b)), (400, "trade_date"), "{d:?}: {b}");
        let (st, b) = c.get(&format!(
            "/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&customs_value=1&date={}",
            d.replace('+', "%2B")
        ));
        assert_eq!((st, field(&b)), (400, "date"), "{d:?}: {b}");
    }
    for p in ["2026q1", "2026", "2026Q1%20"] {
        let (st, b) = c.post(
            &format!("/v1/reference-prices/{p}/compute"),
            Some(&sec),
            &Value::Null,
        );
        assert_eq!((st, field(&b)), (400, "period"), "{p:?}: {b}");
        let (st, b) = c.get(&format!("/v1/schedule/{p}"));
        assert_eq!((st, field(&b)), (400, "period"), "{p:?}: {b}");
    }
    // The canonical spelling works.
    let (st, b) = c.post(
        "/v1/reports",
        Some(&jpn),
        &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 1.0, "k"),
    );
    assert_eq!(st, 201, "{b}");
}

/// r15 item 7: the levy's origin price was a plain volume-weighted mean, so one JPN report at
/// 1e6 USD/t × 1,000 t moved USA←CHN 2026Q2 from 15,725 to 0. Now the reference methodology
/// (MAD trimming, ≥ 3 entities, ≤ 50% of the volume) gives it, and the row says so.
#[test]
fn r15_one_report_cannot_move_the_levy() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let t = [
        srv.token("reporter", Some("USA"), "USA-DOE"),
        srv.token("reporter", Some("JPN"), "JPN-METI"),
        srv.token("reporter", Some("AUS"), "AUS-DISR"),
    ];
    for (k, who) in [0, 1, 2].into_iter().enumerate() {
        let (st, b) = c.post(
            "/v1/reports",
            Some(&t[who]),
            &report(
                "ndpr_oxide",
                "CHN",
                "2026Q1",
                40000.0,
                10.0,
                &format!("c{k}"),
            ),
        );
        assert_eq!(st, 201, "{b}");
    }
    let (st, b) = c.post(
        "/v1/reports",
        Some(&t[1]),
        &report("ndpr_oxide", "CHN", "2026Q1", 1e6, 1000.0, "outlier"),
    );
    assert_eq!(st, 201, "{b}");
    for p in ["2026Q1", "2026Q2"] {
        let path = format!("/v1/reference-prices/{p}/compute");
        assert_eq!(c.post(&path, Some(&sec), &Value::Null).0, 201);
    }
    let (st, s) = c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}));
    assert_eq!(st, 201, "{s}");
    let row = s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commodity"] == "ndpr_oxide" && r["importer"] == "USA" && r["origin"] == "CHN")
        .unwrap()
        .clone();
    assert_eq!(row["origin_price_method"], "reports", "{row}");
    assert!(
        (row["origin_price_usd_per_t"].as_f64().unwrap() - 40000.0).abs() < 1e-6,
        "{row}"
    );
    assert!(
        (row["levy_usd_per_t"].as_f64().unwrap() - 15725.0).abs() < 1e-6,
        "{row}"
    );
    assert!(
        row["origin_price_basis"]
            .as_str()
            .unwrap()
            .contains("3 of 4 reports"),
        "{row}"
    );
    assert!(s["rule"].as_str().unwrap().contains("bloc-ref/1"), "{s}");
    // ARG: one entity's reports only → the reference stands in, and the row says why.
    let arg = s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["origin"] == "ARG" && r["commodity"] == "ndpr_oxide")
        .cloned();
    if let Some(arg) = arg {
        assert_eq!(arg["origin_price_method"], "reference", "{arg}");
    }
}

/// r15 item 13: the ledger tables took DELETE, and `INSERT OR REPLACE` rewrote any
/// append-only row (REPLACE deletes the old row without firing delete triggers).
#[test]
fn r15_append_only_tables_refuse_delete_and_replace() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    assert_eq!(
        c.post(
            "/v1/reports",
            Some(&jpn),
            &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k1")
        )
        .0,
        201
    );
    let buy = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
        "quantity_t": 10, "price_usd_per_t": 100, "counterparty": "Lynas", "idempotency_key": "pv-1"});
    assert_eq!(c.post("/v1/ledger/transactions", Some(&sec), &buy).0, 201);
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q1/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        201
    );
    let conn = rusqlite::Connection::open(&srv.db).unwrap();
    for sql in ["DELETE FROM ledger_entries", "DELETE FROM ledger_tx"] {
        assert!(conn.execute(sql, []).is_err(), "{sql} was allowed");
    }
    for sql in [
        "INSERT OR REPLACE INTO reports (id, entity, member, token_id, idempotency_key, request_hash) SELECT id, entity, member, token_id, idempotency_key, 'forged' FROM reports",
        "REPLACE INTO reports (entity, member, token_id, idempotency_key, request_hash) SELECT entity, member, token_id, idempotency_key, 'forged' FROM reports",
        "INSERT OR REPLACE INTO report_versions SELECT report_id, version, commodity, origin, delivery_period, 1.0, volume_t, trade_date, incoterm, counterparty_type, reason, created_at FROM report_versions",
        "INSERT OR REPLACE INTO reference_prices (period, commodity, body, content_hash) SELECT period, commodity, '{}', 'forged' FROM reference_prices",
        "INSERT OR REPLACE INTO ledger_tx (id, kind, body, idempotency_key, actor) SELECT id, kind, '{}', idempotency_key, 'forged' FROM ledger_tx",
        "INSERT OR REPLACE INTO ledger_tx (kind, body, idempotency_key, actor) VALUES ('purchase', '{}', 'pv-1', 'forged')",
        "INSERT OR REPLACE INTO ledger_entries (id, tx_id, account, unit, amount) SELECT id, tx_id, account, unit, 0 FROM ledger_entries",
        "INSERT OR REPLACE INTO audit (id, actor, role, action, target, detail) SELECT id, 'forged', role, action, target, detail FROM audit",
    ] {
        assert!(conn.execute(sql, []).is_err(), "allowed: {sql}");
    }
    conn.execute(
        "INSERT INTO schedules (period, version, body, content_hash) VALUES ('2026Q4', 1, '{}', 'h')",
        [],
    )
    .unwrap();
    assert!(conn
        .execute(
            "INSERT OR REPLACE INTO schedules (period, version, body, content_hash) VALUES ('2026Q4', 1, '{}', 'forged')",
            []
        )
        .is_err());
    let forged: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM reports WHERE request_hash = 'forged') + (SELECT COUNT(*) FROM ledger_tx WHERE actor = 'forged') + (SELECT COUNT(*) FROM audit WHERE actor = 'forged')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(forged, 0);
}

/// r15 item 13: idempotency keys and counterparty names had no cap (a 60 KiB key, control
/// characters), and a ledger key `opening/<vault>` could pre-empt a stockpile's opening.
#[test]
fn r15_keys_and_names_are_capped() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let long = "k".repeat(129);
    for key in [long.as_str(), "a\u{1b}[2Jb", "tab\tkey", "   "] {
        let (st, b) = c.post(
            "/v1/reports",
            Some(&jpn),
            &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, key),
        );
        assert_eq!((st, field(&b)), (400, "idempotency_key"), "{key:?}: {b}");
        let tx = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
            "quantity_t": 1, "price_usd_per_t": 100, "counterparty": "Lynas", "idempotency_key": key});
        let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &tx);
        assert_eq!((st, field(&b)), (400, "idempotency_key"), "{key:?}: {b}");
        let tx = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
            "quantity_t": 1, "price_usd_per_t": 100, "counterparty": key});
        let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &tx);
        assert_eq!((st, field(&b)), (400, "counterparty"), "{key:?}: {b}");
    }
    let tx = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
        "quantity_t": 1, "price_usd_per_t": 100, "counterparty": "Lynas", "idempotency_key": "opening/vault-jpn"});
    let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &tx);
    assert_eq!((st, field(&b)), (400, "idempotency_key"), "{b}");
    // 128 characters, non-ASCII: fine.
    let ok = "é".repeat(128);
    let (st, b) = c.post(
        "/v1/reports",
        Some(&jpn),
        &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, &ok),
    );
    assert_eq!(st, 201, "{b}");
}

/// r15 item 11: `GET /v1/ledger/transactions` made one query per transaction (no index on
/// `tx_id`) and returned everything at once. Now one query a page, `limit` ≤ 1000, and the
/// `link` header names the next page; following it gives exactly the transactions, in order.
#[test]
fn r15_ledger_list_is_paged() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    for k in 0..5 {
        let buy = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide",
            "quantity_t": 1 + k, "price_usd_per_t": 100, "counterparty": "Lynas", "idempotency_key": format!("p{k}")});
        assert_eq!(c.post("/v1/ledger/transactions", Some(&sec), &buy).0, 201);
    }
    let (st, all) = c.get("/v1/ledger/transactions");
    assert_eq!(st, 200);
    let all: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(!t["entries"].as_array().unwrap().is_empty(), "{t}");
            t["id"].as_i64().unwrap()
        })
        .collect();
    // The demo's stockpile openings and the five purchases.
    assert!(
        all.len() >= 5 && all.windows(2).all(|w| w[0] < w[1]),
        "{all:?}"
    );
    let mut path = "/v1/ledger/transactions?limit=2".to_string();
    let mut paged = vec![];
    let mut pages = 0;
    loop {
        let r = c.agent.get(&format!("{}{path}", c.base)).call().unwrap();
        let link = r.header("link").map(str::to_string);
        let v: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
        let page = v.as_array().unwrap();
        assert!(page.len() <= 2);
        paged.extend(page.iter().map(|t| t["id"].as_i64().unwrap()));
        pages += 1;
        match link {
            Some(l) => {
                path = l
                    .strip_prefix('<')
                    .and_then(|l| l.split_once('>'))
                    .unwrap()
                    .0
                    .to_string()
            }
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert_eq!(pages, all.len().div_ceil(2));
    for bad in ["limit=0", "limit=1001", "after=-1", "limit=x"] {
        let (st, b) = c.get(&format!("/v1/ledger/transactions?{bad}"));
        assert_eq!(st, 400, "{bad}: {b}");
        assert!(
            ["limit", "after"].contains(&field(&b)) || b["error"] == "bad_request",
            "{bad}: {b}"
        );
    }
}
