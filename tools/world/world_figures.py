#!/usr/bin/env python3
"""Prints, as markdown tables, the figures that docs/world.md quotes from the golden runs.

Reads tests/golden/world/ (the base world in its top folder, each variant in its own folder).
With --old, the same files as committed in the old revision (`git show REV:...`), to set
today's figures against those the doc quoted before. The old revision is --old=REV if given,
else HEAD if the working tree's golden runs differ from it, else the newest earlier commit whose
golden runs differ (so the figures hold both before and after the new goldens are committed).
The tables of the no-bloc baseline in 2026 always set the working tree against that revision.
Usage, from anywhere in the repository:

    python3 tools/world/world_figures.py [--old[=REV]] [--against=REV]

--against=REV prints today's figures (the working tree's golden runs) with REV as the "old"
side of the tables that compare new against old.

Definitions (the doc states the same):
- Members are the `[bloc] members` of scenarios/world/bloc-feb-2026/scenario.toml; a region
  counts as a member from its `from` quarter on. The no-bloc run has no bloc, so its
  "members" are the same regions and dates.
- Members' price of a commodity in a quarter: the mean of the member regions' prices weighted
  by their consumption (consumption.csv `quantity_t`); where no member consumes it (Dy and Tb
  oxide, used only by magnet plants) the plain mean over the members that have a price. This
  is the engine's `price_usd_per_t` indicator, scope `members:<commodity>`
  (crates/bloc-model/src/indicators.rs), recomputed so that it also exists for no-bloc.
  A figure "over 2027Q1-2028Q4" is the mean of the eight quarterly values.
- Unserved: consumption.csv `unserved_t` of the member regions, summed over the quarters.
- Money over a span (levy, tariff, consumer cost, welfare): the quarterly indicator summed.
- China's move: a welfare change is china-responds' `welfare_total_usd` minus bloc-feb-2026's
  (both runs carry the same no-bloc baseline). The old doc's "export-tax revenue" is read as
  `welfare_export_revenue_usd` of region:CHN, which also holds the scarcity rent of China's
  licences (accounts.rs), so the rise over bloc-feb-2026 is printed beside it.
- Leakage: `transshipped_t` per control `control:N:CHN`; N is the control's place in the
  scenario's list, so the ban is found by its span (2027Q1-2028Q4), not by its number.
"""

import csv
import io
import re
import subprocess
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = "tests/golden/world"
OLD = any(a == "--old" or a.startswith("--old=") for a in sys.argv[1:])
BAN = [f"{y}Q{q}" for y in (2027, 2028) for q in (1, 2, 3, 4)]  # China's two-year ban
RUN = [f"{y}Q{q}" for y in range(2026, 2036) for q in (1, 2, 3, 4)]  # the 40 quarters


def year(y):
    return [f"{y}Q{q}" for q in (1, 2, 3, 4)]


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout


@lru_cache(maxsize=None)
def old_rev():
    """The revision whose golden runs are the "old" ones (see the module doc)."""
    given = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(("--old=", "--against="))]
    if given:
        return given[0]
    probe = f"{GOLDEN}/no-bloc/prices.csv"
    now = (ROOT / probe).read_text()
    for rev in ["HEAD"] + git("log", "--format=%H", "HEAD", "--", probe).split():
        if git("show", f"{rev}:{probe}") != now:
            return git("rev-parse", "--short", rev).strip()
    sys.exit("no committed golden run differs from the working tree")


def read(path, old):
    return git("show", f"{old_rev()}:{path}") if old else (ROOT / path).read_text()


@lru_cache(maxsize=None)
def rows(variant, name, old=OLD):
    """Rows of tests/golden/world/<variant>/<name>.csv ('' = the base world)."""
    folder = f"{GOLDEN}/{variant}" if variant else GOLDEN
    return list(csv.DictReader(io.StringIO(read(f"{folder}/{name}.csv", old))))


@lru_cache(maxsize=None)
def members():
    """{region: first quarter as a member} from bloc-feb-2026's scenario."""
    toml = read("scenarios/world/bloc-feb-2026/scenario.toml", OLD)
    return dict(re.findall(r'region\s*=\s*"(\w+)",\s*from\s*=\s*"(\d{4}Q\d)"', toml))


def is_member(region, period):
    start = members().get(region)
    return start is not None and period >= start


@lru_cache(maxsize=None)
def indicators(variant, old=OLD):
    d = defaultdict(float)
    for r in rows(variant, "indicators", old):
        d[(r["period"], r["indicator"], r["scope"])] = float(r["value"])
    return d


def total(variant, indicator, scope, periods):
    d = indicators(variant)
    return sum(d.get((p, indicator, scope), 0.0) for p in periods)


@lru_cache(maxsize=None)
def prices(variant, old=OLD):
    return {(r["period"], r["region"], r["commodity"]): float(r["price_usd_per_t"])
            for r in rows(variant, "prices", old)}


@lru_cache(maxsize=None)
def consumption(variant, old=OLD):
    return {(r["period"], r["region"], r["commodity"]): r for r in rows(variant, "consumption", old)}


def region_price(variant, region, commodity, periods, old=OLD):
    """Plain mean of one region's price over the quarters (None if it has none)."""
    p = prices(variant, old)
    xs = [p[(q, region, commodity)] for q in periods if (q, region, commodity) in p]
    return sum(xs) / len(xs) if xs else None


def member_price(variant, commodity, periods, old=OLD):
    """Members' consumption-weighted price, mean of the quarters (see the module doc)."""
    p, cons = prices(variant, old), consumption(variant, old)
    means = []
    for q in periods:
        priced = [(v, float(cons[k]["quantity_t"]) if k in cons else 0.0)
                  for k, v in p.items() if k[0] == q and k[2] == commodity and is_member(k[1], q)]
        if not priced:
            continue
        w = sum(x for _, x in priced)
        means.append(sum(v * x for v, x in priced) / w if w > 0
                     else sum(v for v, _ in priced) / len(priced))
    return sum(means) / len(means) if means else None


def member_unserved(variant, commodity, periods):
    return sum(float(r["unserved_t"]) for r in rows(variant, "consumption")
               if r["commodity"] == commodity and r["period"] in periods
               and is_member(r["region"], r["period"]))


def exports(variant, exporter, commodity, periods, old=OLD):
    """Tonnes shipped from the exporter's own territory to other regions."""
    return sum(float(r["quantity_t"]) for r in rows(variant, "flows", old)
               if r["origin"] == exporter and r["destination"] != exporter
               and r["commodity"] == commodity and r["period"] in periods)


# ---- formatting -------------------------------------------------------------------------

def t(x):
    return "—" if x is None else f"{x:,.0f}"


def usd(x, bn=False):
    return f"${x / 1e9:,.2f} bn" if bn or abs(x) >= 1e9 else f"${x / 1e6:,.1f} M"


def signed(x, bn=False):
    return ("+" if x >= 0 else "−") + usd(abs(x), bn)


def ratio(a, b):
    return "—" if a is None or not b else f"{a / b:.2f}"


def table(title, note, header, body):
    print(f"### {title}\n\n{note}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for r in body:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print()


# ---- the tables -------------------------------------------------------------------------

BITE = ["ndfeb_magnet", "ndpr_oxide", "dy_oxide", "tb_oxide", "lace_oxide", "graphite_battery",
        "li_hydroxide", "gallium", "w_apt", "ge_metal", "sb_metal", "co_refined"]


def bite():
    v = ["bloc-feb-2026", "bloc-vs-controls", "bloc-vs-controls-leaky"]
    body = []
    for c in BITE:
        p = [member_price(x, c, BAN) for x in v]
        body.append([f"`{c}`"] + [t(x) for x in p] + [ratio(p[1], p[0]), ratio(p[2], p[0])]
                    + [t(member_unserved(x, c, BAN)) for x in v])
    table("Do the measures bite? China's ban on every export to members, 2027-2028",
          "Members' consumption-weighted price, mean of the eight quarters 2027Q1-2028Q4, USD/t; "
          "members' unserved demand, t, the eight quarters summed. `bloc-vs-controls-leaky` "
          "also lays aside China's standing licences (Ga, Ge, Sb, Dy, Tb).",
          ["commodity", "price, no ban (`bloc-feb-2026`)", "price, ban by origin",
           "price, ban by last shipper, no licences", "origin / no ban", "last shipper / no ban",
           "unserved, no ban", "unserved, origin", "unserved, last shipper"], body)


def leakage():
    body = []
    for v in ["bloc-vs-controls-leaky", "bloc-vs-controls"]:
        d = indicators(v)
        scopes = sorted({s for (_, i, s) in d if i == "transshipped_t" and s.endswith(":CHN")},
                        key=lambda s: int(s.split(":")[1]))
        for s in scopes:
            shares = [d[(p, "leakage_share", s)] for p in BAN if (p, "leakage_share", s) in d]
            span = sorted(p for (p, i, x) in d if i == "transshipped_t" and x == s)
            body.append([f"`{v}`", f"`{s}`", f"{span[0]}-{span[-1]}",
                         t(total(v, "transshipped_t", s, BAN)),
                         f"{min(shares):.2f}-{max(shares):.2f}" if shares else "—"])
    table("Leakage: Chinese goods reaching members through third countries, 2027-2028",
          "`transshipped_t` of each China control (`control:N:CHN`, numbered in the order the "
          "scenario declares them), summed over 2027Q1-2028Q4, and the range of its quarterly "
          "`leakage_share`. The ban is the control that runs 2027Q1-2028Q4 only.",
          ["variant", "control", "in force", "transshipped, t", "leakage_share"], body)


def money():
    body = []
    for v in ["bloc-feb-2026", "china-licences", "bloc-vs-controls", "bloc-vs-controls-leaky",
              "china-responds"]:
        body.append([f"`{v}`", usd(total(v, "levy_revenue_usd", "world", RUN)),
                     usd(total(v, "tariff_revenue_usd", "world", RUN)),
                     signed(total(v, "consumer_cost_usd", "members", RUN)),
                     signed(total(v, "welfare_change_usd", "members", RUN)),
                     signed(total(v, "welfare_change_usd", "world", RUN))])
    table("The levy and what the variants cost, 2026Q1-2035Q4",
          "Indicators summed over the 40 quarters; consumer cost and welfare change are against "
          "no-bloc (the baseline of bloc-feb-2026, which the others inherit).",
          ["variant", "levy revenue", "tariff revenue", "members' consumer cost",
           "members' welfare change", "world welfare change"], body)


def levy_by_commodity():
    v = "bloc-feb-2026"
    floors = {r["commodity"]: float(r["floor_usd_per_t"]) for r in rows(v, "policy")}
    d = indicators(v)
    body = []
    for c in sorted(floors):
        qs = [p for p in RUN if d.get((p, "levy_revenue_usd", f"commodity:{c}"), 0) > 0]
        body.append([f"`{c}`", usd(total(v, "levy_revenue_usd", f"commodity:{c}", RUN)),
                     len(qs), f"{qs[0]}-{qs[-1]}" if qs else "—", t(floors[c]),
                     t(region_price(v, "CHN", c, RUN)), t(member_price(v, c, RUN))])
    table("Where the levy of bloc-feb-2026 is collected",
          "Each floor: levy revenue summed over the run, the quarters with any levy, the floor "
          "(policy.csv), China's price and the members' price (means of the 40 quarters, USD/t).",
          ["commodity", "levy", "quarters", "first-last", "floor", "China's price",
           "members' price"], body)


def licences_unserved():
    body = []
    for c in sorted({r["commodity"] for r in rows("china-licences", "consumption")}):
        a, b = member_unserved("bloc-feb-2026", c, BAN), member_unserved("china-licences", c, BAN)
        if a or b:
            body.append([f"`{c}`", t(a), t(b), t(member_price("bloc-feb-2026", c, BAN)),
                         t(member_price("china-licences", c, BAN))])
    table("china-licences: members' unserved demand and price, 2027-2028",
          "Unserved t, the eight quarters summed; members' price, mean of the eight quarters, USD/t.",
          ["commodity", "unserved, `bloc-feb-2026`", "unserved, `china-licences`",
           "price, `bloc-feb-2026`", "price, `china-licences`"], body)


def strategy():
    body = [[r["period"], f"`{r['instrument']}`", f"{float(r['value']):.0%}", r["evaluations"],
             r["note"].split(":")[0]] for r in rows("china-responds", "strategy")]
    table("china-responds: China's choices (strategy.csv)", "One decision a year, held four quarters.",
          ["decided", "instrument", "rate", "solves", "note"], body)


def china_move():
    b, r = "bloc-feb-2026", "china-responds"
    years = (2027, 2030, 2035)

    def tax(y, what):
        return next(f"{float(x['value']):.0%}" for x in rows(r, "strategy")
                    if x["period"] == f"{y}Q1" and x["instrument"].startswith(f"tax:{what}"))

    def arrow(f, y):
        return f"{t(f(b, year(y)))} → {t(f(r, year(y)))}"

    def diff(ind, scope, y):
        return signed(total(r, ind, scope, year(y)) - total(b, ind, scope, year(y)), bn=True)

    def magnet_capacity(v, y):
        return sum(float(x["capacity_t"]) for x in rows(v, "production")
                   if x["commodity"] == "ndfeb_magnet" and x["period"] == f"{y}Q4"
                   and is_member(x["region"], x["period"]))

    def to_members(v, y, goods):
        return sum(float(x["quantity_t"]) for x in rows(v, "flows")
                   if x["origin_class"] == "CHN" and x["commodity"] in goods
                   and x["period"] in year(y) and is_member(x["destination"], x["period"]))

    oxides = ("ndpr_oxide", "dy_oxide", "tb_oxide")
    body = [
        ["China's tax on magnets / on oxides (NdPr, Dy, Tb)"]
        + [f"{tax(y, 'ndfeb_magnet')} / {tax(y, 'ndpr_oxide')}" for y in years],
        ["members' magnet price, USD/t (no tax → tax; consumption-weighted, yearly mean)"]
        + [arrow(lambda v, p: member_price(v, "ndfeb_magnet", p), y) for y in years],
        ["US magnet price, USD/t (yearly mean)"]
        + [arrow(lambda v, p: region_price(v, "USA", "ndfeb_magnet", p), y) for y in years],
        ["China's magnet price, USD/t (yearly mean)"]
        + [arrow(lambda v, p: region_price(v, "CHN", "ndfeb_magnet", p), y) for y in years],
        ["Chinese magnets reaching members, t (no tax → tax)"]
        + [f"{t(to_members(b, y, ('ndfeb_magnet',)))} → {t(to_members(r, y, ('ndfeb_magnet',)))}"
           for y in years],
        ["Chinese oxides reaching members, t (no tax → tax)"]
        + [f"{to_members(b, y, oxides):,.1f} → {to_members(r, y, oxides):,.1f}" for y in years],
        ["China's export revenue (taxes and licence rents), and its rise over `bloc-feb-2026`"]
        + [f"{usd(total(r, 'welfare_export_revenue_usd', 'region:CHN', year(y)))} "
           f"({diff('welfare_export_revenue_usd', 'region:CHN', y)})" for y in years],
        ["China's welfare change"] + [diff("welfare_total_usd", "region:CHN", y) for y in years],
        ["members' welfare change"] + [diff("welfare_total_usd", "members", y) for y in years],
        ["world welfare change (the deadweight loss)"]
        + [diff("welfare_total_usd", "world", y) for y in years],
        ["members' magnet capacity in Q4, t a quarter (`bloc-feb-2026` / `china-responds`)"]
        + [f"{t(magnet_capacity(b, y))} / {t(magnet_capacity(r, y))}" for y in years],
    ]
    table("China's move: china-responds against bloc-feb-2026",
          "Taxes from strategy.csv (the decision of each year's Q1); money summed over the "
          "year's four quarters; a welfare change is china-responds' `welfare_total_usd` minus "
          "bloc-feb-2026's.", [""] + [str(y) for y in years], body)


BASE = ["gallium", "ge_metal", "sb_metal", "dy_oxide", "tb_oxide", "co_refined",
        "co_intermediate", "ndpr_oxide"]


def base_prices_2026():
    v, q = "no-bloc", year(2026)
    body = []
    for c in BASE:
        cn, co = region_price(v, "CHN", c, q, False), region_price(v, "CHN", c, q, True)
        un, uo = region_price(v, "USA", c, q, False), region_price(v, "USA", c, q, True)
        mn, mo = member_price(v, c, q, False), member_price(v, c, q, True)
        body.append([f"`{c}`", t(cn), t(co), ratio(cn, co), t(un), t(uo), ratio(un, uo),
                     t(mn), t(mo), ratio(mn, mo)])
    table("Today's policies in the base: no-bloc prices in 2026, new against old",
          "Mean of the four quarters of 2026, USD/t; new = the golden run with today's policies "
          f"(working tree), old = the run before them ({old_rev()}). Members: the regions of "
          "bloc-feb-2026 from their dates, consumption-weighted (no-bloc has no bloc).",
          ["commodity", "CHN new", "CHN old", "ratio", "USA new", "USA old", "ratio",
           "members new", "members old", "ratio"], body)


def controlled_exports_2026():
    v, q = "no-bloc", year(2026)
    body = []
    for x, c in [("CHN", "gallium"), ("CHN", "ge_dioxide"), ("CHN", "ge_metal"), ("CHN", "sb_ore"),
                 ("CHN", "sb_metal"), ("CHN", "dy_oxide"), ("CHN", "tb_oxide"),
                 ("COD", "co_intermediate")]:
        new, old = exports(v, x, c, q, False), exports(v, x, c, q, True)
        pn, po = region_price(v, x, c, q, False), region_price(v, x, c, q, True)
        body.append([x, f"`{c}`", f"{new:,.1f}", f"{old:,.1f}", ratio(new, old),
                     t(pn), t(po), ratio(pn, po)])
    table("Exports under today's controls, no-bloc, 2026",
          "Tonnes shipped from the exporter's territory to other regions, the four quarters of "
          "2026 summed, and the exporter's own price (mean of the quarters, USD/t); new "
          f"(working tree) against old ({old_rev()}).",
          ["exporter", "commodity", "exports new, t", "old, t", "ratio", "home price new",
           "old", "ratio"], body)


def reshipped_2026():
    body = []
    for v in ["bloc-feb-2026", "bloc-vs-controls-leaky"]:
        q = defaultdict(float)
        for r in rows(v, "flows"):
            if (r["period"] in year(2026) and r["origin_class"] == "CHN" and r["origin"] != "CHN"):
                q[(r["commodity"], r["origin"], r["destination"])] += float(r["quantity_t"])
        body += [[f"`{v}`", f"`{c}`", f"{o} → {d}", t(x)] for (c, o, d), x in sorted(q.items())]
        body.append([f"`{v}`", "all", "", t(sum(q.values()))])
    table("Chinese goods shipped on by third countries in 2026 (before the ban)",
          "flows.csv rows with `origin_class` CHN and a shipper other than China, the four "
          "quarters of 2026 summed, t.", ["variant", "commodity", "route", "t"], body)


@lru_cache(maxsize=None)
def records():
    path = ROOT / "tools/world/research/price_records.csv"
    return {r["commodity"]: float(r["record_usd_per_t"]) for r in csv.DictReader(path.open())
            if r["record_usd_per_t"]}


def peak(variant, region, commodity, old):
    """(highest price, its quarter) of one region over the run."""
    p = prices(variant, old)
    xs = [(p[(q, region, commodity)], q) for q in RUN if (q, region, commodity) in p]
    return max(xs) if xs else (None, None)


def supply_response():
    v = "no-bloc"
    body = []
    for c in ["li_spodumene", "li_carbonate", "li_hydroxide", "graphite_battery", "co_refined",
              "ni_refined", "cu_refined", "ndpr_oxide", "ndpr_metal", "dy_oxide", "tb_oxide",
              "ndfeb_magnet", "w_apt", "sb_metal", "gallium", "ge_metal"]:
        rec = records().get(c)
        first, last = region_price(v, "CHN", c, year(2026), False), region_price(v, "CHN", c, year(2035), False)
        old_last = region_price(v, "CHN", c, year(2035), True)
        top, when = peak(v, "CHN", c, False)
        old_top, _ = peak(v, "CHN", c, True)
        body.append([f"`{c}`", t(first), t(last), t(old_last), f"{t(top)} ({when})", t(old_top),
                     t(rec) if rec else "not found", f"{top / rec:.2f}" if rec and top else ""])
    table("Supply that responds: the no-bloc baseline in China, new against old",
          "USD/t of the model's unit; 2026 and 2035 are means of their four quarters; peak = the "
          "highest quarter of the run; record = tools/world/research/price_records.csv (nominal, "
          f"Chinese quotes incl. VAT); old = the run before supply responded ({old_rev()}).",
          ["commodity", "2026", "2035", "2035 old", "peak (quarter)", "peak old", "record",
           "peak / record"], body)
    # Capacity that came online by 2035Q4, by kind.
    kind = {}
    for r in csv.DictReader((ROOT / "scenarios/world/projects.csv").open()):
        kind[r["id"]] = r["note_kind"]
    added = defaultdict(float)
    base = defaultdict(float)
    for r in rows(v, "production", False):
        if r["period"] != "2035Q4":
            continue
        k = kind.get(r["process"])
        if k:
            added[(r["commodity"], k)] += 4 * float(r["capacity_t"])
        elif not r["process"].startswith("recycling:"):
            base[r["commodity"]] += 4 * float(r["capacity_t"])
    body = []
    for c in sorted(base):
        pipe = added[(c, "pipeline")] + added[(c, "kept")]
        brown = added[(c, "brownfield")]
        if pipe or brown:
            body.append([f"`{c}`", t(base[c]), t(pipe), t(brown), f"{(pipe + brown) / base[c]:.0%}"])
    table("Capacity online in 2035Q4 beyond 2024's, no-bloc",
          "t/yr of the commodity's unit (production.csv capacity × 4): 2024's incumbents, the "
          "pipeline (research/projects_pipeline.csv and the four projects kept) and brownfield steps.",
          ["commodity", "2024 incumbents", "pipeline", "brownfield steps", "added"], body)


# ---- the brief's five questions (docs/world.md "The five questions") -----------------------

def member_sum(variant, indicator, commodity, periods):
    """An indicator of scope region:R:commodity summed over the members in force and quarters."""
    d = indicators(variant, False)
    return sum(v for (q, ind, sc), v in d.items()
               if ind == indicator and q in periods and sc.count(":") == 2
               and sc.endswith(":" + commodity) and is_member(sc.split(":")[1], q))


def component(variant, indicator, region, periods):
    return total(variant, indicator, f"region:{region}", periods)


def five_questions():
    v, base = "bloc-feb-2026", "no-bloc"
    comms = sorted({c for (_, _, c) in prices(v, False)})
    # 1. What floors and tariffs cost manufacturers in the bloc.
    cost = sorted(((member_sum(v, "consumer_cost_usd", c, RUN), c) for c in comms), reverse=True)
    body = [[f"`{c}`", signed(x)] for x, c in cost if abs(x) >= 5e6]
    body.append(["all (members' consumer cost)", signed(total(v, "consumer_cost_usd", "members", RUN))])
    body.append(["levy revenue (collected by members)", usd(total(v, "levy_revenue_usd", "world", RUN))])
    table("Q1. What the bloc costs its buyers, 2026Q1-2035Q4",
          "Members' extra spend against no-bloc (`consumer_cost_usd`, summed over the member "
          "regions in force and the 40 quarters), by commodity where it exceeds $5 M either way.",
          ["commodity", "members' consumer cost"], body)
    # 2. What price supports do to producers.
    body = []
    for r in sorted(members()):
        ps = component(v, "welfare_producer_surplus_usd", r, RUN) - component(base, "welfare_producer_surplus_usd", r, RUN)
        sup = component(v, "welfare_support_cost_usd", r, RUN)
        body.append([r, signed(ps), signed(sup)])
    body.append(["MP Materials' guarantee (DoD floor) payouts", usd(total(v, "guarantee_payout_usd", "world", RUN)), ""])
    table("Q2. Producers: members' producer surplus against no-bloc, 2026Q1-2035Q4",
          "`welfare_producer_surplus_usd` of bloc-feb-2026 less no-bloc's, per member, and the "
          "support the region pays (`welfare_support_cost_usd`), summed over the 40 quarters.",
          ["member", "producer surplus change", "support paid"], body)
    # 3. Capacity the bloc brings online, and when.
    def online(variant):
        """{commodity: {year: t/yr of planned capacity in member regions, end of the year}}."""
        out = defaultdict(lambda: defaultdict(float))
        planned = {r["id"] for r in csv.DictReader((ROOT / "scenarios/world/projects.csv").open())}
        for r in rows(variant, "production", False):
            if r["process"] in planned and r["period"].endswith("Q4") and is_member(r["region"], r["period"]):
                out[r["commodity"]][int(r["period"][:4])] += 4 * float(r["capacity_t"])
        return out
    a, b = online(v), online(base)
    body = []
    for c in sorted(set(a) | set(b)):
        first = min((y for y, x in a[c].items() if x > 0), default=None)
        x, y = a[c].get(2035, 0.0), b[c].get(2035, 0.0)
        body.append([f"`{c}`", t(a[c].get(2030, 0.0)), t(b[c].get(2030, 0.0)), t(x), t(y),
                     f"{x - y:+,.0f}", str(first or "—")])
    table("Q3. Planned capacity online in members, t/yr",
          "Capacity of `projects.csv` rows (pipeline projects and brownfield steps) in service in the "
          "member regions (from their dates) at the end of 2030 and 2035, with the bloc "
          "(bloc-feb-2026) and without (no-bloc, the same regions), and the first year any is "
          "online with the bloc.",
          ["commodity", "2030, bloc", "2030, no-bloc", "2035, bloc", "2035, no-bloc",
           "2035 difference", "first year, bloc"], body)
    # 4. A Chinese export cut, and what the stockpile covers.
    vc = "bloc-vs-controls"
    vault = {"ndpr_oxide": "vault-ndpr", "dy_oxide": "vault-dy", "tb_oxide": "vault-tb",
             "ndfeb_magnet": "vault-magnet", "li_carbonate": "vault-lithium",
             "graphite_battery": "vault-graphite", "co_refined": "vault-cobalt",
             "gallium": "vault-gallium", "ge_metal": "vault-germanium", "sb_metal": "vault-antimony"}
    body = []
    for c in ["ndfeb_magnet", "ndpr_oxide", "dy_oxide", "tb_oxide", "graphite_battery", "li_carbonate",
              "li_hydroxide", "gallium", "ge_metal", "w_apt", "sb_metal", "co_refined"]:
        d = indicators(vc, False)
        before = d.get(("2026Q4", "stockpile_inventory_t", f"{vault[c]}:{c}")) if c in vault else None
        released = sum(-min(0.0, d.get((q, "stockpile_inventory_t", f"{vault[c]}:{c}"), 0.0)
                            - d.get((p, "stockpile_inventory_t", f"{vault[c]}:{c}"), 0.0))
                       for p, q in zip(RUN, RUN[1:]) if q in BAN) if c in vault else None
        daily = sum(float(r["quantity_t"]) for r in rows(v, "consumption", False)
                    if r["commodity"] == c and r["period"] in year(2027) and is_member(r["region"], r["period"])) / 365
        cover = before / daily if before is not None and daily > 0 else None
        body.append([f"`{c}`", t(member_price(v, c, BAN)), t(member_price(vc, c, BAN)),
                     ratio(member_price(vc, c, BAN), member_price(v, c, BAN)), t(member_unserved(vc, c, BAN)),
                     "no Vault" if c not in vault else t(before), "—" if released is None else t(released),
                     "—" if cover is None else f"{cover:,.1f}"])
    table("Q4. China's ban on every export to members (2027-2028), and the Vault",
          "Members' price (mean of 2027Q1-2028Q4, USD/t) without (bloc-feb-2026) and with the ban "
          "(bloc-vs-controls), members' unserved demand over the ban (t), the Vault's inventory of "
          "the commodity at the end of 2026Q4 (t), what it released over the ban (t), and the days "
          "of members' buyers' 2027 purchases without the ban that its inventory covers (— where "
          "members' own plants are the only users: Dy and Tb oxide go to magnet plants).",
          ["commodity", "members' price, no ban", "with the ban", "ratio", "unserved, t",
           "Vault at the start, t", "released in the ban, t", "days of cover"], body)
    # 5. What a developing country gains by joining.
    body = []
    for r in ["COD", "PER", "PHL", "BRA", "IND", "IDN", "ZWE", "CHL", "ARG"]:
        parts = [component(v, f"welfare_{k}_usd", r, RUN) - component(base, f"welfare_{k}_usd", r, RUN)
                 for k in ("consumer_surplus", "producer_surplus", "tariff_revenue", "levy_revenue", "export_revenue")]
        body.append([r, "member from " + members()[r] if r in members() else "not a member",
                     signed(total(v, "welfare_change_usd", f"region:{r}", RUN))] + [signed(x) for x in parts])
    table("Q5. What joining is worth: welfare change against no-bloc, 2026Q1-2035Q4",
          "`welfare_change_usd` of bloc-feb-2026 and its parts (bloc less no-bloc), summed over the "
          "40 quarters, for the resource-rich members and some non-members beside them.",
          ["region", "in the bloc", "welfare change", "consumer surplus", "producer surplus",
           "tariff revenue", "levy revenue", "export revenue"], body)


if __name__ == "__main__":
    print(f"<!-- python3 tools/world/world_figures.py{' --old' if OLD else ''}: golden runs of "
          f"{'revision ' + old_rev() if OLD else 'the working tree'}; old = {old_rev()} -->\n")
    bite()
    leakage()
    money()
    levy_by_commodity()
    licences_unserved()
    china_move()
    strategy()
    base_prices_2026()
    controlled_exports_2026()
    reshipped_2026()
    supply_response()
    five_questions()
