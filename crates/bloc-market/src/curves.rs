//! Demand curves as piecewise-linear inverse demand (concave quadratic utility per segment).
//!
//! A segment of width `w` whose willingness to pay falls linearly from `wtp_start` to
//! `wtp_end` contributes `wtp_start·x − (wtp_start − wtp_end)/(2w)·x²` to buyers' value, so the
//! QP stays separable and convex and the price where a segment is partly served is unique.
//!
//! The isoelastic curve q = Q0 (p/P0)^e is interpolated between price breakpoints spaced
//! geometrically: linear interpolation of p(q) over a price ratio σ is off by about
//! (1 − e)(ln σ)²/8 of the price (second-order Taylor bound), so σ is chosen to keep that
//! below [`ISOELASTIC_TOLERANCE`]. Above the choke price nobody buys: the first segment is
//! flat at the choke price and its width is the quantity wanted there, so whatever of it is
//! left unmet is the unserved demand.

use bloc_units::{Tonnes, UsdPerTonne};

/// Largest relative price error of the interpolated isoelastic curve.
pub const ISOELASTIC_TOLERANCE: f64 = 0.004;
/// The interpolated isoelastic curve runs from the choke price down to P0 / this; below that
/// it continues as a straight line to zero price along the curve's tangent.
pub const ISOELASTIC_FLOOR_DIVISOR: f64 = 10.0;

/// One piece of an inverse demand curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Quantity the segment spans.
    pub width: Tonnes,
    /// Willingness to pay for its first tonne.
    pub wtp_start: UsdPerTonne,
    /// Willingness to pay for its last tonne.
    pub wtp_end: UsdPerTonne,
}

impl Segment {
    /// Willingness to pay after `x` tonnes of this segment.
    pub fn wtp_at(&self, x: f64) -> f64 {
        if self.width.0 <= 0.0 {
            return self.wtp_start.0;
        }
        self.wtp_start.0 + (self.wtp_end.0 - self.wtp_start.0) * (x / self.width.0)
    }
}

/// A buyer's curve in one period: segments in order of falling willingness to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandCurve {
    /// Segments, highest willingness to pay first.
    pub segments: Vec<Segment>,
    /// Width of the first segment that counts as unserved when unmet (the quantity wanted at
    /// the choke price); zero for linear curves.
    pub choke_width: Tonnes,
}

impl DemandCurve {
    /// Isoelastic demand through (q0, p0) with elasticity `e` < 0, choke price `choke`.
    pub fn isoelastic(q0: Tonnes, p0: UsdPerTonne, e: f64, choke: UsdPerTonne) -> Self {
        let (q0, p0) = (q0.0, p0.0);
        if q0 <= 0.0 {
            return DemandCurve {
                segments: vec![],
                choke_width: Tonnes::ZERO,
            };
        }
        let q = |p: f64| q0 * (p / p0).powf(e);
        let choke = choke.0.max(p0 * 1.000_001);
        let p_low = (p0 / ISOELASTIC_FLOOR_DIVISOR).min(choke / 2.0);
        let ln_sigma = (8.0 * ISOELASTIC_TOLERANCE / (1.0 - e)).sqrt();
        let n = ((choke / p_low).ln() / ln_sigma).ceil().max(1.0) as usize;
        let ratio = (choke / p_low).powf(1.0 / n as f64);
        let mut segments = Vec::with_capacity(n + 2);
        let qc = q(choke);
        segments.push(Segment {
            width: Tonnes(qc),
            wtp_start: UsdPerTonne(choke),
            wtp_end: UsdPerTonne(choke),
        });
        let mut p_hi = choke;
        let mut q_hi = qc;
        for k in 1..=n {
            let p_lo = if k == n {
                p_low
            } else {
                choke / ratio.powi(k as i32)
            };
            let q_lo = q(p_lo);
            segments.push(Segment {
                width: Tonnes(q_lo - q_hi),
                wtp_start: UsdPerTonne(p_hi),
                wtp_end: UsdPerTonne(p_lo),
            });
            p_hi = p_lo;
            q_hi = q_lo;
        }
        // Tangent to zero price: dq/dp = e q / p, so falling by p_low adds |e| q tonnes.
        segments.push(Segment {
            width: Tonnes(-e * q_hi),
            wtp_start: UsdPerTonne(p_hi),
            wtp_end: UsdPerTonne(0.0),
        });
        DemandCurve {
            segments,
            choke_width: Tonnes(qc),
        }
    }

    /// Linear demand through (q0, p0) with point elasticity `e` < 0 there:
    /// p = p0 + p0/(e q0) (q − q0), down to zero price at q = q0 (1 − e).
    pub fn linear(q0: Tonnes, p0: UsdPerTonne, e: f64) -> Self {
        let (q0, p0) = (q0.0, p0.0);
        if q0 <= 0.0 {
            return DemandCurve {
                segments: vec![],
                choke_width: Tonnes::ZERO,
            };
        }
        DemandCurve {
            segments: vec![Segment {
                width: Tonnes(q0 * (1.0 - e)),
                wtp_start: UsdPerTonne(p0 * (1.0 - 1.0 / e)),
                wtp_end: UsdPerTonne(0.0),
            }],
            choke_width: Tonnes::ZERO,
        }
    }

    /// A buyer who takes up to `width` at any price up to `price` (a stockpile buying).
    pub fn flat(width: Tonnes, price: UsdPerTonne) -> Self {
        DemandCurve {
            segments: vec![Segment {
                width,
                wtp_start: price,
                wtp_end: price,
            }],
            choke_width: Tonnes::ZERO,
        }
    }

    /// Total quantity bought when the price is `p` (the curve read the other way).
    pub fn quantity_at(&self, p: f64) -> f64 {
        let mut q = 0.0;
        for s in &self.segments {
            if p >= s.wtp_start.0 {
                break;
            }
            if p <= s.wtp_end.0 {
                q += s.width.0;
                continue;
            }
            q += s.width.0 * (s.wtp_start.0 - p) / (s.wtp_start.0 - s.wtp_end.0);
            break;
        }
        q
    }

    /// Willingness to pay for the first tonne (choke price or the linear intercept).
    pub fn top(&self) -> Option<f64> {
        self.segments.first().map(|s| s.wtp_start.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interpolated inverse curve stays within the stated tolerance of the exact one
    /// across elasticities and prices from the choke price to P0/20.
    #[test]
    fn isoelastic_interpolation_error_is_bounded() {
        for &e in &[-0.05, -0.2, -0.5, -1.0, -2.0, -5.0] {
            let c =
                DemandCurve::isoelastic(Tonnes(1000.0), UsdPerTonne(50.0), e, UsdPerTonne(500.0));
            for s in &c.segments[1..c.segments.len() - 1] {
                let q_start = 1000.0 * (s.wtp_start.0 / 50.0f64).powf(e);
                for k in 1..10 {
                    let x = s.width.0 * k as f64 / 10.0;
                    let exact = 50.0 * ((q_start + x) / 1000.0).powf(1.0 / e);
                    let rel = (s.wtp_at(x) - exact).abs() / exact;
                    assert!(rel < ISOELASTIC_TOLERANCE * 1.05, "e={e} rel={rel}");
                }
            }
        }
    }

    #[test]
    fn quantity_at_reads_the_curve_back() {
        let c =
            DemandCurve::isoelastic(Tonnes(1000.0), UsdPerTonne(50.0), -0.5, UsdPerTonne(500.0));
        // At P0 the curve passes through Q0 (a breakpoint need not fall there: 0.15% slack).
        assert!((c.quantity_at(50.0) - 1000.0).abs() < 1000.0 * 0.005);
        assert_eq!(c.quantity_at(600.0), 0.0);
        // Inverse demand 80 − 2q from the shared example: Q0 = 20 at P0 = 40, e = −1.
        let l = DemandCurve::linear(Tonnes(20.0), UsdPerTonne(40.0), -1.0);
        assert!((l.quantity_at(50.0) - 15.0).abs() < 1e-12);
        assert_eq!(l.top(), Some(80.0));
    }
}
