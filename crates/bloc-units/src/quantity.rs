//! Physical and money quantities.

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Mul, Sub};

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0.0);
            /// The unit, as written in column names and docs.
            pub const UNIT: &'static str = $unit;
            /// The raw number in this unit.
            pub fn value(self) -> f64 {
                self.0
            }
        }
        impl Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0 + o.0)
            }
        }
        impl Sub for $name {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                Self(self.0 - o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                self.0 += o.0;
            }
        }
        impl Mul<f64> for $name {
            type Output = Self;
            fn mul(self, k: f64) -> Self {
                Self(self.0 * k)
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
                Self(it.map(|x| x.0).sum())
            }
        }
    };
}

quantity!(
    /// A mass in metric tonnes (per period where a flow is meant).
    Tonnes,
    "t"
);
quantity!(
    /// An annual rate in tonnes per year (capacities and reference demand).
    TonnesPerYear,
    "t/yr"
);
quantity!(
    /// A price or a per-tonne cost in US dollars of the scenario's base year.
    UsdPerTonne,
    "USD/t"
);
quantity!(
    /// A sum of money in US dollars of the scenario's base year.
    Usd,
    "USD"
);
quantity!(
    /// A dimensionless fraction (0.25 = 25%).
    Share,
    "fraction"
);

impl TonnesPerYear {
    /// The amount produced in a period that is `years` long.
    pub fn over(self, years: f64) -> Tonnes {
        Tonnes(self.0 * years)
    }
}

impl Mul<UsdPerTonne> for Tonnes {
    type Output = Usd;
    fn mul(self, p: UsdPerTonne) -> Usd {
        Usd(self.0 * p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_of_an_annual_rate() {
        assert_eq!(TonnesPerYear(100.0).over(0.25), Tonnes(25.0));
    }

    #[test]
    fn tonnes_times_price_is_money() {
        assert_eq!(Tonnes(2.0) * UsdPerTonne(3.5), Usd(7.0));
    }
}
