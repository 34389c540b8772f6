//! Periods of a run: quarters (`2026Q3`) or years (`2026`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How long one period of a scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// A quarter of a year: every annual rate is divided by four.
    Quarter,
    /// A whole year.
    Year,
}

impl Step {
    /// Length of one period in years.
    pub fn years(self) -> f64 {
        match self {
            Step::Quarter => 0.25,
            Step::Year => 1.0,
        }
    }
    /// Periods per year.
    pub fn per_year(self) -> u32 {
        match self {
            Step::Quarter => 4,
            Step::Year => 1,
        }
    }
}

/// A calendar period: a year and, for quarterly scenarios, a quarter (1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// Calendar year.
    pub year: i32,
    /// Quarter 1–4; `1` for yearly periods.
    pub quarter: u8,
}

/// Why a period label could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a period: {why}")]
pub struct PeriodError {
    /// The text that was given.
    pub text: String,
    /// What would be right.
    pub why: String,
}

impl Period {
    /// Reads `YYYYQn` or `YYYY` (the first quarter of that year).
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let t = text.trim();
        let bad = |why: &str| PeriodError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let (y, q) = match t.find(['Q', 'q']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("write a four-digit year, as `2027` or `2027Q3`"));
        }
        let year: i32 = y.parse().map_err(|_| bad("the year is not a number"))?;
        let quarter = match q {
            None => 1,
            Some(q) => match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(bad("the quarter must be Q1, Q2, Q3 or Q4, as `2027Q3`")),
            },
        };
        Ok(Period { year, quarter })
    }

    /// The period `n` steps after this one.
    pub fn plus(self, n: i64, step: Step) -> Period {
        match step {
            Step::Year => Period {
                year: self.year + n as i32,
                quarter: 1,
            },
            Step::Quarter => {
                let idx = self.year as i64 * 4 + (self.quarter as i64 - 1) + n;
                Period {
                    year: idx.div_euclid(4) as i32,
                    quarter: (idx.rem_euclid(4) + 1) as u8,
                }
            }
        }
    }

    /// How many steps `other` lies after `self` (negative when before). For yearly steps the
    /// quarter is ignored.
    pub fn steps_to(self, other: Period, step: Step) -> i64 {
        match step {
            Step::Year => (other.year - self.year) as i64,
            Step::Quarter => {
                (other.year as i64 * 4 + other.quarter as i64)
                    - (self.year as i64 * 4 + self.quarter as i64)
            }
        }
    }

    /// The label in a scenario of this step: `2027Q3` or `2027`.
    pub fn label(self, step: Step) -> PeriodLabel {
        PeriodLabel(self, step)
    }
}

/// A period shown as a scenario of a given step writes it.
#[derive(Debug, Clone, Copy)]
pub struct PeriodLabel(Period, Step);

impl fmt::Display for PeriodLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Step::Quarter => write!(f, "{}Q{}", self.0.year, self.0.quarter),
            Step::Year => write!(f, "{}", self.0.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quarters_and_years() {
        assert_eq!(
            Period::parse("2027Q3").unwrap(),
            Period {
                year: 2027,
                quarter: 3
            }
        );
        assert_eq!(
            Period::parse("2027").unwrap(),
            Period {
                year: 2027,
                quarter: 1
            }
        );
        assert!(Period::parse("2027Q5").is_err());
        assert!(Period::parse("27Q1").is_err());
        assert!(Period::parse("").is_err());
    }

    #[test]
    fn steps_across_year_ends() {
        let p = Period::parse("2026Q3").unwrap();
        assert_eq!(p.plus(2, Step::Quarter), Period::parse("2027Q1").unwrap());
        assert_eq!(
            p.steps_to(Period::parse("2027Q1").unwrap(), Step::Quarter),
            2
        );
        assert_eq!(p.plus(-3, Step::Quarter), Period::parse("2025Q4").unwrap());
        assert_eq!(p.label(Step::Quarter).to_string(), "2026Q3");
        let y = Period::parse("2026").unwrap();
        assert_eq!(y.plus(3, Step::Year).label(Step::Year).to_string(), "2029");
    }
}
