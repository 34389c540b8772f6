//! The shared worked examples load as they are, and what was read is what they say.

use bloc_scenario::{load, load_from, DemandForm, Embedded, FileSource, Reference, Sel, Stage};
use bloc_units::{Period, Step, UsdPerTonne};
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples"
    ))
}

#[test]
fn two_region_linear_base() {
    let s = load(&examples().join("two-region-linear/scenario.toml")).unwrap();
    assert_eq!(s.name, "two-region-linear");
    assert_eq!(s.base_year, 2024);
    assert_eq!(s.seed, 0);
    assert_eq!(s.time.step, Step::Year);
    assert_eq!(s.time.periods, 6);
    assert_eq!(
        s.time.start,
        Period {
            year: 2026,
            quarter: 1
        }
    );
    assert_eq!(s.time.label(5), "2031");
    assert_eq!(s.regions.len(), 2);
    assert_eq!(s.commodities[0].stage, Stage::Refined);
    assert_eq!(s.processes.len(), 2);
    assert_eq!(s.processes[0].cost_rise, Some(UsdPerTonne(100.0)));
    assert_eq!(s.processes[0].online, None);
    assert!(s.processes.iter().all(|p| p.inputs.is_empty()));
    assert_eq!(s.demand[0].form, DemandForm::Linear);
    assert_eq!(s.demand[1].elasticity, -1.0);
    let (a, b, x) = ("A".into(), "B".into(), "x".into());
    assert_eq!(s.transport_cost(&a, &b, &x), Some(UsdPerTonne(5.0)));
    assert_eq!(s.transport_cost(&a, &a, &x), None);
    assert_eq!(s.tariff(&b, &a, &x).specific, UsdPerTonne(3.0));
    assert_eq!(s.tariff(&a, &b, &x).specific, UsdPerTonne(0.0));
    assert!(s.bloc.members.is_empty() && s.bloc.floors.is_empty());
    assert_eq!(s.files.len(), 7, "{:?}", s.files);
    assert_eq!(s.hash.len(), 64);
}

#[test]
fn floor_extends_the_base() {
    let s = load(&examples().join("two-region-linear/floor.toml")).unwrap();
    assert_eq!(s.name, "two-region-linear-floor");
    // Inherited from scenario.toml.
    assert_eq!(
        s.description,
        "Linear supply and demand in A and B; A exports to B over a transport cost and a tariff"
    );
    assert_eq!(s.time.step, Step::Year);
    assert_eq!(s.bloc.name, "club");
    assert_eq!(s.bloc.members.len(), 1);
    assert_eq!(s.bloc.members[0].region.as_str(), "B");
    assert_eq!(s.bloc.members[0].span.from, 0);
    assert_eq!(s.bloc.members[0].span.to, None);
    assert!(s.bloc.is_member(&"B".into(), 5));
    assert!(!s.bloc.is_member(&"A".into(), 0));
    let f = &s.bloc.floors[0];
    assert_eq!(f.reference, Reference::Fixed(UsdPerTonne(45.0)));
    assert_eq!(f.levy.lag, 0);
    assert_eq!(f.levy.cap, UsdPerTonne(1000.0));
    // Files: floor.toml, then scenario.toml, then the tables.
    assert!(s.files[0].ends_with("floor.toml"));
    assert!(s.files[1].ends_with("scenario.toml"));
}

#[test]
fn floor_lag1_extends_floor_extends_base() {
    let s = load(&examples().join("two-region-linear/floor-lag1.toml")).unwrap();
    assert_eq!(s.name, "two-region-linear-floor-lag1");
    assert_eq!(s.time.step, Step::Year);
    assert_eq!(s.time.periods, 6);
    // `members` and `name` come from floor.toml.
    assert_eq!(s.bloc.name, "club");
    assert_eq!(s.bloc.members.len(), 1);
    assert_eq!(s.bloc.members[0].region.as_str(), "B");
    // `[[bloc.floor]]` replaced whole: one floor, with lag 1.
    assert_eq!(s.bloc.floors.len(), 1);
    assert_eq!(s.bloc.floors[0].levy.lag, 1);
    assert_eq!(s.bloc.floors[0].levy.every, 1);
    assert_eq!(s.bloc.floors[0].ratio, 1.0);
    let names: Vec<_> = s
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "floor-lag1.toml",
            "floor.toml",
            "scenario.toml",
            "regions.csv",
            "commodities.csv",
            "processes.csv",
            "demand.csv",
            "transport.csv",
            "tariffs.csv"
        ]
    );
    let base = load(&examples().join("two-region-linear/floor.toml")).unwrap();
    assert_ne!(s.hash, base.hash);
}

#[test]
fn two_region_folder() {
    let s = load(&examples().join("two-region")).unwrap();
    assert_eq!(s.name, "two-region");
    assert_eq!(s.time.step, Step::Quarter);
    assert_eq!(s.time.periods, 8);
    assert_eq!(s.time.label(7), "2027Q4");
    assert_eq!(s.commodities[1].stage, Stage::Separated);
    // No cost_rise column: the default applies.
    assert!(s.processes.iter().all(|p| p.cost_rise.is_none()));
    assert_eq!(s.processes[1].cost_rise_or_default(), UsdPerTonne(150.0));
    let sep = &s.processes[1];
    assert_eq!(sep.id.as_str(), "chn_separation");
    assert_eq!(sep.inputs, vec![("re_concentrate".into(), 4.0)]);
    assert!(s.processes[0].inputs.is_empty());
    // No form column: isoelastic with the choke at 10 × P0.
    assert_eq!(
        s.demand[0].form,
        DemandForm::Isoelastic {
            choke: UsdPerTonne(600_000.0)
        }
    );
    // One `*,*,*` transport rule; the tariffs table is header-only (no tariffs).
    assert_eq!(s.transport.len(), 1);
    assert_eq!(s.transport[0].origin, Sel::Any);
    assert_eq!(s.transport[0].line, 2);
    assert_eq!(
        s.transport_cost(&"USA".into(), &"CHN".into(), &"ndpr_oxide".into()),
        Some(UsdPerTonne(200.0))
    );
    assert!(s.tariffs.is_empty());
    assert_eq!(s.bloc.floors[0].levy.lag, 1);
    assert_eq!(s.bloc.floors[0].levy.cap, UsdPerTonne(200_000.0));
    assert_eq!(s.bloc.floors[0].span.from, 0);
    assert_eq!(s.bloc.floors[0].span.to, None);
    assert!(s.files[0].ends_with("two-region/scenario.toml"));
    // Same content, same hash.
    assert_eq!(
        s.hash,
        load(&examples().join("two-region/scenario.toml"))
            .unwrap()
            .hash
    );
}

/// Dates in the tables and in `[bloc]` become indices into the horizon.
#[test]
fn dates_become_period_indices() {
    let dir = tempfile::tempdir().unwrap();
    let src = examples().join("two-region");
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("processes.csv"),
        "id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,online,offline,source\n\
         chn_mine,CHN,re_concentrate,300000,2000,2026Q3,,x\n\
         chn_separation,CHN,ndpr_oxide,60000,15000,,2028Q1,x\n\
         usa_mine,USA,re_concentrate,40000,4000,2026Q1,2027Q4,x\n\
         usa_separation,USA,ndpr_oxide,5000,40000,,,x\n",
    )
    .unwrap();
    let toml = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap().replace(
        "members = [{ region = \"USA\", from = \"2026Q1\" }]",
        "members = [{ region = \"USA\", from = \"2026Q2\", to = \"2027Q1\" }, { region = \"USA\", from = \"2027Q3\" }]",
    );
    let toml = toml.replace(
        "ratio = 1.0",
        "ratio = 0.9\nfrom = \"2026Q4\"\nto = \"2028Q1\"",
    );
    std::fs::write(dir.path().join("scenario.toml"), toml).unwrap();
    let s = load(dir.path()).unwrap();
    let p = &s.processes;
    assert_eq!((p[0].online, p[0].offline), (Some(2), None));
    assert_eq!((p[1].online, p[1].offline), (None, Some(8)));
    assert_eq!((p[2].online, p[2].offline), (Some(0), Some(7)));
    assert!(!p[0].in_service(1) && p[0].in_service(2));
    let m = &s.bloc.members;
    assert_eq!((m[0].span.from, m[0].span.to), (1, Some(4)));
    assert_eq!((m[1].span.from, m[1].span.to), (6, None));
    let usa = "USA".into();
    let member: Vec<bool> = (0..8).map(|t| s.bloc.is_member(&usa, t)).collect();
    assert_eq!(member, [false, true, true, true, false, false, true, true]);
    let f = &s.bloc.floors[0];
    assert_eq!((f.span.from, f.span.to, f.ratio), (3, Some(8), 0.9));
}

/// The same scenario loads from an embedded set of files, as the CLI ships the default one.
#[test]
fn loads_from_embedded_files() {
    let src = examples().join("two-region-linear");
    let mut e = Embedded::new();
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap();
        let rel = Path::new("linear").join(f.file_name());
        e.insert(rel, std::fs::read(f.path()).unwrap());
    }
    assert!(e.is_dir(Path::new("linear")));
    let s = load_from(&e, Path::new("linear")).unwrap();
    assert_eq!(s.name, "two-region-linear");
    assert_eq!(s.files[0], PathBuf::from("linear/scenario.toml"));
    let lag = load_from(&e, Path::new("linear/floor-lag1.toml")).unwrap();
    assert_eq!(lag.bloc.floors[0].levy.lag, 1);
    let disk = load(&src.join("floor-lag1.toml")).unwrap();
    assert_eq!(lag.hash, disk.hash);
}
