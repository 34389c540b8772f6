#!/usr/bin/env python3
"""P5/P50/P95 bands of the headline answers of a world sweep (docs/world.md, "Uncertainty").

    target/python-venv/bin/python tools/world/sweep_bands.py SWEEP_DIR VARIANT

SWEEP_DIR is a `bloc sweep` directory (indicators.parquet, samples.csv); VARIANT is the world
variant it swept (`bloc-feb-2026` or `bloc-vs-controls`), whose golden run
(tests/golden/world/VARIANT/indicators.csv) gives the central value beside the bands. Each
answer is a per-sample figure (a sum over periods, a mean over periods, or a value at one
period), then percentiles over the samples that ran (linear interpolation, NumPy's default,
as `bands.csv`). A total with no row in a sample counts as 0 (a run leaves zero totals out).
Prints a Markdown table.
"""
import csv
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]

# (label, indicator, scope, periods: a prefix or a (from, to) range of labels, how, kind)
ANSWERS = {
    "bloc-feb-2026": [
        ("members' consumer cost against no-bloc", "consumer_cost_usd", "members", None, "sum", "usd"),
        ("members' welfare change", "welfare_change_usd", "members", None, "sum", "usd"),
        ("levy revenue", "levy_revenue_usd", "commodity:*", None, "sum", "usd"),
        ("tariff revenue", "tariff_revenue_usd", "world", None, "sum", "usd"),
        ("MP Materials' guarantee payouts", "guarantee_payout_usd", "world", None, "sum", "usd"),
        ("DRC's welfare change", "welfare_change_usd", "region:COD", None, "sum", "usd"),
        ("members' lithium carbonate price, 2035, USD/t Li", "price_usd_per_t", "members:li_carbonate", "2035", "mean", "price"),
        ("members' NdPr oxide price, 2035", "price_usd_per_t", "members:ndpr_oxide", "2035", "mean", "price"),
        ("members' NdFeB magnet price, 2035", "price_usd_per_t", "members:ndfeb_magnet", "2035", "mean", "price"),
        ("members' Dy oxide price, 2035", "price_usd_per_t", "members:dy_oxide", "2035", "mean", "price"),
    ],
    "bloc-vs-controls": [
        ("members' unserved magnets, 2027-28, t", "unserved_t", "members:ndfeb_magnet", ("2027Q1", "2029Q1"), "sum", "t"),
        ("members' unserved APT, 2027-28, t", "unserved_t", "members:w_apt", ("2027Q1", "2029Q1"), "sum", "t"),
        ("members' unserved gallium, 2027-28, t", "unserved_t", "members:gallium", ("2027Q1", "2029Q1"), "sum", "t"),
        ("members' magnet price, 2027-28, USD/t", "price_usd_per_t", "members:ndfeb_magnet", ("2027Q1", "2029Q1"), "mean", "price"),
        ("members' battery graphite price, 2027-28", "price_usd_per_t", "members:graphite_battery", ("2027Q1", "2029Q1"), "mean", "price"),
        ("members' consumer cost, 2027-28", "consumer_cost_usd", "members", ("2027Q1", "2029Q1"), "sum", "usd"),
        ("Vault's NdPr oxide at the ban (2026Q4), t", "stockpile_inventory_t", "vault-ndpr:ndpr_oxide", ("2026Q4", "2027Q1"), "sum", "t"),
        ("Vault's lithium carbonate at the ban (2026Q4), t", "stockpile_inventory_t", "vault-lithium:li_carbonate", ("2026Q4", "2027Q1"), "sum", "t"),
    ],
}


def in_periods(label, periods):
    if periods is None:
        return True
    if isinstance(periods, str):
        return label.startswith(periods)
    return periods[0] <= label < periods[1]


def scope_matches(scope, want):
    return scope.startswith(want[:-1]) if want.endswith("*") else scope == want


def figure(rows, indicator, scope, periods, how):
    """rows: (period, indicator, scope, value) of one run."""
    xs = [v for p, i, s, v in rows if i == indicator and scope_matches(s, scope) and in_periods(p, periods)]
    if how == "sum":
        return float(sum(xs))
    return float(np.mean(xs)) if xs else float("nan")


def fmt(x, kind):
    if x != x:
        return ""
    if kind == "usd":
        a = abs(x)
        s = "−" if x < 0 else "+"
        if a >= 1e9:
            return f"{s}${a / 1e9:.2f} bn"
        if a >= 1e8:
            return f"{s}${a / 1e6:.0f} M"
        return f"{s}${a / 1e6:.1f} M" if a >= 1e6 else f"{s}${a:,.0f}"
    return f"{x:,.0f}"


def main():
    sweep, variant = Path(sys.argv[1]), sys.argv[2]
    answers = ANSWERS[variant]
    samples = list(csv.DictReader(open(sweep / "samples.csv")))
    ok = [int(r["sample"]) for r in samples if r["status"] == "ok"]
    t = pq.read_table(sweep / "indicators.parquet").to_pydict()
    by_sample = {}
    for s, p, i, sc, v in zip(t["sample"], t["period"], t["indicator"], t["scope"], t["value"]):
        by_sample.setdefault(s, []).append((p, i, sc, v))
    golden = [
        (r["period"], r["indicator"], r["scope"], float(r["value"]))
        for r in csv.DictReader(open(ROOT / "tests/golden/world" / variant / "indicators.csv"))
    ]
    failed = [r for r in samples if r["status"] != "ok"]
    print(f"{variant}: {len(ok)} of {len(samples)} samples ran" + (f"; failed: {', '.join(r['sample'] for r in failed)}" if failed else ""))
    for r in failed[:3]:
        print(f"  sample {r['sample']}: {r['error'][:200]}")
    print()
    print("| answer | golden run (central values) | P5 | P50 | P95 |")
    print("| --- | --- | --- | --- | --- |")
    for label, ind, scope, periods, how, kind in answers:
        vals = np.array([figure(by_sample.get(s, []), ind, scope, periods, how) for s in ok])
        vals = vals[~np.isnan(vals)]
        g = figure(golden, ind, scope, periods, how)
        p5, p50, p95 = (np.percentile(vals, q) for q in (5, 50, 95)) if len(vals) else (float("nan"),) * 3
        print(f"| {label} | {fmt(g, kind)} | {fmt(p5, kind)} | {fmt(p50, kind)} | {fmt(p95, kind)} |")


if __name__ == "__main__":
    main()
