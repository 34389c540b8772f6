//! Every tolerance and round limit of the search, in one place (as Clarabel's
//! `DefaultSettings`): [`SolveOptions::tolerances`](super::SolveOptions::tolerances).
//!
//! They choose how the search gets to the equilibrium, not what counts as one: every answer
//! ends in the same optimality test and the self-check ([`crate::self_check`]), whose own
//! tolerances are fixed.

/// The search's tolerances and round limits. Relative ones are shares of a commodity's
/// price or quantity scale (or, in the scaled QP, of one unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance of the route and wedge loops: a route outside the working set joins
    /// when its price gap exceeds its wedge by more than this share of the price scale, and
    /// the wedge fixed point has converged when no wedge moves by more.
    pub wedge: f64,
    /// Most QP solves in one period; after them the outcome says it did not converge.
    pub max_rounds: usize,
    /// Quantities below this share of their commodity's scale are read as zero.
    pub noise: f64,
    /// Distance from a bound (share of the quantity scale) within which a column whose
    /// reduced cost pushes it onto the bound is put there.
    pub snap_delta: f64,
    /// Reduced cost (share of the value scale) that counts as pushing a column onto a bound.
    pub snap_eps: f64,
    /// Wedge residual (relative) on interior-point answers from which every answer is polished.
    pub polish_from: f64,
    /// Solves without the polished residual halving after which the loops stop…
    pub stall_rounds: usize,
    /// …when the residual is within this (relative; 10× inside the 1e-6 the levy must meet).
    pub stall_accept: f64,
    /// Reduced cost (in the scaled QP's units) a column on its bound may have against it, and
    /// a free column at all, for a polished answer to count as optimal. Small, because one
    /// unit of the scaled QP can be many USD/t for a commodity of high value and small tonnage.
    pub reduced_cost: f64,
    /// Row activity off its right-hand side (relative to 1 + |rhs|) that breaks optimality.
    pub balance: f64,
    /// Rounds of active-set correction after the first exact solve of a polish.
    pub active_set_rounds: usize,
    /// Rounds of a warm start's active-set search before the QP solver is called instead.
    pub warm_rounds: usize,
    /// Reduced cost (USD/t, as a share of the commodity's price scale) beyond which a column
    /// that a known answer puts on a bound is held there in the near solve. Measured on the
    /// world sweep benchmark (`bloc sweep bench`, 20 samples, 2 cores): 0.03 gave 1.32
    /// samples/s, 0.1 1.40, 0.2 1.35, 0.3 1.44–1.56, 0.4 1.52–1.56, 0.6 1.50, 1.5 1.14.
    /// Smaller holds more columns (smaller QPs) but more often holds one the new answer moves
    /// off, and the whole QP is solved after all.
    pub far: f64,
}

impl Tolerances {
    /// The defaults every shipped scenario and benchmark is run with.
    pub const DEFAULT: Tolerances = Tolerances {
        wedge: 1e-9,
        max_rounds: 200,
        noise: 1e-8,
        snap_delta: 1e-5,
        snap_eps: 1e-5,
        polish_from: 1e-6,
        stall_rounds: 3,
        stall_accept: 1e-7,
        reduced_cost: 1e-9,
        balance: 1e-9,
        active_set_rounds: 6,
        warm_rounds: 8,
        far: 0.4,
    };

    /// Whether every tolerance is a finite number in its range and every limit at least 1;
    /// else what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let small = [
            ("wedge", self.wedge),
            ("noise", self.noise),
            ("snap_delta", self.snap_delta),
            ("snap_eps", self.snap_eps),
            ("polish_from", self.polish_from),
            ("stall_accept", self.stall_accept),
            ("reduced_cost", self.reduced_cost),
            ("balance", self.balance),
        ];
        for (name, v) in small {
            if !(v > 0.0 && v < 1.0) {
                return Err(format!(
                    "tolerance {name} = {v} must be more than 0 and less than 1"
                ));
            }
        }
        if !(self.far > 0.0 && self.far.is_finite()) {
            return Err(format!("tolerance far = {} must be more than 0", self.far));
        }
        for (name, v) in [
            ("max_rounds", self.max_rounds),
            ("stall_rounds", self.stall_rounds),
            ("active_set_rounds", self.active_set_rounds),
            ("warm_rounds", self.warm_rounds),
        ] {
            if v == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        Ok(())
    }
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bad_ones_are_named() {
        assert_eq!(Tolerances::default().validate(), Ok(()));
        let t = Tolerances {
            snap_eps: f64::NAN,
            ..Tolerances::DEFAULT
        };
        assert!(t.validate().unwrap_err().contains("snap_eps"));
        let t = Tolerances {
            wedge: 0.0,
            ..Tolerances::DEFAULT
        };
        assert!(t.validate().unwrap_err().contains("wedge"));
        let t = Tolerances {
            warm_rounds: 0,
            ..Tolerances::DEFAULT
        };
        assert!(t.validate().unwrap_err().contains("warm_rounds"));
    }
}
