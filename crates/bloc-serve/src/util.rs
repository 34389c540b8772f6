//! Small helpers: calendar dates, periods of the scenario, content hashes.

use bloc_scenario::Scenario;
use bloc_units::{Period, Step};
use sha2::{Digest, Sha256};

/// A calendar date `YYYY-MM-DD`, checked (month 1–12, day within the month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl Date {
    /// Reads `YYYY-MM-DD`; the error says what would be right.
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date; write YYYY-MM-DD, e.g. 2026-05-14");
        let mut it = s.split('-');
        let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(format!("`{s}`: month {month} is not 1–12")),
        };
        if day == 0 || day > days {
            return Err(format!("`{s}`: day {day} is not in 1–{days}"));
        }
        Ok(Date { year, month, day })
    }

    /// The scenario period holding this date (a quarter, or a year).
    pub fn period(self, step: Step) -> Period {
        Period {
            year: self.year,
            quarter: match step {
                Step::Quarter => (self.month - 1) / 3 + 1,
                Step::Year => 1,
            },
        }
    }
}

/// A period of the scenario's horizon, read from its label; the error names the horizon.
pub fn period_index(s: &Scenario, label: &str) -> Result<usize, String> {
    let p = Period::parse(label).map_err(|e| e.to_string())?;
    if s.time.step == Step::Year && p.quarter != 1 {
        return Err(format!(
            "`{label}`: this bloc's periods are years, e.g. {}",
            s.time.label(0)
        ));
    }
    s.time.index_of(p).ok_or_else(|| {
        format!(
            "`{label}` lies outside the configured horizon {}–{}",
            s.time.label(0),
            s.time.label(s.time.periods - 1)
        )
    })
}

/// SHA-256 (hex) of a JSON value's text (serde_json writes object keys in a fixed order).
pub fn content_hash(v: &serde_json::Value) -> String {
    format!("{:x}", Sha256::digest(v.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_and_map_to_quarters() {
        let d = Date::parse("2026-05-14").unwrap();
        assert_eq!(
            d.period(Step::Quarter),
            Period {
                year: 2026,
                quarter: 2
            }
        );
        assert_eq!(Date::parse("2024-02-29").unwrap().day, 29);
        assert!(Date::parse("2025-02-29").is_err());
        assert!(Date::parse("2026-13-01").is_err());
        assert!(Date::parse("2026-5-14").is_err());
        assert!(Date::parse("14/05/2026").is_err());
    }
}
