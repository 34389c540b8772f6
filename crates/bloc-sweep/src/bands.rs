//! P5/P50/P95 bands over a sweep's samples, per (period, indicator, scope).
//!
//! Percentiles interpolate linearly between order statistics (Hyndman & Fan type 7, the
//! default of R's `quantile` and NumPy's `percentile`): for sorted values x₀ ≤ … ≤ xₙ₋₁,
//! the p-quantile is at position h = (n − 1)·p, x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋).
//! Only samples that ran are counted; a value that is not finite is left out.

use crate::IndicatorRow;
use std::collections::HashMap;

/// One band: an indicator's spread over the samples in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Period label.
    pub period: String,
    /// Indicator name.
    pub indicator: String,
    /// Its scope (`commodity:ndpr_oxide`, `region:USA`, …).
    pub scope: String,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// How many samples gave a finite value.
    pub samples: usize,
}

/// The p-quantile (0 ≤ p ≤ 1) of `sorted` (ascending, not empty), type 7.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Bands for every (period, indicator, scope) in `rows`, in the order each first appears.
pub fn bands(rows: &[IndicatorRow]) -> Vec<Band> {
    let mut order: Vec<(&str, &str, &str)> = Vec::new();
    let mut values: HashMap<(&str, &str, &str), Vec<f64>> = HashMap::new();
    for r in rows {
        let key = (r.period.as_str(), r.indicator.as_str(), r.scope.as_str());
        let v = values.entry(key).or_insert_with(|| {
            order.push(key);
            Vec::new()
        });
        if r.value.is_finite() {
            v.push(r.value);
        }
    }
    order
        .into_iter()
        .filter_map(|key| {
            let mut v = values.remove(&key)?;
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
        let b = bands(&rows);
        assert_eq!(b.len(), 1);
        assert!((b[0].p5 - 12.0).abs() < 1e-12, "{}", b[0].p5);
        assert_eq!(b[0].p50, 30.0);
        assert!((b[0].p95 - 48.0).abs() < 1e-12, "{}", b[0].p95);
        assert_eq!(b[0].samples, 5);
    }

    #[test]
    fn one_sample_is_its_own_band_and_nan_is_left_out() {
        let b = bands(&[row(0, 7.0), row(1, f64::NAN)]);
        assert_eq!(
            (b[0].p5, b[0].p50, b[0].p95, b[0].samples),
            (7.0, 7.0, 7.0, 1)
        );
    }
}
