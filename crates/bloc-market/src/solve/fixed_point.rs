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
        Subsidy::TopUpTo(_) | Subsidy::Contract { .. } => p.map(|p| b.subsidy_at(p)).unwrap_or(0.0),
        _ => b.subsidy_at(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// g(v) = target(v) − v with target(v) = 2 + v/2: the fixed point is v* = 4.
    fn target(v: f64) -> f64 {
        2.0 + 0.5 * v
    }

    /// By hand, from v₀ = 0: the first step has no previous point, so it substitutes,
    /// v₁ = target(0) = 2 (g₀ = 2). The second is a secant step through (0, 2) and
    /// (2, g₁ = target(2) − 2 = 1): v₂ = 2 − 1·(2 − 0)/(1 − 2) = 4, the fixed point itself
    /// (a secant step is exact on a linear g). Plain substitution would give target(2) = 3.
    #[test]
    fn a_secant_step_lands_on_the_fixed_point_of_a_linear_map() {
        let mut fp = FixedPoint::new(vec![0.0]);
        let open = |_| (f64::NEG_INFINITY, f64::INFINITY);
        fp.step(&[target(fp.value[0])], |_| true, open, true);
        assert_eq!(fp.value, vec![2.0]);
        fp.step(&[target(fp.value[0])], |_| true, open, true);
        assert_eq!(fp.value, vec![4.0]);
        // At the fixed point g = 0 and the step stays there.
        fp.step(&[target(fp.value[0])], |_| true, open, true);
        assert_eq!(fp.value, vec![4.0]);
    }

    /// The same two steps fall back to plain substitution (v₂ = target(2) = 3, as above) when
    /// `secant` is off, when the value is not `dependent`, and when the secant point 4 lies
    /// outside the allowed range [0, 3.5]; each case on its own value, in one call.
    #[test]
    fn substitution_where_a_secant_step_is_not_allowed() {
        for secant in [true, false] {
            let mut fp = FixedPoint::new(vec![0.0; 3]);
            // Value 0: dependent, wide range; 1: not dependent; 2: range [0, 3.5].
            let dependent = |i: usize| i != 1;
            let bounds = |i: usize| {
                if i == 2 {
                    (0.0, 3.5)
                } else {
                    (f64::NEG_INFINITY, f64::INFINITY)
                }
            };
            let targets = |fp: &FixedPoint| fp.value.iter().map(|&v| target(v)).collect::<Vec<_>>();
            fp.step(&targets(&fp), dependent, bounds, secant);
            assert_eq!(fp.value, vec![2.0; 3]);
            fp.step(&targets(&fp), dependent, bounds, secant);
            let first = if secant { 4.0 } else { 3.0 };
            assert_eq!(fp.value, vec![first, 3.0, 3.0], "secant {secant}");
        }
    }

    /// A residual that did not change has no secant: from v₀ = 4 with target 5 (g₀ = 1) the
    /// step substitutes to 5; with target 6 there (g₁ = 1 = g₀) the secant's denominator
    /// g₁ − g₀ is zero, so the step substitutes again, to 6.
    #[test]
    fn a_flat_residual_substitutes() {
        let mut fp = FixedPoint::new(vec![4.0]);
        let open = |_| (f64::NEG_INFINITY, f64::INFINITY);
        fp.step(&[5.0], |_| true, open, true);
        assert_eq!(fp.value, vec![5.0]);
        fp.step(&[6.0], |_| true, open, true);
        assert_eq!(fp.value, vec![6.0]);
    }
}
