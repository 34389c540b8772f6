//! Project economics (issue 21): what each project that took its decision earns at the run's
//! prices, written as the run directory's `projects.csv`.
//!
//! For a project deciding in period F, online from O, with life L years (n = L / years per
//! period periods of operation, O … O + n − 1), capital K per t/yr of capacity Q and a grant
//! share g, at the scenario's discount rate r:
//!
//! ```text
//! NPV = − K·Q·(1 − g)  +  Σ_{t = O}^{O+n−1} m_t · (1 + r)^−((t − F)·yp)
//! ```
//!
//! where m_t is the plant's operating margin in period t (what it earned, support included,
//! less operating and input costs; the welfare accounts' producer surplus of that plant). The
//! capital is spent at the decision. Periods the run solved use their own margin; periods
//! before the run's first (a project online before it) take the mean margin of the run's
//! first year; periods after the run's last (the **terminal assumption**) take the mean
//! margin of the run's last year, floored at 0 (a plant that loses money can close). A
//! project that comes online after the run's last period has no margin to value: its NPV,
//! IRR and stranded flag are left empty. The IRR is the rate at which the NPV is 0, when the
//! NPV changes sign between −99% and 1,000% a year (found by bisection); `stranded` is
//! NPV < 0.

use crate::accounts::PeriodAccounts;
use crate::fleet::{first_online, Fleet};
use bloc_results::{num, Table};
use bloc_scenario::{Process, Scenario};

/// The cash flows of a project, in periods from its decision: −capital at 0, then the
/// margins of its operating periods.
#[derive(Debug, Clone, PartialEq)]
pub struct CashFlows {
    /// Capital at the decision, net of grants (USD).
    pub capital: f64,
    /// (periods after the decision, margin USD), one per operating period.
    pub margins: Vec<(i64, f64)>,
    /// Years per period.
    pub years_per_period: f64,
}

impl CashFlows {
    /// NPV at annual rate `r`.
    pub fn npv(&self, r: f64) -> f64 {
        let yp = self.years_per_period;
        -self.capital
            + self
                .margins
                .iter()
                .map(|&(k, m)| m * (1.0 + r).powf(-(k as f64) * yp))
                .sum::<f64>()
    }

    /// The annual rate at which the NPV is 0, when it changes sign on [−0.99, 10]
    /// (bisection to 1e-10).
    pub fn irr(&self) -> Option<f64> {
        let (mut lo, mut hi) = (-0.99, 10.0);
        let (f_lo, f_hi) = (self.npv(lo), self.npv(hi));
        if !(f_lo.is_finite() && f_hi.is_finite()) || f_lo.signum() == f_hi.signum() {
            return None;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let f = self.npv(mid);
            if f.signum() == f_lo.signum() {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-10 {
                break;
            }
        }
        Some(0.5 * (lo + hi))
    }
}

/// The cash flows of process `i` (a project that decided in `fid`, spending `capital` net of
/// grants then) at the run's margins, or `None` when it comes online after the run's last
/// period.
fn cash_flows(
    s: &Scenario,
    p: &Process,
    i: usize,
    fid: i64,
    capital: f64,
    run: &[PeriodAccounts],
) -> Option<CashFlows> {
    let pr = p.project.as_ref()?;
    let yp = s.time.years_per_period();
    let n_run = run.len() as i64;
    let online = first_online(p, fid);
    if online >= n_run {
        return None;
    }
    let per_year = ((1.0 / yp).round() as usize).clamp(1, run.len());
    let mean = |from: usize| -> f64 {
        run[from..from + per_year]
            .iter()
            .map(|a| a.plant_margin.get(i).copied().unwrap_or(0.0))
            .sum::<f64>()
            / per_year as f64
    };
    let first_year = mean(0);
    let terminal = mean(run.len() - per_year).max(0.0);
    let life = pr.life_yr.unwrap_or(s.investment.life_yr);
    let n_life = ((life / yp).round() as i64).max(1);
    let margins = (online..online + n_life)
        .map(|t| {
            let m = if t < 0 {
                first_year
            } else if t >= n_run {
                terminal
            } else {
                run[t as usize].plant_margin.get(i).copied().unwrap_or(0.0)
            };
            (t - fid, m)
        })
        .collect();
    Some(CashFlows {
        capital,
        margins,
        years_per_period: yp,
    })
}

/// Writes one row per project that took its decision (in the run or before it), in the
/// scenario's process order.
pub(crate) fn write(s: &Scenario, fleet: &Fleet, run: &[PeriodAccounts], out: &mut Table) {
    let r = s.investment.discount_rate;
    let label = |t: i64| {
        s.time
            .start
            .plus(t, s.time.step)
            .label(s.time.step)
            .to_string()
    };
    for (i, p) in s.processes.iter().enumerate() {
        let (Some(pr), Some(fid)) = (&p.project, fleet.fid(i)) else {
            continue;
        };
        let grant = fleet.grant_share(i);
        let capital = pr.capital_usd_per_t_per_yr * p.capacity.0;
        let online = first_online(p, fid);
        let support: f64 = run
            .iter()
            .map(|a| a.plant_support.get(i).copied().unwrap_or(0.0))
            .sum();
        let margin: f64 = run
            .iter()
            .map(|a| a.plant_margin.get(i).copied().unwrap_or(0.0))
            .sum();
        let valued =
            cash_flows(s, p, i, fid, capital * (1.0 - grant), run).map(|cf| (cf.npv(r), cf.irr()));
        let cell = |x: Option<f64>| x.filter(|v| v.is_finite()).map(num).unwrap_or_default();
        out.push(vec![
            p.id.to_string(),
            p.region.to_string(),
            p.output.to_string(),
            label(fid),
            label(online),
            num(p.capacity.0),
            num(capital),
            num(capital * grant),
            num(support),
            num(margin),
            cell(valued.map(|v| v.0)),
            cell(valued.and_then(|v| v.1)),
            valued.map(|v| (v.0 < 0.0).to_string()).unwrap_or_default(),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Capital 100 at the decision, then 30 a year for 5 years from a year later, at 8%:
    /// NPV = −100 + 30 · (1.08⁻¹ + … + 1.08⁻⁵) = −100 + 30 · 3.992710 = 19.781301; the IRR
    /// solves 30 · annuity(5, ρ) = 100: ρ = 0.1523824 (bisection by hand in Python).
    #[test]
    fn npv_and_irr_of_an_annuity() {
        let cf = CashFlows {
            capital: 100.0,
            margins: (1..=5).map(|k| (k, 30.0)).collect(),
            years_per_period: 1.0,
        };
        assert!((cf.npv(0.08) - 19.781301).abs() < 1e-5, "{}", cf.npv(0.08));
        let irr = cf.irr().unwrap();
        assert!((irr - 0.152382).abs() < 1e-5, "{irr}");
        assert!(cf.npv(irr).abs() < 1e-6);
        // Quarters: 7.5 a quarter in quarters 1..20 (by hand, −100 + 7.5 · Σ 1.08^(−k/4) =
        // 23.317131): more than the yearly 19.78, as each year's money comes earlier.
        let q = CashFlows {
            capital: 100.0,
            margins: (1..=20).map(|k| (k, 7.5)).collect(),
            years_per_period: 0.25,
        };
        assert!((q.npv(0.08) - 23.317131).abs() < 1e-5, "{}", q.npv(0.08));
        // Never paid back: no rate makes it 0 on [−99%, 1000%] when it only loses.
        let loss = CashFlows {
            capital: 100.0,
            margins: vec![(1, -5.0)],
            years_per_period: 1.0,
        };
        assert_eq!(loss.irr(), None);
        assert!(loss.npv(0.08) < -100.0);
    }
}
