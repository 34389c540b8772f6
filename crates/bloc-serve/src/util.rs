//! Small helpers: calendar dates, periods of the scenario, content hashes.

use crate::error::{ApiError, ApiResult};
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
        // Digits only: `str::parse` would take `+026` or `+1`.
        let digits = |x: &str, n: usize| x.len() == n && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
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
///
/// Strict: the label must be written exactly as the service writes it (`2026Q1` for a
/// quarterly bloc, `2026` for a yearly one): `2026q1`, `2026` in a quarterly bloc or
/// `2026Q1 ` would be stored under a label no computation ever looks for.
pub fn period_index(s: &Scenario, label: &str) -> Result<usize, String> {
    let example = s.time.label(0);
    let well_formed = match s.time.step {
        Step::Quarter => {
            let b = label.as_bytes();
            b.len() == 6
                && b[..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'Q'
                && (b'1'..=b'4').contains(&b[5])
        }
        Step::Year => label.len() == 4 && label.bytes().all(|b| b.is_ascii_digit()),
    };
    if !well_formed {
        return Err(format!(
            "`{label}` is not a period of this bloc; write it like {example} ({})",
            match s.time.step {
                Step::Quarter => "four-digit year, `Q`, quarter 1–4",
                Step::Year => "a four-digit year",
            }
        ));
    }
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

/// Largest price or value accepted anywhere, USD/t (the engine's bound on USD/t inputs).
pub const MAX_USD_PER_T: f64 = 1e10;
/// Largest quantity accepted anywhere, t (the engine's bound on tonnes).
pub const MAX_T: f64 = 1e10;
/// Longest identifier, key or name accepted (characters).
pub const MAX_NAME: usize = 128;
/// Longest free text accepted (a correction's or revision's reason), characters.
pub const MAX_TEXT: usize = 1000;

/// Checks that `v` is a number in `(0, max]` (or `[0, max]` with `zero_ok`); the error names
/// the field and the bound. NaN and infinities fail every comparison here.
pub fn bounded(field: &str, v: f64, zero_ok: bool, max: f64) -> ApiResult<f64> {
    let low_ok = if zero_ok { v >= 0.0 } else { v > 0.0 };
    if low_ok && v <= max {
        Ok(v)
    } else {
        Err(ApiError::field(
            field,
            format!(
                "{v} is out of range: must be {} and at most {max:e}",
                if zero_ok { "≥ 0" } else { "> 0" }
            ),
        ))
    }
}

/// Checks a name, key or free text: not blank, at most `max` characters, no control
/// characters (they hide in logs and terminals).
pub fn text(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.trim().is_empty() {
        return Err(ApiError::field(field, "must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(ApiError::field(
            field,
            format!("{n} characters; at most {max} allowed"),
        ));
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        return Err(ApiError::field(
            field,
            format!("contains the control character {:?}; not allowed", c),
        ));
    }
    Ok(())
}

/// Refuses a non-finite derived quantity before it is stored (serde_json would write it as
/// `null`, which no reader accepts back): 422 naming what overflowed.
pub fn finite(what: &str, v: f64) -> ApiResult<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ApiError::Rejected(format!(
            "{what} is {v}, not a finite number; nothing was stored"
        )))
    }
}

/// SHA-256 (hex) of a JSON value's text (serde_json writes object keys in a fixed order).
pub fn content_hash(v: &serde_json::Value) -> String {
    format!("{:x}", Sha256::digest(v.to_string().as_bytes()))
}

/// A money figure for people to read: thousands separators, and cents only when there are any
/// (`72,465.33`, `40,000`, `-1,250.50`). The exact value stays in the JSON field
/// beside the text.
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let cents = (v.abs() * 100.0).round();
    let (whole, frac) = ((cents / 100.0).trunc(), (cents % 100.0) as u32);
    let digits = format!("{whole:.0}");
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 && cents > 0.0 { "-" } else { "" };
    match frac {
        0 => format!("{sign}{grouped}"),
        f => format!("{sign}{grouped}.{f:02}"),
    }
}

/// A share for people to read, as a percentage with at most two decimals (`25%`, `3.5%`).
pub fn percent(share: f64) -> String {
    let p = format!("{:.2}", share * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("{}%", if p == "-0" { "0" } else { p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_for_people_are_rounded() {
        assert_eq!(usd(72465.33333333333), "72,465.33");
        assert_eq!(usd(40000.0), "40,000");
        assert_eq!(usd(220.0), "220");
        assert_eq!(usd(0.0), "0");
        assert_eq!(usd(-1250.5), "-1,250.50");
        assert_eq!(usd(-0.001), "0");
        assert_eq!(usd(999.999), "1,000");
        assert_eq!(usd(1234567.891), "1,234,567.89");
        assert_eq!(usd(1e10), "10,000,000,000");
        assert_eq!(percent(0.25), "25%");
        assert_eq!(percent(0.035), "3.5%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(1.0 / 3.0), "33.33%");
    }

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
        // Issue 15, item 8: `str::parse` took a sign.
        assert!(Date::parse("+026-01-15").is_err());
        assert!(Date::parse("2026-+1-15").is_err());
        assert!(Date::parse("2026-01-+1").is_err());
        assert!(Date::parse(" 2026-01-15").is_err());
    }
}
