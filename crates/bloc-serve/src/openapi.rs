//! The OpenAPI document, generated from the handlers' annotations (utoipa). The committed
//! copy `crates/bloc-serve/openapi.json` is checked against it by a test, and the service
//! serves it at `/openapi.json`.

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug)]
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description.
#[derive(OpenApi, Debug)]
#[openapi(
    info(title = "bloc secretariat service", description = "Price reports, reference prices, floors and levy schedule, duty lookup, Project Vault ledger. Write routes need a bearer token (`bloc admin token create`); reads of published data need none."),
    paths(
        crate::reports::create, crate::reports::list, crate::reports::history, crate::reports::correct,
        crate::reference::methodology, crate::reference::compute, crate::reference::list, crate::reference::get_period,
        crate::schedule::publish, crate::schedule::get_period, crate::schedule::list,
        crate::duty::lookup,
        crate::ledger::post, crate::ledger::list, crate::ledger::balances, crate::ledger::audit_log,
        crate::dashboard::config,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// The document as pretty JSON (what `openapi.json` holds).
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        + "\n"
}

/// `GET /openapi.json`.
pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
