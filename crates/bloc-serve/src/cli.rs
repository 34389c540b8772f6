//! What the `bloc serve` and `bloc admin token create` subcommands call: they stay thin.

use crate::auth::{create_token, Role};
use crate::server::{serve, ServeConfig};
use anyhow::{Context, Result};
use bloc_scenario::{Embedded, Scenario, ScenarioError};
use std::path::Path;

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
    let conn = crate::db::open(db)?;
    create_token(&conn, role, member, &entity)
}

/// Starts the service and blocks until it is stopped. With `demo_tokens`, first creates one
/// secretariat token and one reporter token per demo member, and prints them.
pub fn run(scenario: Scenario, cfg: ServeConfig, demo_tokens: bool) -> Result<()> {
    if demo_tokens {
        let t = token_create(
            &cfg.db,
            "secretariat",
            None,
            Some("secretariat"),
            Some(&scenario),
        )?;
        println!("demo token (secretariat): {t}");
        for (m, e) in DEMO_REPORTERS {
            if scenario.bloc.is_member(&bloc_units::RegionId::from(*m), 0) {
                let t = token_create(&cfg.db, "reporter", Some(m), Some(e), Some(&scenario))?;
                println!("demo token (reporter {m}, {e}): {t}");
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(serve(scenario, cfg))
}
