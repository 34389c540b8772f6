//! Numbers as an analyst reads them: `1.23 bn`, `45.6 M`, `12,345`, `+3.1%`.
//!
//! Why a module of its own: the report's world runs mix prices of a few dollars with budgets
//! of billions, and the old full-digit labels (`1,000,000,000`) were wider than the space an
//! axis has, so they were cut. Every label the report draws goes through here, so its width is
//! bounded (at most about eight characters) and the chart code can reserve room for it.
//! Negative numbers use the minus sign (U+2212), as in print.

use bloc_results::thousands;

/// A number in at most about eight characters: `bn` from a billion, `M` from a million,
/// thousands separators below, and fewer decimals the larger the number.
pub fn fmt_compact(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let body = if a >= 1e9 {
        let b = a / 1e9;
        format!(
            "{} bn",
            trim(
                b,
                if b < 10.0 {
                    2
                } else if b < 100.0 {
                    1
                } else {
                    0
                }
            )
        )
    } else if a >= 1e6 {
        format!("{} M", trim(a / 1e6, 1))
    } else if a >= 1000.0 {
        thousands(a)
    } else if a >= 10.0 {
        trim(a, 1)
    } else if a >= 0.01 {
        trim(a, 3)
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{a:.1e}")
    };
    signed(v, body)
}

/// Money: `$1.23 bn`, `−$45.6 M`, `$7,890` (the form `summary.md` uses).
pub fn fmt_usd(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let body = if a >= 1e9 {
        format!("${:.2} bn", a / 1e9)
    } else if a >= 1e6 {
        format!("${:.1} M", a / 1e6)
    } else {
        format!("${}", thousands(a))
    };
    signed(v, body)
}

/// A fraction as a signed percentage with one decimal: `0.031` → `+3.1%`.
pub fn fmt_pct(share: f64) -> String {
    if !share.is_finite() {
        return "–".into();
    }
    let body = format!("{:.1}%", (100.0 * share).abs());
    if body == "0.0%" {
        body
    } else if share < 0.0 {
        format!("−{body}")
    } else {
        format!("+{body}")
    }
}

/// Labels for the ticks of one axis, all in one scale (bn, M, k or none) and with the same
/// number of decimals, just enough to tell neighbouring ticks apart.
pub fn axis_labels(ticks: &[f64]) -> Vec<String> {
    let top = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    let (scale, suffix) = if top >= 1e9 {
        (1e9, " bn")
    } else if top >= 1e6 {
        (1e6, " M")
    } else if top >= 1e4 {
        (1e3, " k")
    } else {
        (1.0, "")
    };
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let decimals = if step.is_finite() && step > 0.0 {
        (-(step / scale).log10().floor()).clamp(0.0, 4.0) as usize
    } else {
        0
    };
    ticks
        .iter()
        .map(|t| {
            if *t == 0.0 {
                return "0".into();
            }
            let body = format!("{:.*}{suffix}", decimals, (t / scale).abs());
            signed(*t, body)
        })
        .collect()
}

/// An estimate of the width in pixels of `text` at `font_px` in a sans-serif face: generous
/// (0.62 em a character, most faces are narrower) so that reserved room is never too small.
pub fn text_width(text: &str, font_px: f64) -> f64 {
    text.chars().count() as f64 * font_px * 0.62
}

fn trim(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

fn signed(v: f64, body: String) -> String {
    let zero = body
        .chars()
        .all(|c| matches!(c, '0' | '.' | ',' | ' ' | '$'));
    if v < 0.0 && !zero {
        format!("−{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_use_bn_and_m() {
        assert_eq!(fmt_compact(1e9), "1.00 bn");
        assert_eq!(fmt_compact(2.345e9), "2.35 bn");
        assert_eq!(fmt_compact(-45.64e6), "−45.6 M");
        assert_eq!(fmt_compact(123_456.0), "123,456");
        assert_eq!(fmt_compact(45.25), "45.2");
        assert_eq!(fmt_compact(0.25), "0.250");
        assert_eq!(fmt_compact(0.0), "0");
        assert_eq!(fmt_compact(-0.0), "0");
        assert_eq!(fmt_compact(-0.0001), "−1.0e-4");
        assert_eq!(fmt_compact(f64::NAN), "–");
        // Never wider than eight characters, from a dollar to a trillion.
        for k in 0..13 {
            let v = -7.777 * 10f64.powi(k);
            assert!(fmt_compact(v).chars().count() <= 9, "{}", fmt_compact(v));
        }
    }

    #[test]
    fn money_and_shares() {
        assert_eq!(fmt_usd(1.234e9), "$1.23 bn");
        assert_eq!(fmt_usd(-45.64e6), "−$45.6 M");
        assert_eq!(fmt_usd(7890.4), "$7,890");
        assert_eq!(fmt_usd(-0.2), "$0");
        assert_eq!(fmt_pct(0.031), "+3.1%");
        assert_eq!(fmt_pct(-0.25), "−25.0%");
        assert_eq!(fmt_pct(-0.0001), "0.0%");
    }

    #[test]
    fn axis_labels_share_one_scale_and_never_run_long() {
        // 1e9 was cut to ",000,000,000" by the old full-digit labels.
        assert_eq!(
            axis_labels(&[0.0, 5e8, 1e9, 1.5e9]),
            ["0", "0.5 bn", "1.0 bn", "1.5 bn"]
        );
        assert_eq!(
            axis_labels(&[-2e6, 0.0, 2e6, 4e6]),
            ["−2 M", "0", "2 M", "4 M"]
        );
        assert_eq!(
            axis_labels(&[0.0, 20_000.0, 40_000.0]),
            ["0", "20 k", "40 k"]
        );
        assert_eq!(axis_labels(&[0.0, 0.2, 0.4]), ["0", "0.2", "0.4"]);
        assert_eq!(axis_labels(&[0.0, 250.0, 500.0]), ["0", "250", "500"]);
        assert_eq!(axis_labels(&[0.0, 2500.0, 5000.0]), ["0", "2500", "5000"]);
        for l in axis_labels(&[-8e12, -4e12, 0.0, 4e12]) {
            assert!(l.chars().count() <= 9, "{l}");
        }
    }

    #[test]
    fn widths_grow_with_text() {
        assert!(text_width("1.5 bn", 11.0) > text_width("15", 11.0));
        assert_eq!(text_width("", 11.0), 0.0);
    }
}
