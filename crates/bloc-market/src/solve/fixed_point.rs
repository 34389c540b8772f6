//! The values the period's solve finds as a fixed point (route wedges that depend on the
//! origin price, supports that depend on the node's price): [`FixedPoint`], updated by a
//! safeguarded secant step, and [`block_support`], the support a block is solved with.

use crate::problem::{Subsidy, SupplyBlock};

/// Values found as a fixed point (route wedges, block supports), each updated by a
/// safeguarded secant step on g(v) = target(p(v)) − v.
pub(super) struct FixedPoint {
    pub(super) value: Vec<f64>,
    prev: Vec<Option<(f64, f64)>>,
}

impl FixedPoint {
    pub(super) fn new(value: Vec<f64>) -> Self {
        let n = value.len();
        FixedPoint {
            value,
            prev: vec![None; n],
        }
    }

    /// Moves every value towards its target; `bounds(i)` is the range a secant step may land
    /// in (outside it, or when `secant` is false, the plain substitution v = target is used).
    pub(super) fn step(
        &mut self,
        target: &[f64],
        dependent: impl Fn(usize) -> bool,
        bounds: impl Fn(usize) -> (f64, f64),
        secant: bool,
    ) {
        for (i, (&t, prev)) in target.iter().zip(self.prev.iter_mut()).enumerate() {
            let v = self.value[i];
            let g = t - v;
            let mut next = t;
            if secant && dependent(i) {
                if let Some((v0, g0)) = *prev {
                    if (g - g0).abs() > 1e-300 && (v - v0).abs() > 1e-300 {
                        let s = v - g * (v - v0) / (g - g0);
                        let (lo, hi) = bounds(i);
                        if s.is_finite() && s >= lo && s <= hi {
                            next = s;
                        }
                    }
                }
            }
            *prev = Some((v, g));
            self.value[i] = next;
        }
    }
}

/// The support a block is solved with when its node's price is `p` (`None`: unknown yet).
pub(super) fn block_support(b: &SupplyBlock, p: Option<f64>) -> f64 {
    match b.subsidy {
        Subsidy::PaidAt(v) => v.0,
        Subsidy::TopUpTo(_) => p.map(|p| b.subsidy_at(p)).unwrap_or(0.0),
        _ => b.subsidy_at(0.0),
    }
}
