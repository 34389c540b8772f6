//! The service end to end over loopback HTTP, on the demo configuration and a real SQLite file.

mod common;
use common::{report, Server};
use serde_json::{json, Value};

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

/// Every write route: 401 without a token (or with an unknown one), 403 with the wrong role
/// or for another entity's report.
#[test]
fn write_routes_need_the_right_token() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let usa = srv.token("reporter", Some("USA"), "USA-DOE");
    let rep = report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k1");
    let tx = json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 1, "price_usd_per_t": 1, "counterparty": "x"});
    let routes: Vec<(&str, Value, &str)> = vec![
        ("/v1/reports", rep.clone(), "reporter"),
        (
            "/v1/reference-prices/2026Q1/compute",
            Value::Null,
            "secretariat",
        ),
        ("/v1/schedule/2026Q1/publish", json!({}), "secretariat"),
        ("/v1/ledger/transactions", tx, "secretariat"),
    ];
    for (path, body, role) in &routes {
        assert_eq!(c.post(path, None, body).0, 401, "{path} without a token");
        assert_eq!(
            c.post(path, Some("bloc_nope"), body).0,
            401,
            "{path} unknown token"
        );
        let wrong = if *role == "reporter" { &sec } else { &jpn };
        let (st, b) = c.post(path, Some(wrong), body);
        assert_eq!(st, 403, "{path} wrong role: {b}");
        assert_eq!(b["error"], "forbidden");
    }
    // Reads of published data need no token; the audit log and report lists do.
    assert_eq!(c.get("/v1/ledger/balances").0, 200);
    assert_eq!(c.get("/v1/schedule").0, 200);
    assert_eq!(c.get("/v1/audit").0, 401);
    assert_eq!(c.call("GET", "/v1/audit", Some(&jpn), None).0, 403);
    assert_eq!(c.get("/v1/reports").0, 401);
    // Corrections: only the entity that reported.
    let (st, r) = c.post("/v1/reports", Some(&jpn), &rep);
    assert_eq!(st, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    let mut corr = rep.clone();
    corr.as_object_mut().unwrap().remove("idempotency_key");
    corr["reason"] = json!("typo");
    let path = format!("/v1/reports/{id}/corrections");
    assert_eq!(c.post(&path, None, &corr).0, 401);
    assert_eq!(c.post(&path, Some(&sec), &corr).0, 403);
    assert_eq!(
        c.post(&path, Some(&usa), &corr).0,
        403,
        "another member's reporter"
    );
    assert_eq!(
        c.call("GET", &format!("/v1/reports/{id}"), Some(&usa), None)
            .0,
        403
    );
    assert_eq!(c.post(&path, Some(&jpn), &corr).0, 201);
}

/// Bodies above the limit are refused; malformed JSON and wrong types are 400 naming the field.
#[test]
fn bad_bodies_are_refused_with_the_field() {
    let srv = Server::start();
    let c = srv.client();
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let big = format!(
        "{{\"commodity\": \"{}\"}}",
        "x".repeat(bloc_serve::server::BODY_LIMIT + 1)
    );
    assert_eq!(c.call("POST", "/v1/reports", Some(&jpn), Some(&big)).0, 413);
    let cases: Vec<(String, &str)> = vec![
        ("{\"commodity\": ".into(), "body"),
        ("[1, 2]".into(), "."),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["volume_t"] = json!("lots");
                r.to_string()
            },
            "volume_t",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["price_usd_per_t"] = json!("cheap");
                r.to_string()
            },
            "price_usd_per_t",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r.as_object_mut().unwrap().remove("volume_t");
                r.to_string()
            },
            "volume_t",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["extra"] = json!(1);
                r.to_string()
            },
            "extra",
        ),
        (
            report("unobtainium", "AUS", "2026Q1", 1.0, 1.0, "k").to_string(),
            "commodity",
        ),
        (
            report("ndpr_oxide", "XXX", "2026Q1", 1.0, 1.0, "k").to_string(),
            "origin",
        ),
        (
            report("ndpr_oxide", "AUS", "2040Q1", 1.0, 1.0, "k").to_string(),
            "delivery_period",
        ),
        (
            report("ndpr_oxide", "AUS", "2026Q1", -5.0, 1.0, "k").to_string(),
            "price_usd_per_t",
        ),
        (
            report("ndpr_oxide", "AUS", "2026Q1", 5.0, 0.0, "k").to_string(),
            "volume_t",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["trade_date"] = json!("2026-02-30");
                r.to_string()
            },
            "trade_date",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["incoterm"] = json!("FREE");
                r.to_string()
            },
            "incoterm",
        ),
        (
            {
                let mut r = report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "k");
                r["counterparty_type"] = json!("friend");
                r.to_string()
            },
            "counterparty_type",
        ),
        (
            report("ndpr_oxide", "AUS", "2026Q1", 1.0, 1.0, "").to_string(),
            "idempotency_key",
        ),
    ];
    for (body, field) in cases {
        let (st, b) = c.call("POST", "/v1/reports", Some(&jpn), Some(&body));
        assert_eq!(st, 400, "{body}: {b}");
        assert_eq!(b["error"], "bad_request");
        if field == "extra" {
            assert!(b["message"].as_str().unwrap().contains("extra"), "{b}");
        } else if field != "." {
            assert_eq!(b["field"], field, "{body}: {b}");
        }
    }
    // Query parameters of the duty lookup likewise.
    let (st, b) = c.get(
        "/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=abc",
    );
    assert_eq!((st, b["field"].as_str()), (400, Some("customs_value")));
    let (st, b) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&customs_value=1");
    assert_eq!((st, b["field"].as_str()), (400, Some("date")));
    let (st, b) = c.get(
        "/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2031-01-01&customs_value=1",
    );
    assert_eq!((st, b["field"].as_str()), (400, Some("date")));
    // Ledger: unknown vault, wrong type.
    let sec = srv.token("secretariat", None, "secretariat");
    let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &json!({"kind": "purchase", "vault": "nope", "commodity": "ndpr_oxide", "quantity_t": 1, "price_usd_per_t": 1, "counterparty": "x"}));
    assert_eq!((st, b["field"].as_str()), (400, Some("vault")), "{b}");
    let (st, b) = c.post("/v1/ledger/transactions", Some(&sec), &json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": "one", "price_usd_per_t": 1, "counterparty": "x"}));
    assert_eq!((st, b["field"].as_str()), (400, Some("quantity_t")), "{b}");
}

/// Reports are append-only and idempotent; a correction is a new version; each reporter sees
/// its own, the secretariat all.
#[test]
fn reports_are_idempotent_versioned_and_scoped() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let usa = srv.token("reporter", Some("USA"), "USA-DOE");
    let r1 = report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "same-key");
    let (st, a) = c.post("/v1/reports", Some(&jpn), &r1);
    assert_eq!(st, 201);
    let (st, b) = c.post("/v1/reports", Some(&jpn), &r1);
    assert_eq!(st, 200, "a retry is not stored again");
    assert_eq!(a["id"], b["id"]);
    let (st, _) = c.post(
        "/v1/reports",
        Some(&jpn),
        &report("ndpr_oxide", "AUS", "2026Q1", 99.0, 10.0, "same-key"),
    );
    assert_eq!(st, 409, "a used key with another report");
    // The same key is another entity's own key space.
    assert_eq!(c.post("/v1/reports", Some(&usa), &r1).0, 201);
    let id = a["id"].as_i64().unwrap();
    let mut corr = report("ndpr_oxide", "AUS", "2026Q1", 71000.0, 10.0, "");
    corr.as_object_mut().unwrap().remove("idempotency_key");
    corr["reason"] = json!("");
    assert_eq!(
        c.post(&format!("/v1/reports/{id}/corrections"), Some(&jpn), &corr)
            .1["field"],
        "reason"
    );
    corr["reason"] = json!("price was per lb, not per t");
    let (st, v2) = c.post(&format!("/v1/reports/{id}/corrections"), Some(&jpn), &corr);
    assert_eq!(st, 201);
    assert_eq!(v2["version"], 2);
    close(&v2["price_usd_per_t"], 71000.0);
    let (_, hist) = c.call("GET", &format!("/v1/reports/{id}"), Some(&jpn), None);
    let hist = hist.as_array().unwrap();
    assert_eq!(hist.len(), 2);
    close(&hist[0]["price_usd_per_t"], 70000.0);
    assert_eq!(hist[1]["reason"], "price was per lb, not per t");
    let (_, mine) = c.call("GET", "/v1/reports", Some(&jpn), None);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["version"], 2, "lists show the latest version");
    let (_, all) = c.call("GET", "/v1/reports", Some(&sec), None);
    assert_eq!(all.as_array().unwrap().len(), 2);
    // The audit log has every write: 2 creates and 1 correction (plus the token creations).
    let (_, log) = c.call("GET", "/v1/audit", Some(&sec), None);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "report.create").count(), 2);
    assert_eq!(
        actions.iter().filter(|a| **a == "report.correct").count(),
        1
    );
}

/// Known answer on the demo configuration, worked by hand:
///
/// Reports of NdPr oxide delivered 2026Q1 from member origins: 70,000 × 10 t (USA-DOE),
/// 72,000 × 10 t (JPN-METI), 71,000 × 20 t (AUS-DISR), 150,000 × 5 t (JPN-METI).
/// median = 71,500; |deviations| = 1,500, 500, 500, 78,500 → MAD = 1,000; band =
/// max(3 × 1.4826 × 1,000, 2% × 71,500) = 4,447.8 → the 150,000 is trimmed. Kept volume 40 t,
/// AUS-DISR holds 20/40 = 50% (allowed), 3 entities → reference = (700,000 + 720,000 +
/// 1,420,000) / 40 = 71,000. A report of 40,000 × 10 t from CHN (not a member) is left out
/// of the reference and sets CHN's origin price for the levy.
///
/// 2026Q2 has no reports → fallback `cost_based` (percentile 0.75, margin 0.1): member blocks
/// AUS 6,000 t at 52,000 + 8,000 = 60,000 and USA 2,000 t at 61,000 + 9,000 = 70,000; 75% of
/// 8,000 t = 6,000 t is reached by the AUS block → 60,000 × 1.1 = 66,000 = the floor (ratio 1).
/// Levy CHN → USA (lag 1: CHN's 2026Q1 price 40,000): transport 220, tariff 25% × 40,220 =
/// 10,055, landed 50,275 → levy = 66,000 − 50,275 = 15,725 (cap 60,000). CHN → JPN: transport
/// 150, tariff 2% × 40,150 = 803 → levy 66,000 − 40,953 = 25,047.
/// Duty USA ← CHN at a customs value of 50,000/t: MFN 25% = 12,500, levy 15,725, total 28,225.
#[test]
fn reference_prices_schedule_and_duty_known_answer() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let t = [
        srv.token("reporter", Some("USA"), "USA-DOE"),
        srv.token("reporter", Some("JPN"), "JPN-METI"),
        srv.token("reporter", Some("AUS"), "AUS-DISR"),
    ];
    let sends = [
        (0, "AUS", 70000.0, 10.0),
        (1, "AUS", 72000.0, 10.0),
        (2, "AUS", 71000.0, 20.0),
        (1, "USA", 150000.0, 5.0),
        // The origin price of the levy follows the reference methodology (issue 15, item 7):
        // three entities report CHN at 40,000.
        (0, "CHN", 40000.0, 10.0),
        (1, "CHN", 40000.0, 10.0),
        (2, "CHN", 40000.0, 10.0),
    ];
    let mut chn_ids = vec![];
    for (k, (who, origin, p, v)) in sends.iter().enumerate() {
        let (st, r) = c.post(
            "/v1/reports",
            Some(&t[*who]),
            &report("ndpr_oxide", origin, "2026Q1", *p, *v, &format!("k{k}")),
        );
        assert_eq!(st, 201, "{r}");
        if *origin == "CHN" {
            chn_ids.push((*who, r["id"].as_i64().unwrap()));
        }
    }
    let (st, refs) = c.post(
        "/v1/reference-prices/2026Q1/compute",
        Some(&sec),
        &Value::Null,
    );
    assert_eq!(st, 201, "{refs}");
    let nd = refs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commodity"] == "ndpr_oxide")
        .unwrap();
    close(&nd["value_usd_per_t"], 71000.0);
    assert_eq!(nd["method"], "reports");
    assert_eq!(nd["inputs_count"], 4);
    assert_eq!(nd["used_count"], 3);
    assert_eq!(nd["methodology_version"], "bloc-ref/1");
    assert_eq!(nd["content_hash"].as_str().unwrap().len(), 64);
    let li = refs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commodity"] == "li2co3")
        .unwrap();
    assert_eq!(
        (li["method"].as_str(), li["fallback"].as_bool()),
        (Some("fallback:index"), Some(true))
    );
    close(&li["value_usd_per_t"], 12000.0);
    // Published means immutable.
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q1/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        409
    );
    assert_eq!(c.get("/v1/reference-prices/2026Q1").1, refs);

    // No schedule without its references; then the schedule.
    assert_eq!(
        c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}))
            .0,
        409
    );
    let (st, r2) = c.post(
        "/v1/reference-prices/2026Q2/compute",
        Some(&sec),
        &Value::Null,
    );
    assert_eq!(st, 201);
    let nd2 = r2
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commodity"] == "ndpr_oxide")
        .unwrap();
    assert_eq!(nd2["method"], "fallback:cost_based");
    close(&nd2["value_usd_per_t"], 66000.0);
    let (st, s1) = c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}));
    assert_eq!(st, 201, "{s1}");
    assert_eq!(s1["version"], 1);
    let row = |s: &Value, imp: &str, org: &str| -> Value {
        s["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["commodity"] == "ndpr_oxide" && r["importer"] == imp && r["origin"] == org)
            .cloned()
            .unwrap_or(Value::Null)
    };
    close(&row(&s1, "USA", "CHN")["levy_usd_per_t"], 15725.0);
    close(&row(&s1, "USA", "CHN")["tariff_usd_per_t"], 10055.0);
    close(&row(&s1, "JPN", "CHN")["levy_usd_per_t"], 25047.0);
    assert_eq!(row(&s1, "USA", "AUS"), Value::Null, "members pay no levy");
    assert_eq!(c.get("/v1/schedule/2026Q2").1, s1);

    let (st, d) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=50000&quantity_t=2");
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["tariff"]["kind"], "mfn");
    close(&d["tariff"]["usd_per_t"], 12500.0);
    close(&d["levy"]["usd_per_t"], 15725.0);
    close(&d["total_usd_per_t"], 28225.0);
    close(&d["total_usd"], 56450.0);
    assert!(
        d["tariff"]["rule"].as_str().unwrap().contains("line 3"),
        "{d}"
    );
    // Member to member: preferential, no levy. Framework USA–ARG on lithium: likewise.
    let (_, d) = c.get("/v1/duty?importer=USA&exporter=AUS&commodity=ndpr_oxide&date=2026-05-14&customs_value=50000");
    assert_eq!(d["tariff"]["kind"], "preferential");
    close(&d["total_usd_per_t"], 0.0);
    let (_, d) = c.get(
        "/v1/duty?importer=USA&exporter=ARG&commodity=li2co3&date=2026-05-14&customs_value=10000",
    );
    assert_eq!(
        (
            d["tariff"]["kind"].as_str(),
            d["bloc"]["framework"].as_str()
        ),
        (Some("preferential"), Some("US-Argentina"))
    );
    close(&d["levy"]["usd_per_t"], 0.0);
    // ARG ndpr into USA is not covered by the framework: MFN 3.5% on 10,000 = 350.
    let (_, d) = c.get("/v1/duty?importer=USA&exporter=ARG&commodity=ndpr_oxide&date=2026-05-14&customs_value=10000");
    close(&d["tariff"]["usd_per_t"], 350.0);

    // A schedule never changes: same content → 409; a correction of CHN's price (40,000 →
    // 42,000) → a revision, which needs a reason: landed 42,000 + 220 + 25% × 42,220 = 52,775,
    // levy 66,000 − 52,775 = 13,225.
    assert_eq!(
        c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}))
            .0,
        409
    );
    let mut corr = report("ndpr_oxide", "CHN", "2026Q1", 42000.0, 10.0, "");
    corr.as_object_mut().unwrap().remove("idempotency_key");
    corr["reason"] = json!("freight was included");
    for (who, id) in &chn_ids {
        assert_eq!(
            c.post(
                &format!("/v1/reports/{id}/corrections"),
                Some(&t[*who]),
                &corr
            )
            .0,
            201
        );
    }
    let (st, b) = c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}));
    assert_eq!((st, b["field"].as_str()), (400, Some("reason")));
    let (st, s2) = c.post(
        "/v1/schedule/2026Q2/publish",
        Some(&sec),
        &json!({"reason": "CHN price corrected"}),
    );
    assert_eq!(st, 201);
    assert_eq!(s2["version"], 2);
    close(&row(&s2, "USA", "CHN")["levy_usd_per_t"], 13225.0);
    let (_, d) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=50000");
    close(&d["levy"]["usd_per_t"], 13225.0);
    assert_eq!(d["levy"]["schedule_version"], 2);
    let (_, old) = c.get("/v1/schedule/2026Q2?version=1");
    assert_eq!(old, s1, "version 1 is unchanged");
    // The corrected 2026Q1 reference stays as published.
    assert_eq!(c.get("/v1/reference-prices/2026Q1").1, refs);
}

/// Purchase 100 t at 60,000 (6,000,000 USD), release 40 t at 70,000: book value 40 × 60,000 =
/// 2,400,000, proceeds 2,800,000, result −400,000 (a gain, credited); transfer 10 t to
/// vault-jpn at 600,000. Holdings 50 t / 3,000,000 and 10 t / 600,000; spent 6,000,000 of
/// 50,000,000. Refused: a release beyond inventory, a purchase beyond the budget left or the
/// max inventory. Every unit of every transaction sums to zero.
#[test]
fn ledger_is_double_entry_and_refuses_what_breaks_the_rules() {
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let post = |b: Value| c.post("/v1/ledger/transactions", Some(&sec), &b);
    let (st, p) = post(
        json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 100, "price_usd_per_t": 60000, "counterparty": "Lynas", "idempotency_key": "p1"}),
    );
    assert_eq!(st, 201, "{p}");
    let (st, again) = post(
        json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 100, "price_usd_per_t": 60000, "counterparty": "Lynas", "idempotency_key": "p1"}),
    );
    assert_eq!((st, &again["id"]), (200, &p["id"]));
    assert_eq!(post(json!({"kind": "release", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 40, "price_usd_per_t": 70000, "counterparty": "MP Materials"})).0, 201);
    assert_eq!(post(json!({"kind": "transfer", "vault": "project-vault", "to_vault": "vault-jpn", "commodity": "ndpr_oxide", "quantity_t": 10})).0, 201);
    let (st, e) = post(
        json!({"kind": "release", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 51, "price_usd_per_t": 1, "counterparty": "x"}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["message"].as_str().unwrap().contains("holds 50 t"), "{e}");
    let (st, e) = post(
        json!({"kind": "purchase", "vault": "project-vault", "commodity": "li2co3", "quantity_t": 1000, "price_usd_per_t": 50000, "counterparty": "x"}),
    );
    assert_eq!(st, 422);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("44000000 USD of its 50000000 USD budget left"),
        "{e}"
    );
    let (st, e) = post(
        json!({"kind": "purchase", "vault": "project-vault", "commodity": "li2co3", "quantity_t": 2001, "price_usd_per_t": 1, "counterparty": "x"}),
    );
    assert_eq!(st, 422);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("max_inventory_t 2000"),
        "{e}"
    );
    assert_eq!(post(json!({"kind": "purchase", "vault": "vault-jpn", "commodity": "li2co3", "quantity_t": 1, "price_usd_per_t": 1, "counterparty": "x"})).1["field"], "commodity");

    let (_, b) = c.get("/v1/ledger/balances");
    let h = |v: &str, com: &str| {
        b["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["vault"] == v && x["commodity"] == com)
            .cloned()
            .unwrap()
    };
    close(&h("project-vault", "ndpr_oxide")["inventory_t"], 50.0);
    close(
        &h("project-vault", "ndpr_oxide")["book_value_usd"],
        3_000_000.0,
    );
    close(&h("vault-jpn", "ndpr_oxide")["inventory_t"], 10.0);
    close(&h("vault-jpn", "ndpr_oxide")["book_value_usd"], 600_000.0);
    let m = b["money"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["vault"] == "project-vault")
        .cloned()
        .unwrap();
    close(&m["spent_usd"], 6_000_000.0);
    close(&m["budget_left_usd"], 44_000_000.0);
    close(&m["proceeds_usd"], 2_800_000.0);

    let (_, txs) = c.get("/v1/ledger/transactions");
    let txs = txs.as_array().unwrap();
    assert_eq!(txs.len(), 3, "refused and repeated requests store nothing");
    for t in txs {
        let mut sums = std::collections::BTreeMap::<String, f64>::new();
        for e in t["entries"].as_array().unwrap() {
            *sums.entry(e["unit"].as_str().unwrap().into()).or_default() +=
                e["amount"].as_f64().unwrap();
        }
        assert!(sums.values().all(|s| s.abs() < 1e-6), "{t}");
    }
    let rel = &txs[1]["entries"];
    let result = rel
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["account"] == "vault/project-vault/result")
        .unwrap();
    close(&result["amount"], -400_000.0);
    let (_, log) = c.call("GET", "/v1/audit", Some(&sec), None);
    let ledger_writes = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"].as_str().unwrap().starts_with("ledger."))
        .count();
    assert_eq!(ledger_writes, 3);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["at"].as_str().unwrap().is_empty()
                && !r["actor"].as_str().unwrap().is_empty())
    );
}

/// The committed `openapi.json` is the one the code generates (regenerate with
/// `BLOC_UPDATE_OPENAPI=1 cargo test -p bloc-serve --test api openapi`), and it is served.
#[test]
fn openapi_file_is_current_and_served() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let doc = bloc_serve::openapi::document();
    if std::env::var_os("BLOC_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "{} is stale: regenerate it with BLOC_UPDATE_OPENAPI=1",
        path.display()
    );
    let v: Value = serde_json::from_str(&doc).unwrap();
    for p in [
        "/v1/reports",
        "/v1/reports/{id}/corrections",
        "/v1/reference-prices/{period}/compute",
        "/v1/schedule/{period}",
        "/v1/duty",
        "/v1/ledger/transactions",
        "/v1/ledger/balances",
        "/v1/audit",
    ] {
        assert!(
            v["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }
    let srv = Server::start();
    assert_eq!(srv.client().get("/openapi.json").1, v);
}

/// Issue 21: `bloc serve --demo` seeds, through the API, the demo reporters' price reports of
/// 2026Q1–Q4, the reference prices of those periods (from the reports) and their floors and
/// levy schedules. A second start writes nothing: the same reports, reference prices and
/// schedule versions. What the secretariat wrote before is left as it was: its own report,
/// and its 2026Q1 reference price (published from one report, so a fallback), which the demo
/// does not recompute.
#[test]
fn r21_demo_seeds_reports_a_reference_and_a_schedule_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let srv = Server::start_in(dir, db);
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let own = srv.token("reporter", Some("JPN"), "JPN-TRADER");
    let (st, mine) = c.post(
        "/v1/reports",
        Some(&own),
        &report("ndpr_oxide", "AUS", "2026Q1", 69000.0, 5.0, "own-1"),
    );
    assert_eq!(st, 201, "{mine}");
    let (st, q1) = c.post(
        "/v1/reference-prices/2026Q1/compute",
        Some(&sec),
        &Value::Null,
    );
    assert_eq!(st, 201, "{q1}");
    let (dir, db) = srv.stop();

    let snapshot = |c: &common::Client| {
        let (st, reports) = c.call("GET", "/v1/reports", Some(&sec), None);
        assert_eq!(st, 200, "{reports}");
        let refs = c.get("/v1/reference-prices").1;
        let list = c.get("/v1/schedule").1;
        let q4 = c.get("/v1/schedule/2026Q4").1;
        (reports, refs, list, q4)
    };
    let (srv, lines) = Server::start_demo(dir, db);
    let c = srv.client();
    let text = lines.join("\n");
    assert!(
        text.contains("demo data: 60 price reports stored, 0 already there"),
        "{text}"
    );
    assert!(
        text.contains("demo data: reference prices published for 2026Q2, 2026Q3, 2026Q4\n"),
        "{text}"
    );
    assert!(
        text.contains("demo data: levy schedule published for 2026Q1, 2026Q2, 2026Q3, 2026Q4"),
        "{text}"
    );
    let first = snapshot(&c);
    let (reports, refs, list, q4) = &first;
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 61, "60 demo reports and the own one");
    assert_eq!(
        reports
            .iter()
            .filter(|r| r["idempotency_key"].as_str().unwrap().starts_with("demo/"))
            .count(),
        60
    );
    assert!(
        reports
            .iter()
            .any(|r| r["id"] == mine["id"] && r["price_usd_per_t"] == 69000.0 && r["version"] == 1),
        "the own report is kept"
    );
    // Reference prices: the own 2026Q1 one untouched; 2026Q2–Q4 from the demo reports.
    let refs = refs.as_array().unwrap();
    assert_eq!(refs.len(), 8, "{refs:#?}");
    for r in refs {
        if r["period"] == "2026Q1" {
            let was = q1
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["commodity"] == r["commodity"])
                .unwrap();
            assert_eq!(r["content_hash"], was["content_hash"]);
            assert_eq!(r["published_at"], was["published_at"]);
        } else {
            assert_eq!(r["method"], "reports", "{r}");
            assert_eq!(r["reporters"], 3, "{r}");
        }
    }
    // Schedules: version 1 of each period, marked as demo; the levy's origin prices from the
    // demo's CHN reports of the period before.
    let list = list.as_array().unwrap();
    assert_eq!(
        list.iter()
            .map(|s| s["period"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    );
    assert!(list.iter().all(|s| s["version"] == 1), "{list:?}");
    assert_eq!(q4["reason"], bloc_serve::demo::DEMO_REASON);
    assert_eq!(q4["floors"].as_array().unwrap().len(), 2, "{q4}");
    let chn = q4["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commodity"] == "ndpr_oxide" && r["origin"] == "CHN" && r["importer"] == "USA")
        .unwrap_or_else(|| panic!("{q4}"));
    assert_eq!(chn["origin_price_method"], "reports", "{chn}");
    assert!(chn["levy_usd_per_t"].as_f64().unwrap() > 0.0, "{chn}");
    // The duty calculator works on the demo's data.
    let (st, d) = c.get("/v1/duty?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-11-15&customs_value=45000");
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["levy"]["schedule_version"], 1, "{d}");

    // A second start: nothing new, nothing changed.
    let (dir, db) = srv.stop();
    let (srv, lines) = Server::start_demo(dir, db);
    let text = lines.join("\n");
    assert!(
        text.contains("demo data: 0 price reports stored, 60 already there"),
        "{text}"
    );
    assert!(
        text.contains("demo data: reference prices published for none (already published)"),
        "{text}"
    );
    assert!(
        text.contains("demo data: levy schedule published for none (already published)"),
        "{text}"
    );
    assert_eq!(snapshot(&srv.client()), first);
}

/// Found by schemathesis once `--demo` stored reports: `ReportFields` refused unknown fields,
/// so its part of the `Report` schema (an `allOf`) said `additionalProperties: false` of a
/// report that also has `id`, `version`, …: every stored report broke its own schema. Each
/// closed part of the schema must now name every key of a stored report.
#[test]
fn r21_a_stored_report_fits_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let (srv, _) = Server::start_demo(dir, db);
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let (st, reports) = c.call("GET", "/v1/reports", Some(&sec), None);
    assert_eq!(st, 200, "{reports}");
    let stored = reports[0].as_object().unwrap();
    let doc: Value = serde_json::from_str(&bloc_serve::openapi::document()).unwrap();
    // Every object schema reachable through allOf/oneOf/anyOf from Report.
    fn parts<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(v);
        for k in ["allOf", "oneOf", "anyOf"] {
            for p in v[k].as_array().into_iter().flatten() {
                parts(p, out);
            }
        }
    }
    let mut all = vec![];
    parts(&doc["components"]["schemas"]["Report"], &mut all);
    assert!(all.len() > 1, "{}", doc["components"]["schemas"]["Report"]);
    for p in all {
        if p["additionalProperties"] == Value::Bool(false) {
            for k in stored.keys() {
                assert!(
                    p["properties"].get(k).is_some(),
                    "a stored report's `{k}` is refused by a closed part of its schema: {p}"
                );
            }
        }
    }
}
