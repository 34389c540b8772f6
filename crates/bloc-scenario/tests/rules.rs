//! Wildcard rules in `transport.csv` and `tariffs.csv`: the most specific row wins, a tie of
//! equal specificity is accepted only when a more specific row settles it or the values agree.

use bloc_scenario::{load_from, Embedded, Scenario, ScenarioError};
use bloc_units::UsdPerTonne;
use std::path::{Path, PathBuf};

fn with(transport: &str, tariffs: &str) -> Result<Scenario, ScenarioError> {
    let base = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/base"));
    let mut e = Embedded::new();
    for f in std::fs::read_dir(&base).unwrap() {
        let f = f.unwrap();
        e.insert(
            Path::new("s").join(f.file_name()),
            std::fs::read(f.path()).unwrap(),
        );
    }
    e.insert(
        "s/transport.csv",
        format!("origin,destination,commodity,cost_usd_per_t,source\n{transport}").into_bytes(),
    );
    e.insert(
        "s/tariffs.csv",
        format!("importer,exporter,commodity,ad_valorem,specific_usd_per_t,source\n{tariffs}")
            .into_bytes(),
    );
    load_from(&e, Path::new("s"))
}

#[test]
fn the_most_specific_row_wins() {
    let s = with(
        "*,*,*,200,x\nUSA,*,*,120,x\n*,CHN,*,130,x\nUSA,CHN,*,125,x\nUSA,CHN,ndpr_oxide,90,x\n",
        "",
    )
    .unwrap();
    let (usa, chn, aus) = ("USA".into(), "CHN".into(), "AUS".into());
    let (ox, conc) = ("ndpr_oxide".into(), "re_concentrate".into());
    assert_eq!(s.transport_cost(&usa, &chn, &ox), Some(UsdPerTonne(90.0)));
    assert_eq!(
        s.transport_cost(&usa, &chn, &conc),
        Some(UsdPerTonne(125.0))
    );
    assert_eq!(
        s.transport_cost(&usa, &aus, &conc),
        Some(UsdPerTonne(120.0))
    );
    assert_eq!(
        s.transport_cost(&aus, &chn, &conc),
        Some(UsdPerTonne(130.0))
    );
    assert_eq!(
        s.transport_cost(&aus, &usa, &conc),
        Some(UsdPerTonne(200.0))
    );
    assert!(s.tariffs.is_empty());
}

#[test]
fn equal_values_do_not_conflict() {
    let s = with("USA,*,*,120,x\n*,CHN,*,120,x\n", "").unwrap();
    assert_eq!(
        s.transport_cost(&"USA".into(), &"CHN".into(), &"ndpr_oxide".into()),
        Some(UsdPerTonne(120.0))
    );
    // A pair no row covers has no route.
    assert_eq!(
        s.transport_cost(&"AUS".into(), &"USA".into(), &"ndpr_oxide".into()),
        None
    );
}

#[test]
fn rows_that_only_meet_on_a_region_and_itself_do_not_conflict() {
    // Both match (USA, USA, *) only, which is never a route.
    assert!(with("USA,*,*,120,x\n*,USA,*,130,x\n", "").is_ok());
    // (USA,*,ndpr_oxide) and (*,USA,ndpr_oxide) meet only at (USA,USA,ndpr_oxide)...
    let s = with("USA,*,ndpr_oxide,130,x\n*,USA,ndpr_oxide,140,x\n", "");
    assert!(s.is_ok(), "{}", s.unwrap_err());
    // ...but (USA,CHN,*) and (USA,*,ndpr_oxide) meet at (USA,CHN,ndpr_oxide).
    let e = with("USA,CHN,*,120,x\nUSA,*,ndpr_oxide,130,x\n", "").unwrap_err();
    assert!(e.to_string().contains("commodity `ndpr_oxide`"), "{e}");
}

#[test]
fn an_unsettled_tie_names_both_lines() {
    let e = with("", "USA,*,*,0.1,0,x\n*,CHN,*,0.2,0,x\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("tariffs.csv:3: field `importer`: this row and line 2 both apply to importer `USA`, exporter `CHN`"), "{e}");
    let ok = with("", "USA,*,*,0.1,0,x\n*,CHN,*,0.2,0,x\nUSA,CHN,*,0.15,0,x\n").unwrap();
    let t = ok.tariff(&"USA".into(), &"CHN".into(), &"ndpr_oxide".into());
    assert_eq!(t.ad_valorem, 0.15);
}
