//! The run's own headline answers, read back from `summary.json`.
//!
//! Why read a file instead of computing: `bloc run` already writes the headline answers of a
//! run against its baseline (`bloc_model::headline`, as `summary.md` and `summary.json`),
//! with the scenario at hand (membership by period, the export controls' commodities) that a
//! run directory alone does not hold. The report's front page shows those same figures, so
//! the page and the summary can never disagree, and nothing is derived twice. Every field is
//! optional: an older run, or a run with no baseline, simply has less to show.

use crate::error::ReportError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The five headline sums over the run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HeadlineSums {
    /// Extra spend of the members' buyers against the baseline, USD.
    pub members_consumer_cost_usd: Option<f64>,
    /// Members' welfare change, USD.
    pub members_welfare_change_usd: Option<f64>,
    /// Levy revenue, USD.
    pub levy_revenue_usd: Option<f64>,
    /// Members' support cost (subsidies, guarantees), USD.
    pub members_support_cost_usd: Option<f64>,
    /// Members' stockpile cost (purchases − releases + storage), USD.
    pub members_stockpile_cost_usd: Option<f64>,
}

/// A commodity's members' mean price in the run and the baseline.
#[derive(Debug, Clone, Deserialize)]
pub struct PriceChange {
    /// Commodity id.
    pub commodity: String,
    /// Run's members' mean price, USD/t.
    pub run_usd_per_t: f64,
    /// Baseline's, USD/t.
    pub baseline_usd_per_t: f64,
    /// Relative change (0.1 = +10%).
    pub change: f64,
}

/// A region's welfare change over the run.
#[derive(Debug, Clone, Deserialize)]
pub struct RegionWelfare {
    /// Region id.
    pub region: String,
    /// A member at the run's end.
    #[serde(default)]
    pub member: bool,
    /// Welfare change, USD.
    pub usd: f64,
}

/// China's share of world output by value at a stage, first and last year.
#[derive(Debug, Clone, Deserialize)]
pub struct ShareChange {
    /// First year's share (0–1).
    pub first_year: f64,
    /// Last year's share.
    pub last_year: f64,
}

/// An export control's leakage while in force.
#[derive(Debug, Clone, Deserialize)]
pub struct Leakage {
    /// The control's number in the scenario.
    pub control: u64,
    /// Exporting region.
    pub exporter: String,
    /// `ban`, `quota` or `licence`.
    pub kind: String,
    /// Tonnes that went round it through third countries.
    pub transshipped_t: f64,
    /// Largest share of its deliveries that went round it in a period.
    pub largest_leakage_share: f64,
}

/// A floor's record over the run.
#[derive(Debug, Clone, Deserialize)]
pub struct FloorRecord {
    /// Commodity id.
    pub commodity: String,
    /// Periods in force.
    pub periods: u64,
    /// Periods it bound.
    pub periods_binding: u64,
    /// Members' price over the floor, mean.
    pub members_price_over_floor_mean: Option<f64>,
    /// Last period's floor, USD/t.
    pub last_floor_usd_per_t: f64,
    /// Why not binding: status code → periods.
    #[serde(default)]
    pub when_not_binding: BTreeMap<String, u64>,
}

/// Projects that decided, in one group of regions.
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectGroup {
    /// Projects that took their decision.
    pub decided: u64,
    /// Their capital, USD.
    pub capital_usd: f64,
    /// Those with NPV < 0 at the run's prices.
    pub stranded: u64,
    /// Their capital, USD.
    pub stranded_capital_usd: f64,
}

/// A stockpile's days of cover.
#[derive(Debug, Clone, Deserialize)]
pub struct Cover {
    /// `stockpile:commodity`.
    pub stockpile: String,
    /// The most days of cover.
    pub most_days: f64,
    /// When.
    pub most_at: String,
    /// The least it fell to after that.
    pub least_days_after: f64,
    /// When.
    pub least_at: String,
    /// Released over the run, t.
    pub released_t: f64,
}

/// `summary.json`, as `bloc run` writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Scenario name.
    pub scenario: Option<String>,
    /// Baseline scenario name.
    pub baseline: Option<String>,
    /// First period.
    pub from: Option<String>,
    /// Last period.
    pub to: Option<String>,
    /// The five sums.
    pub headline: HeadlineSums,
    /// Every commodity's members' price change, largest first.
    pub members_price_changes: Vec<PriceChange>,
    /// Every region's welfare change, largest first.
    pub welfare_change_by_region: Vec<RegionWelfare>,
    /// China's share by stage.
    pub china_share_by_stage: BTreeMap<String, ShareChange>,
    /// Capacity built inside the bloc, t/yr by commodity.
    pub members_capacity_built_t_per_yr: BTreeMap<String, f64>,
    /// Members' unserved demand, t by commodity.
    pub members_unserved_t: BTreeMap<String, f64>,
    /// Export controls' leakage.
    pub export_control_leakage: Vec<Leakage>,
    /// Floors' records.
    pub floors: Vec<FloorRecord>,
    /// Projects, `members` and `non_members`.
    pub projects: BTreeMap<String, ProjectGroup>,
    /// Stockpiles' days of cover.
    pub stockpile_days_of_cover: Vec<Cover>,
}

impl Summary {
    /// Reads `summary.json` in `dir`; `None` when there is none.
    ///
    /// # Errors
    /// When the file exists but is not the summary's JSON.
    pub fn load(dir: &Path) -> Result<Option<Summary>, ReportError> {
        let path = dir.join("summary.json");
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ReportError::Json {
                path,
                message: e.to_string(),
            })
    }
}

/// A floor status code (`floors.csv`'s `status`) in the words `summary.md` uses
/// (`bloc_policy::floor::FloorStatus::why`), or the code itself when it is not one.
pub fn status_words(code: &str) -> String {
    bloc_policy::floor::FloorStatus::from_code(code)
        .map(|s| s.why().to_string())
        .unwrap_or_else(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_summary_reads_with_defaults() {
        let s: Summary = serde_json::from_str(
            r#"{"scenario":"a","headline":{"levy_revenue_usd":5.0},
                "welfare_change_by_region":[{"region":"CHN","member":false,"usd":-1e9}],
                "unknown_field": 1}"#,
        )
        .unwrap();
        assert_eq!(s.headline.levy_revenue_usd, Some(5.0));
        assert_eq!(s.headline.members_consumer_cost_usd, None);
        assert_eq!(s.welfare_change_by_region[0].region, "CHN");
        assert!(s.floors.is_empty());
        assert_eq!(
            status_words("market_above_floor"),
            "outside goods land at or above the floor: the market is above it"
        );
        assert_eq!(status_words("new_code"), "new_code");
    }
}
