//! P5/P50/P95 bands over a sweep's samples, per (period, indicator, scope).
//!
//! Percentiles interpolate linearly between order statistics (Hyndman & Fan type 7, the
//! default of R's `quantile` and NumPy's `percentile`): for sorted values x₀ ≤ … ≤ xₙ₋₁,
//! the p-quantile is at position h = (n − 1)·p, x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋).
//! Only samples that ran are counted; a value that is not finite is left out.

use crate::IndicatorRow;
use std::collections::HashMap;

/// One band: an indicator's spread over the samples in one period (the row of `bands.csv`,
/// shared with the report that reads it).
pub use bloc_results::BandRow as Band;

/// The p-quantile (0 ≤ p ≤ 1) of `sorted` (ascending, not empty), type 7.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Whether a missing row of `indicator` means zero: a total (money `…_usd`, tonnes `…_t`,
/// capacity `…_t_per_yr`, a count of projects; not a price `…_usd_per_t`) is left out of a run's indicators where it is zero (levy and
/// tariff revenue of a region that imported nothing dutiable), while a price, share or
/// ratio is left out where it is undefined.
pub fn missing_is_zero(indicator: &str) -> bool {
    let tonnes = indicator.ends_with("_t") && !indicator.ends_with("_per_t");
    indicator.ends_with("_usd")
        || tonnes
        || indicator.ends_with("_t_per_yr")
        || indicator == "projects_decided"
}

/// Bands for every (period, indicator, scope) that any sample in `ran` (the samples that ran,
/// not those that failed) reported, sorted by period, indicator and scope. A total counts a
/// sample without the row as 0 ([`missing_is_zero`]), so every total's band is over all the
/// samples that ran; any other indicator is over the samples that gave it. Before issue 15
/// a total's band was over only the samples that had a row (a P50 of 23.8 where most
/// samples had 0).
pub fn bands(rows: &[IndicatorRow], ran: &[u64]) -> Vec<Band> {
    use std::collections::BTreeMap;
    let mut values: BTreeMap<(&str, &str, &str), HashMap<u64, f64>> = BTreeMap::new();
    for r in rows {
        let key = (r.period.as_str(), r.indicator.as_str(), r.scope.as_str());
        values.entry(key).or_default().insert(r.sample, r.value);
    }
    values
        .into_iter()
        .filter_map(|(key, by_sample)| {
            let mut v: Vec<f64> = if missing_is_zero(key.1) {
                ran.iter()
                    .map(|i| by_sample.get(i).copied().unwrap_or(0.0))
                    .collect()
            } else {
                ran.iter()
                    .filter_map(|i| by_sample.get(i).copied())
                    .collect()
            };
            v.retain(|x| x.is_finite());
            if v.is_empty() {
                return None;
            }
            v.sort_by(f64::total_cmp);
            Some(Band {
                period: key.0.to_string(),
                indicator: key.1.to_string(),
                scope: key.2.to_string(),
                p5: quantile(&v, 0.05),
                p50: quantile(&v, 0.50),
                p95: quantile(&v, 0.95),
                samples: v.len(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sample: u64, value: f64) -> IndicatorRow {
        IndicatorRow {
            sample,
            period: "2026Q1".into(),
            indicator: "price_usd_per_t".into(),
            scope: "commodity:x".into(),
            value,
        }
    }

    #[test]
    fn type_7_percentiles_by_hand() {
        // Values 10, 20, 30, 40, 50 (given out of order). n − 1 = 4:
        // p5:  h = 0.2 → 10 + 0.2·(20 − 10) = 12
        // p50: h = 2   → 30
        // p95: h = 3.8 → 40 + 0.8·(50 − 40) = 48
        let rows: Vec<_> = [30.0, 10.0, 50.0, 20.0, 40.0]
            .iter()
            .enumerate()
            .map(|(i, v)| row(i as u64, *v))
            .collect();
        let b = bands(&rows, &[0, 1, 2, 3, 4]);
        assert_eq!(b.len(), 1);
        assert!((b[0].p5 - 12.0).abs() < 1e-12, "{}", b[0].p5);
        assert_eq!(b[0].p50, 30.0);
        assert!((b[0].p95 - 48.0).abs() < 1e-12, "{}", b[0].p95);
        assert_eq!(b[0].samples, 5);
    }

    #[test]
    fn one_sample_is_its_own_band_and_nan_is_left_out() {
        let b = bands(&[row(0, 7.0), row(1, f64::NAN)], &[0, 1]);
        assert_eq!(
            (b[0].p5, b[0].p50, b[0].p95, b[0].samples),
            (7.0, 7.0, 7.0, 1)
        );
    }

    #[test]
    fn a_missing_total_counts_as_zero_and_a_missing_price_does_not() {
        // Issue 15: region B's tariff revenue had a row in 40 of 200 samples and its band was
        // taken over those 40. Here 1 of 5 samples that ran has revenue 100, sample 5
        // failed: over the 5 that ran, sorted 0, 0, 0, 0, 100, so P50 = 0 and
        // P95 at h = 3.8 is 0 + 0.8 × 100 = 80.
        let total = |sample: u64, value: f64| IndicatorRow {
            indicator: "tariff_revenue_usd".into(),
            scope: "region:B".into(),
            ..row(sample, value)
        };
        let b = bands(
            &[total(2, 100.0), row(2, 7.0), row(3, 9.0)],
            &[0, 1, 2, 3, 4],
        );
        let t = b
            .iter()
            .find(|b| b.indicator == "tariff_revenue_usd")
            .unwrap();
        assert_eq!((t.p50, t.samples), (0.0, 5));
        assert!((t.p95 - 80.0).abs() < 1e-12, "{}", t.p95);
        assert!(!missing_is_zero("price_usd_per_t") && missing_is_zero("unserved_t"));
        // A price is undefined where missing: its band is over the 2 samples that gave it.
        let p = b.iter().find(|b| b.indicator == "price_usd_per_t").unwrap();
        assert_eq!((p.p50, p.samples), (8.0, 2));
    }

    #[test]
    fn bands_are_sorted_by_period_indicator_and_scope() {
        let r = |period: &str, indicator: &str| IndicatorRow {
            period: period.into(),
            indicator: indicator.into(),
            ..row(0, 1.0)
        };
        let b = bands(
            &[r("2027Q1", "a"), r("2026Q2", "b"), r("2026Q2", "a")],
            &[0],
        );
        let keys: Vec<_> = b
            .iter()
            .map(|b| (b.period.as_str(), b.indicator.as_str()))
            .collect();
        assert_eq!(keys, [("2026Q2", "a"), ("2026Q2", "b"), ("2027Q1", "a")]);
    }
}
