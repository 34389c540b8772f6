//! What the `bloc serve` and `bloc admin token create` subcommands call: they stay thin.

use crate::auth::{create_token_with, list_tokens, revoke_token, NewToken, Role, TokenInfo};
use crate::demo::{DemoToken, DemoTokens};
use crate::server::{serve_state, AppState, ServeConfig};
use anyhow::{Context, Result};
use bloc_scenario::{Embedded, Scenario, ScenarioError};
use std::path::Path;
use std::sync::Arc;

/// The shipped demo configuration (`crates/bloc-serve/demo/`), embedded in the binary.
pub fn demo_scenario() -> Result<Scenario, ScenarioError> {
    let files = Embedded::from_static(&[
        (
            "demo/scenario.toml",
            include_bytes!("../demo/scenario.toml"),
        ),
        ("demo/regions.csv", include_bytes!("../demo/regions.csv")),
        (
            "demo/commodities.csv",
            include_bytes!("../demo/commodities.csv"),
        ),
        (
            "demo/processes.csv",
            include_bytes!("../demo/processes.csv"),
        ),
        ("demo/demand.csv", include_bytes!("../demo/demand.csv")),
        (
            "demo/transport.csv",
            include_bytes!("../demo/transport.csv"),
        ),
        ("demo/tariffs.csv", include_bytes!("../demo/tariffs.csv")),
    ]);
    bloc_scenario::load_from(&files, Path::new("demo"))
}

/// The demo's reporting entities: (member, entity).
pub const DEMO_REPORTERS: &[(&str, &str)] =
    &[("USA", "USA-DOE"), ("JPN", "JPN-METI"), ("AUS", "AUS-DISR")];

/// Creates a token in the database at `db` and returns it. With a scenario, the member must be
/// one of its members.
pub fn token_create(
    db: &Path,
    role: &str,
    member: Option<&str>,
    entity: Option<&str>,
    scenario: Option<&Scenario>,
) -> Result<String> {
    token_create_expiring(db, role, member, entity, scenario, None)
}

/// [`token_create`] with an optional lifetime (`--expires-in`: `90d`, `12h`, `30m`, `45s`).
pub fn token_create_expiring(
    db: &Path,
    role: &str,
    member: Option<&str>,
    entity: Option<&str>,
    scenario: Option<&Scenario>,
    expires_in: Option<&str>,
) -> Result<String> {
    make_token(db, role, member, entity, scenario, expires_in, false)
}

fn make_token(
    db: &Path,
    role: &str,
    member: Option<&str>,
    entity: Option<&str>,
    scenario: Option<&Scenario>,
    expires_in: Option<&str>,
    demo: bool,
) -> Result<String> {
    let lifetime_s = expires_in.map(crate::auth::parse_lifetime).transpose()?;
    let role = Role::parse(role)
        .with_context(|| format!("--role: `{role}` is not a role; use reporter or secretariat"))?;
    if let (Some(s), Some(m)) = (scenario, member) {
        anyhow::ensure!(
            s.bloc.members.iter().any(|x| x.region.as_str() == m),
            "--member: `{m}` is not a member of bloc `{}`; members: {}",
            s.bloc.name,
            s.bloc
                .members
                .iter()
                .map(|x| x.region.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let entity = entity
        .or(member)
        .unwrap_or(match role {
            Role::Secretariat => "secretariat",
            Role::Reporter => "",
        })
        .to_string();
    if let Some(s) = scenario {
        // An entity named like a region may only be that region's member.
        if let Some(r) = s.regions.iter().find(|r| r.id.as_str() == entity) {
            anyhow::ensure!(
                Some(r.id.as_str()) == member,
                "--entity: `{entity}` is a region of this bloc; only a {entity} reporter may act for it"
            );
        }
    }
    let conn = crate::db::open(db)?;
    create_token_with(
        &conn,
        role,
        &NewToken {
            member,
            entity: &entity,
            lifetime_s,
            demo,
        },
    )
}

/// Revokes a token (by id, or the token itself); from the next request on it gets 401.
pub fn token_revoke(db: &Path, id_or_token: &str) -> Result<TokenInfo> {
    let conn = crate::db::open(db)?;
    revoke_token(&conn, id_or_token, "admin")
}

/// Every token of the database: id, role, member, entity, fingerprint, dates, status.
pub fn token_list(db: &Path) -> Result<Vec<TokenInfo>> {
    let conn = crate::db::open(db)?;
    Ok(list_tokens(&conn)?)
}

/// The table `bloc admin token list` prints.
pub fn format_tokens(v: &[TokenInfo]) -> String {
    let mut out = String::from(
        "id\tstatus\trole\tmember\tentity\tfingerprint\tcreated_at\texpires_at\trevoked_at\tdemo\n",
    );
    for t in v {
        out += &format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            t.id,
            t.status,
            t.role,
            t.member.as_deref().unwrap_or("-"),
            t.entity,
            t.fingerprint,
            t.created_at,
            t.expires_at.as_deref().unwrap_or("-"),
            t.revoked_at.as_deref().unwrap_or("-"),
            if t.demo { "yes" } else { "no" }
        );
    }
    out
}

/// Revokes the live tokens an earlier `--demo` start made (so that each start leaves exactly
/// one live demo secretariat token and one per demo reporter). Returns how many.
pub fn revoke_demo_tokens(db: &Path) -> Result<usize> {
    let conn = crate::db::open(db)?;
    let ids: Vec<i64> = list_tokens(&conn)?
        .into_iter()
        .filter(|t| t.demo && t.revoked_at.is_none())
        .map(|t| t.id)
        .collect();
    for id in &ids {
        revoke_token(&conn, &id.to_string(), "bloc serve --demo")?;
    }
    Ok(ids.len())
}

/// Makes the demo tokens of a `--demo` start: revokes those of the previous start, then makes
/// one secretariat token and one reporter token per demo member. Returns the lines to print
/// (`demo token (…): bloc_…`).
pub fn demo_tokens_create(db: &Path, scenario: &Scenario) -> Result<Vec<String>> {
    Ok(demo_tokens(db, scenario)?.0)
}

/// [`demo_tokens_create`], also handing back the tokens (to seed the demo data with).
pub fn demo_tokens(db: &Path, scenario: &Scenario) -> Result<(Vec<String>, DemoTokens)> {
    let mut out = vec![];
    let mut tokens = DemoTokens::default();
    let n = revoke_demo_tokens(db)?;
    if n > 0 {
        out.push(format!(
            "revoked the {n} demo tokens of the previous --demo start"
        ));
    }
    let t = make_token(
        db,
        "secretariat",
        None,
        Some("secretariat"),
        Some(scenario),
        None,
        true,
    )?;
    out.push(format!("demo token (secretariat): {t}"));
    tokens.secretariat = Some(DemoToken {
        member: None,
        entity: "secretariat".to_string(),
        token: t,
    });
    for (m, e) in DEMO_REPORTERS {
        if scenario.bloc.is_member(&bloc_units::RegionId::from(*m), 0) {
            let t = make_token(db, "reporter", Some(m), Some(e), Some(scenario), None, true)?;
            out.push(format!("demo token (reporter {m}, {e}): {t}"));
            tokens.reporters.push(DemoToken {
                member: Some(m.to_string()),
                entity: e.to_string(),
                token: t,
            });
        }
    }
    Ok((out, tokens))
}

/// Opens the store and, with `demo`, makes the demo tokens and seeds the demo data
/// ([`crate::demo`]). Returns the state to serve and the lines to print (the tokens, then what
/// was seeded). `bloc serve` and the tests start the service through this one function.
pub async fn prepare(
    scenario: Scenario,
    db: &Path,
    demo: bool,
) -> Result<(Arc<AppState>, Vec<String>)> {
    let mut lines = vec![];
    let tokens = if demo {
        let (l, t) = demo_tokens(db, &scenario)?;
        lines = l;
        Some(t)
    } else {
        None
    };
    let state = AppState::new(scenario, db)?;
    if let Some(t) = tokens {
        lines.extend(crate::demo::seed(&state, &t).await?.lines());
    }
    Ok((state, lines))
}

/// Starts the service and blocks until it is stopped. With `demo`, first creates one
/// secretariat token and one reporter token per demo member, prints them, and seeds the demo
/// data (reports, reference prices, schedules; see [`crate::demo`]).
pub fn run(scenario: Scenario, cfg: ServeConfig, demo: bool) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let (state, lines) = prepare(scenario, &cfg.db, demo).await?;
        for line in lines {
            println!("{line}");
        }
        serve_state(state, cfg).await
    })
}
