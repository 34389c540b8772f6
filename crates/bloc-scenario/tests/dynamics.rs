//! The over-time keys (projects.csv, `[investment]`, `[closures]`, `[[demand_growth]]`,
//! `[[bloc.capital_grant]]`, `baseline`) read as the README says, on the shipped
//! `scenarios/examples/pipeline`.

use bloc_scenario::{load, Closures, ExpectedPrice, Span};
use std::path::PathBuf;

fn pipeline() -> bloc_scenario::Scenario {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/examples/pipeline"
    ));
    load(&p).expect("the pipeline example loads")
}

#[test]
fn projects_follow_the_existing_processes_with_their_terms_in_periods() {
    let s = pipeline();
    let ids: Vec<&str> = s.processes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "a_plant",
            "b_plant",
            "b_expansion",
            "b_greenfield",
            "a_mine",
            "b_committed"
        ]
    );
    let pr = |id: &str| {
        s.processes
            .iter()
            .find(|p| p.id.as_str() == id)
            .unwrap()
            .project
            .clone()
            .unwrap()
    };
    // Quarterly: 1.5 years = 6 quarters, 1 year = 4, 2.5 years = 10, 0.5 years = 2.
    assert_eq!(pr("b_expansion").lead_periods, 6);
    assert_eq!(pr("b_expansion").ramp_periods, 4);
    assert_eq!(pr("b_greenfield").lead_periods, 10);
    assert_eq!(pr("b_committed").ramp_periods, 2);
    // 2025Q3 is two quarters before the 2026Q1 start.
    assert_eq!(pr("b_committed").fid, Some(-2));
    assert_eq!(pr("b_committed").earliest_fid, -2);
    assert_eq!(pr("b_expansion").fid, None);
    assert_eq!(pr("a_mine").capital_usd_per_t_per_yr, 250.0);
    assert!(s.processes[0].project.is_none());
}

#[test]
fn investment_closures_and_growth_keys() {
    let s = pipeline();
    assert_eq!(s.investment.discount_rate, 0.08);
    assert_eq!(s.investment.life_yr, 20.0);
    assert_eq!(
        s.investment.expected_price,
        ExpectedPrice::Trailing { periods: 4 }
    );
    // r / (1 − (1 + r)^−20) at 8%: 0.101852 (annuity tables).
    let crf = s.investment.capital_recovery_factor(20.0);
    assert!((crf - 0.101852).abs() < 1e-6, "{crf}");
    assert_eq!(
        s.closures,
        Some(Closures {
            after_periods: 4,
            restart_after_periods: 2
        })
    );
    assert_eq!(s.demand_growth.len(), 1);
    assert_eq!(s.demand_growth[0].per_yr, 0.04);
    assert_eq!(s.demand_growth[0].span, Span { from: 8, to: None });
    assert!(s.baseline.is_none());
}
