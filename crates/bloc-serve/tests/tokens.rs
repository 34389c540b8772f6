//! Issue 15, item 10: tokens can be revoked and can expire, and both take effect at once; a
//! `--demo` start leaves one live demo secretariat token; `--entity` cannot let one member's
//! token act for another member's entity.

mod common;
use common::{report, Server};
use serde_json::json;

/// A revoked token got through until restart (the service cached tokens); now 401 at once.
#[test]
fn r15_a_revoked_token_fails_at_once() {
    let srv = Server::start();
    let c = srv.client();
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    let r = report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k1");
    assert_eq!(c.post("/v1/reports", Some(&jpn), &r).0, 201);
    let t = bloc_serve::cli::token_revoke(&srv.db, &jpn).unwrap();
    assert_eq!(t.status, "revoked");
    let r2 = report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k2");
    let (st, b) = c.post("/v1/reports", Some(&jpn), &r2);
    assert_eq!(st, 401, "{b}");
    assert!(b["message"].as_str().unwrap().contains("revoked"), "{b}");
    assert_eq!(c.call("GET", "/v1/reports", Some(&jpn), None).0, 401);
    // Twice is an error; list shows it.
    assert!(bloc_serve::cli::token_revoke(&srv.db, &t.id.to_string()).is_err());
    let list = bloc_serve::cli::token_list(&srv.db).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, "revoked");
    assert!(!bloc_serve::cli::format_tokens(&list).contains(&jpn));
}

/// A reporter token deleted from the database while the service ran got 500 (the cached
/// caller wrote a report whose token no longer existed); now 401.
#[test]
fn r15_a_deleted_token_is_401_not_500() {
    let srv = Server::start();
    let c = srv.client();
    let jpn = srv.token("reporter", Some("JPN"), "JPN-METI");
    assert_eq!(c.call("GET", "/v1/reports", Some(&jpn), None).0, 200);
    let conn = rusqlite::Connection::open(&srv.db).unwrap();
    conn.execute("DELETE FROM tokens", []).unwrap();
    let (st, b) = c.post(
        "/v1/reports",
        Some(&jpn),
        &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k1"),
    );
    assert_eq!(st, 401, "{b}");
}

/// `--expires-in`: the token works, then fails with 401 saying it expired.
#[test]
fn r15_tokens_expire() {
    let srv = Server::start();
    let c = srv.client();
    let t = bloc_serve::cli::token_create_expiring(
        &srv.db,
        "secretariat",
        None,
        None,
        None,
        Some("1s"),
    )
    .unwrap();
    assert_eq!(c.call("GET", "/v1/audit", Some(&t), None).0, 200);
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let (st, b) = c.call("GET", "/v1/audit", Some(&t), None);
    assert_eq!(st, 401, "{b}");
    assert!(b["message"].as_str().unwrap().contains("expired"), "{b}");
    for bad in ["", "d", "10", "10y", "-1d", "0s", "1.5h", "99999999999d"] {
        assert!(
            bloc_serve::cli::token_create_expiring(
                &srv.db,
                "secretariat",
                None,
                None,
                None,
                Some(bad)
            )
            .is_err(),
            "{bad:?}"
        );
    }
}

/// Each `--demo` start added another secretariat token (all of them live); now the previous
/// start's demo tokens are revoked: one live demo secretariat token, whatever the count of
/// starts.
#[test]
fn r15_demo_starts_do_not_pile_up_tokens() {
    let srv = Server::start();
    let c = srv.client();
    let s = bloc_serve::cli::demo_scenario().unwrap();
    let first = bloc_serve::cli::demo_tokens_create(&srv.db, &s).unwrap();
    let sec1 = first[0]
        .strip_prefix("demo token (secretariat): ")
        .unwrap()
        .to_string();
    assert_eq!(c.call("GET", "/v1/audit", Some(&sec1), None).0, 200);
    for _ in 0..3 {
        bloc_serve::cli::demo_tokens_create(&srv.db, &s).unwrap();
    }
    let live: Vec<_> = bloc_serve::cli::token_list(&srv.db)
        .unwrap()
        .into_iter()
        .filter(|t| t.status == "active")
        .collect();
    assert_eq!(
        live.iter().filter(|t| t.role == "secretariat").count(),
        1,
        "{live:?}"
    );
    assert_eq!(live.len(), 4, "one secretariat and three reporters");
    assert_eq!(c.call("GET", "/v1/audit", Some(&sec1), None).0, 401);
}

/// `--member JPN --entity USA-DOE` made a JPN token that acted for USA's entity (and could
/// correct its reports); now refused, and so is an entity named like another region.
#[test]
fn r15_entity_belongs_to_one_member() {
    let srv = Server::start();
    let c = srv.client();
    let usa = srv.token("reporter", Some("USA"), "USA-DOE");
    let (st, r) = c.post(
        "/v1/reports",
        Some(&usa),
        &report("ndpr_oxide", "AUS", "2026Q1", 70000.0, 10.0, "k1"),
    );
    assert_eq!(st, 201, "{r}");
    let e = bloc_serve::cli::token_create(&srv.db, "reporter", Some("JPN"), Some("USA-DOE"), None)
        .unwrap_err();
    assert!(e.to_string().contains("--entity"), "{e}");
    let s = bloc_serve::cli::demo_scenario().unwrap();
    let e = bloc_serve::cli::token_create(&srv.db, "reporter", Some("JPN"), Some("USA"), Some(&s))
        .unwrap_err();
    assert!(e.to_string().contains("--entity"), "{e}");
    srv.token("secretariat", None, "secretariat");
    let e =
        bloc_serve::cli::token_create(&srv.db, "reporter", Some("JPN"), Some("secretariat"), None)
            .unwrap_err();
    assert!(e.to_string().contains("already acts for"), "{e}");
    // A second token for the same member and entity is fine.
    let usa2 = srv.token("reporter", Some("USA"), "USA-DOE");
    let mut corr = report("ndpr_oxide", "AUS", "2026Q1", 71000.0, 10.0, "");
    corr.as_object_mut().unwrap().remove("idempotency_key");
    corr["reason"] = json!("fee");
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        c.post(&format!("/v1/reports/{id}/corrections"), Some(&usa2), &corr)
            .0,
        201
    );
}
