//! The headline indicators: one number per (indicator, scope) for a whole run, shared by
//! the report's summary table and `bloc compare`.
//!
//! How a series becomes one number is decided by its name ([`Aggregate::for_indicator`]):
//! quantities per period (`…_t`, `…_usd`) are summed over the run, stocks (inventory,
//! capacity, budget left) are taken at the end, and everything else (prices per tonne,
//! shares, HHI) is averaged over the periods that have a value.

use crate::run::Run;
use std::collections::BTreeMap;

/// How a series of per-period values becomes one headline number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Sum over the periods (flows: tonnes or dollars per period).
    Total,
    /// Mean over the periods with a value (prices, shares, indices).
    Mean,
    /// The last period's value (stocks: inventory, capacity, budget left).
    End,
}

impl Aggregate {
    /// The aggregate for an indicator, by its name.
    pub fn for_indicator(name: &str) -> Aggregate {
        let stock = ["inventory", "capacity", "budget_left"]
            .iter()
            .any(|w| name.contains(w));
        if stock {
            Aggregate::End
        } else if name.ends_with("_per_t") {
            Aggregate::Mean
        } else if name.ends_with("_t") || name.ends_with("_usd") {
            Aggregate::Total
        } else {
            Aggregate::Mean
        }
    }

    /// A word for the table: `total`, `mean` or `end`.
    pub fn label(self) -> &'static str {
        match self {
            Aggregate::Total => "total",
            Aggregate::Mean => "mean",
            Aggregate::End => "end",
        }
    }

    /// Applies the aggregate to values in period order (non-finite values are skipped);
    /// `None` when there is no value.
    pub fn apply(self, values: &[f64]) -> Option<f64> {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        Some(match self {
            Aggregate::Total => v.iter().sum(),
            Aggregate::Mean => v.iter().sum::<f64>() / v.len() as f64,
            Aggregate::End => *v.last().expect("non-empty"),
        })
    }
}

/// One headline number.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Indicator name.
    pub indicator: String,
    /// Scope.
    pub scope: String,
    /// How the periods were combined.
    pub how: Aggregate,
    /// The number.
    pub value: f64,
    /// The file it comes from.
    pub source: &'static str,
}

/// Families shown first, in this order; the rest follow alphabetically.
const ORDER: &[&str] = &[
    "price",
    "consumer_cost",
    "welfare",
    "levy",
    "tariff",
    "stockpile",
    "guarantee",
    "china_share",
    "hhi",
    "import",
    "unserved",
    "capacity",
    "producer",
];

fn rank(indicator: &str) -> usize {
    ORDER
        .iter()
        .position(|p| indicator.starts_with(p))
        .unwrap_or(ORDER.len())
}

/// Per-period values of every (indicator, scope) in `indicators.csv`, keyed by period.
pub fn indicator_map(run: &Run) -> BTreeMap<(String, String), BTreeMap<String, f64>> {
    let mut m: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    for r in &run.indicators {
        m.entry((r.indicator.clone(), r.scope.clone()))
            .or_default()
            .insert(r.period.clone(), r.value);
    }
    m
}

/// The headline numbers of a run: every (indicator, scope) of `indicators.csv`, plus the
/// stockpile's spend and inventory from `stockpile.csv` when `indicators.csv` has no
/// stockpile indicator. Sorted: headline families first, then by name and scope.
pub fn headlines(run: &Run) -> Vec<Headline> {
    let mut out = Vec::new();
    for ((indicator, scope), by_period) in indicator_map(run) {
        let how = Aggregate::for_indicator(&indicator);
        let values: Vec<f64> = run
            .periods
            .iter()
            .filter_map(|p| by_period.get(p).copied())
            .collect();
        if let Some(value) = how.apply(&values) {
            out.push(Headline {
                indicator,
                scope,
                how,
                value,
                source: "indicators.csv",
            });
        }
    }
    let has_stockpile_indicator = run
        .indicators
        .iter()
        .any(|r| r.indicator.starts_with("stockpile"));
    if !has_stockpile_indicator {
        let mut by: BTreeMap<String, BTreeMap<String, (f64, f64)>> = BTreeMap::new();
        for r in &run.stockpile {
            let e = by
                .entry(format!("stockpile:{}:{}", r.stockpile, r.commodity))
                .or_default()
                .entry(r.period.clone())
                .or_default();
            e.0 += r.spent_usd;
            e.1 += r.inventory_t;
        }
        for (scope, per) in by {
            let ordered: Vec<(f64, f64)> = run
                .periods
                .iter()
                .filter_map(|p| per.get(p).copied())
                .collect();
            let spent: Vec<f64> = ordered.iter().map(|x| x.0).collect();
            let inv: Vec<f64> = ordered.iter().map(|x| x.1).collect();
            for (name, vals) in [
                ("stockpile_spent_usd", spent),
                ("stockpile_inventory_t", inv),
            ] {
                let how = Aggregate::for_indicator(name);
                if let Some(value) = how.apply(&vals) {
                    out.push(Headline {
                        indicator: name.into(),
                        scope: scope.clone(),
                        how,
                        value,
                        source: "stockpile.csv",
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (rank(&a.indicator), &a.indicator, &a.scope).cmp(&(
            rank(&b.indicator),
            &b.indicator,
            &b.scope,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_follow_the_name() {
        assert_eq!(Aggregate::for_indicator("unserved_t"), Aggregate::Total);
        assert_eq!(
            Aggregate::for_indicator("levy_revenue_usd"),
            Aggregate::Total
        );
        assert_eq!(Aggregate::for_indicator("price_usd_per_t"), Aggregate::Mean);
        assert_eq!(Aggregate::for_indicator("hhi"), Aggregate::Mean);
        assert_eq!(
            Aggregate::for_indicator("stockpile_inventory_t"),
            Aggregate::End
        );
        assert_eq!(Aggregate::for_indicator("capacity_built_t"), Aggregate::End);
    }

    #[test]
    fn aggregates_apply() {
        // By hand: 1 + 2 + 6 = 9; mean 3; end 6.
        let v = [1.0, 2.0, f64::NAN, 6.0];
        assert_eq!(Aggregate::Total.apply(&v), Some(9.0));
        assert_eq!(Aggregate::Mean.apply(&v), Some(3.0));
        assert_eq!(Aggregate::End.apply(&v), Some(6.0));
        assert_eq!(Aggregate::Mean.apply(&[]), None);
    }
}
