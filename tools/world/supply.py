"""Supply that responds (issue 20, item 1): the rows of `scenarios/world/projects.csv`.

Two kinds of planned capacity, both decided by the engine's investment rule (design §3: a
project decides when its expected margin covers its capital recovery):

* **The pipeline** (`research/projects_pipeline.csv`, keys Q01...): announced, committed and
  under-construction projects of the main producers, China and Indonesia included. Rows that
  were running in 2024 (`operating-since-2023/2024`) are already in the 2024 base and are left
  out; cancelled rows too. A project under construction or committed keeps its decision date
  (`fid`: it comes online whatever the prices); an announced one decides on the economics from
  its announced date or the start of the run.
* **Brownfield expansion**: every incumbent process may grow by `TRANCHES` steps of
  `STEP_SHARE` of its capacity, one at a time (`after`: a step may decide once the step before
  it is online). A step's operating cost follows the incumbent's calibrated marginal-cost line
  from `START_AT` of its capacity (the k-th step covers START + (k-1)s ... START + ks); a step
  decides once the trailing price covers that cost plus its capital recovery. Capital and
  lead time per output come from `research/brownfield.csv` (keys B01...).

Every number carries its source or `assumption: <reason>` in the row's `source` cell.
"""

import csv
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINE = os.path.join(HERE, "research", "projects_pipeline.csv")
BROWNFIELD = os.path.join(HERE, "research", "brownfield.csv")

RUN_START = "2026Q1"
TRANCHES = 3
STEP_SHARE = 0.15
# Where on the incumbent's cost line (a share of its capacity) the first step's cost starts:
# 1.0, the line continued past the incumbent's capacity (step k covers 1 + (k-1)s ... 1 + ks),
# so that no step pays at 2024 prices and the calibrated base year stays a steady state.
# Measured on the no-bloc run (highest price in China over its record, research/
# price_records.csv): without foresight (`[investment] foresight_yr`) a step pays only once
# capacity binds, two to three years of lead time too late: Dy oxide 1.13x and nickel 1.74x
# their records (steps from 0.75 of the line: nickel 1.43x; from 0.6: 1.29x). With investors
# looking two years ahead, reviewed yearly (the world's setting), every commodity stays at or
# below 0.88x from 1.0, so the steps keep the calibrated line.
START_AT = 1.0
STEP_SRC = (f"assumption: brownfield expansion as {TRANCHES} steps of {STEP_SHARE:.0%} of the incumbent's capacity "
            "(a discretisation of the long-run supply curve; sourced expansions run from +10% to +100% of a site's "
            "capacity, research/brownfield.md)")
STEP_AFTER_SRC = ("assumption: a site takes one step at a time (`after`: step k may decide once step k-1 is online), "
                  "as staged programmes do (Pilbara P680 then P1000 then P2000, Kemerton trains 1-2 then 3-4: research/brownfield.md)")
STEP_COST_SRC = (f"assumption: a step's operating cost follows the incumbent's calibrated marginal-cost line from {START_AT:g} of "
                 "its capacity (step k covers (START+(k-1)s) to (START+ks) of it; tools/world/supply.py START_AT says why)")

# Left out of the pipeline: already in the 2024 base, or not a project any more.
SKIP_STATUS = {"operating-since-2023", "operating-since-2024", "cancelled"}

# Projects whose capital covers the whole chain from the resource (wellfield and plant, mine
# and plant): no input, operating cost = the sum of the calibrated average costs of the
# incumbents named (the resource step first), co-products from the first.
INTEGRATED = {
    **{pid: ("arg_li_brine", "arg_li_carbonate_li_brine") for pid in (
        "cauchari_olaroz_s2", "sal_de_vida_s1", "sal_de_vida_s2", "fenix_expansion", "rincon_expansion",
        "centenario_p1", "centenario_p2", "tres_quebradas_p1", "tres_quebradas_p2")},
    "sqm_codelco_atacama": ("chl_li_brine", "chl_li_carbonate_li_brine"),
    "qinghai_salt_lake_40kt": ("chn_li_brine", "chn_li_carbonate_li_brine"),
    "thacker_pass_p1": (),  # clay mine and plant; its cost is sourced (Q04)
    "vulcan_lionheart": ("chl_li_brine", "aus_li_hydroxide"),  # geothermal brine to hydroxide
    **{pid: ("idn_ni_ore_hpal", "idn_ni_refined") for pid in (
        "harita_onc_hpal3", "qmb_expansion", "pomalaa_kni_hpal", "sorowako_hpal", "huafei_hpal",
        "huashan_hpal", "mbma_catl_hpal", "mbma_gem_esg_hpal")},
    **{pid: ("cod_cu_concentrate", "cod_cu_refined") for pid in ("kfm_p2_cu", "kcc_300kt")},  # SX-EW
    "arafura_nolans": ("aus_re_concentrate", "row_ndpr_oxide"),  # mine and separation at Nolans
}
INTEGRATED_SRC = {
    "arg_li_brine": "brine-to-carbonate at the salar (wellfield, ponds and plant in one capital figure)",
    "chl_li_brine": "brine to lithium chemical at the source (one capital figure)",
    "chn_li_brine": "salt-lake brine to carbonate (one capital figure)",
    "idn_ni_ore_hpal": "HPAL: laterite mining and leach to mixed hydroxide in one plant (research maps MHP to ni_refined)",
    "cod_cu_concentrate": "SX-EW: mine, leach and electrowinning in one (Cu-Co ore: the DRC's co-product ratio, assumption)",
    "aus_re_concentrate": "mine and separation in one project",
}

# Co-product rows of the research file (capital 0: the whole capital is on the main row) and
# the main row they belong to.
CO_ROWS = {
    "ef_white_mesa_p2_dy": "ef_white_mesa_p2",
    "ef_white_mesa_p2_tb": "ef_white_mesa_p2",
    "nyrstar_clarksville_ga": "nyrstar_clarksville_ge",
    "huafei_hpal_co": "huafei_hpal",
    "kfm_p1_co": "kfm_p1_cu",
    "tfm_mixed_ore_co": "tfm_mixed_ore_cu",
}


# (id, why) of the pipeline rows left out beyond SKIP_STATUS, for the record.
LEFT_OUT = []


def _num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v


def fmt(x):
    return f"{x:.6g}" if abs(x) < 1e6 else f"{x:.0f}"


def average_cost(p, utilisation):
    """A calibrated incumbent's average operating cost at its 2024 output (USD/t, inputs apart):
    the marginal cost rises linearly from `cost` at zero to `cost + rise` at capacity."""
    return p["cost"] + p["rise"] * utilisation / 2


def template_of(proc_by_id, procs, region, output):
    """The incumbent a project copies its inputs, co-products and cost from: the first process
    of its region and output, else the `row_` process of the output, else the largest outside
    China."""
    same = [p for p in procs if p["region"] == region and p["output"] == output]
    if same:
        return same[0], ""
    row = proc_by_id.get(f"row_{output}")
    if row:
        return row, f"assumption: no {region} incumbent makes {output}; inputs, co-products and cost as {row['id']}"
    others = sorted((p for p in procs if p["output"] == output and p["region"] != "CHN"), key=lambda p: -p["q"])
    others = others or sorted((p for p in procs if p["output"] == output), key=lambda p: -p["q"])
    t = others[0]
    return t, f"assumption: no {region} incumbent makes {output}; inputs, co-products and cost as {t['id']}"


def read_brownfield():
    with open(BROWNFIELD, newline="") as f:
        return {r["commodity"]: r for r in csv.DictReader(f)}


def pipeline(procs, inputs_of, outputs_of, utilisation):
    """The research pipeline as project rows (dicts with the projects.csv fields, `inputs`
    and `outputs`)."""
    proc_by_id = {p["id"]: p for p in procs}
    with open(PIPELINE, newline="") as f:
        rows = list(csv.DictReader(f))
    by_id = {r["id"]: r for r in rows}
    # Sourced capital per output (numeric, not a co-product's 0), for rows that have none.
    capital_of = {}
    for r in rows:
        v = _num(r["capital_usd_per_t_per_yr"])
        if v and r["id"] not in CO_ROWS:
            capital_of.setdefault(r["output"], []).append((v, r["id"]))
    lead_of = {}
    for r in rows:
        v = _num(r["lead_time_yr"])
        if v is not None:
            lead_of.setdefault(r["output"], []).append(v)
    out = []
    for r in rows:
        pid = r["id"]
        if r["status"] in SKIP_STATUS or pid in CO_ROWS:
            continue
        cap = _num(r["capacity_t_per_yr"])
        if not cap:
            continue  # capacity undisclosed (Lynas Texas HRE, e-VAC Sumter)
        region, output = r["region"], r["output"]
        key = r["source"].split(":")[0]
        notes = [f"research/projects_pipeline.csv {pid} ({r['status']}): {r['source']}"]
        capital = _num(r["capital_usd_per_t_per_yr"])
        if capital is None:
            sourced = capital_of.get(output, [])
            bf = read_brownfield().get(output, {})
            if sourced:
                capital = statistics.median(v for v, _ in sourced)
                notes.append(f"capital assumption: the median of the {len(sourced)} sourced {output} projects of the pipeline "
                             f"({', '.join(i for _, i in sourced)}) = {capital:.0f}")
            elif _num(bf.get("capital_usd_per_t_per_yr")):
                capital = float(bf["capital_usd_per_t_per_yr"])
                notes.append(f"capital assumption: no sourced {output} project capital in the pipeline; the sourced expansion "
                             f"capital of research/brownfield.csv {output} = {capital:.0f} ({bf['source']})")
            else:
                raise SystemExit(f"{pid}: no capital and no sourced capital for {output}")
        lead = _num(r["lead_time_yr"])
        if lead is None:
            lead = statistics.median(lead_of[output])
            notes.append(f"lead time assumption: the median of the pipeline's {output} projects = {lead:g} yr")
        ramp = _num(r["ramp_up_yr"]) or 0.0
        # Inputs, co-products and operating cost.
        if pid in INTEGRATED and not INTEGRATED[pid]:
            inputs, co, cost, cost_src = [], [], None, ""
            if _num(r["unit_cost_usd_per_t"]) is None:
                raise SystemExit(f"{pid}: an integrated project with no template needs its own unit cost")
        elif pid in INTEGRATED:
            chain = [proc_by_id[i] for i in INTEGRATED[pid]]
            inputs = []
            co = [(c, y, s) for (c, y, s) in outputs_of(chain[0])]
            # An SX-EW cathode carries its mine's co-product per t of concentrate it replaces.
            k = inputs_of(chain[1])
            per = k[0][1] if k and k[0][0] == chain[0]["output"] else 1.0
            co = [(c, y * per, s + (f" x {per:g} t of {chain[0]['output']} per t" if per != 1.0 else "")) for (c, y, s) in co]
            cost = sum(average_cost(p, utilisation) * (per if i == 0 else 1.0) for i, p in enumerate(chain))
            cost_src = (f"assumption: {INTEGRATED_SRC.get(chain[0]['id'], 'integrated')}; operating cost = the calibrated "
                        f"average costs of {' + '.join(p['id'] for p in chain)} at 2024 output (the project's own cost not published)")
        else:
            t, tsrc = template_of(proc_by_id, procs, region, output)
            inputs = list(inputs_of(t))
            co = list(outputs_of(t))
            cost = average_cost(t, utilisation)
            cost_src = (f"assumption: operating cost = the calibrated average cost of {t['id']} at 2024 output "
                        f"(the project's own cost not published)")
            if tsrc:
                notes.append(tsrc)
        uc = _num(r["unit_cost_usd_per_t"])
        if uc is not None:
            cost = uc
            cost_src = f"unit cost from {key} (research cell)"
        notes.append(cost_src)
        # Sourced co-product rows of the same plant.
        for cid, main in CO_ROWS.items():
            if main == pid and cid in by_id:
                c = by_id[cid]
                y = float(c["capacity_t_per_yr"]) / cap
                co = [x for x in co if x[0] != c["output"]]
                co.append((c["output"], y, f"[derived] research/projects_pipeline.csv {cid}: {c['capacity_t_per_yr']} t/yr {c['output']} / {cap:g} t/yr {output}"))
        decided = r["status"] in ("construction", "committed", "operating-since-2025") and r["fid"]
        if decided and online_year(r["fid"], lead) <= 2024:
            # Its own dates put it online in the base year: 2024 output already holds it.
            LEFT_OUT.append((pid, f"fid {r['fid']} + {lead:g} yr is online in 2024, in the base"))
            continue
        earliest = r["fid"] if r["fid"] else RUN_START
        if not decided:
            earliest = max(earliest, RUN_START, key=_period_key)
            notes.append(f"{'announced' if r['status'] == 'announced' else r['status']}: no final decision, decides on the economics from {earliest} (assumption)")
        out.append({
            "id": pid, "region": region, "output": output, "cap": cap, "cost": cost,
            "rise": 0.1 * cost, "capital": capital, "lead": lead, "ramp": ramp,
            "earliest": earliest, "fid": r["fid"] if decided else "",
            "kind": "pipeline",
            "src": "; ".join(notes) + "; cost rise assumption: 10% of the unit cost",
            "inputs": inputs, "outputs": co,
        })
    return out


def online_year(fid, lead_yr):
    """The calendar year of the first quarter online of a project decided in `fid`."""
    y, q = _period_key(fid)
    return (y * 4 + (q - 1) + max(1, round(lead_yr * 4))) // 4


def _period_key(p):
    y, q = p.split("Q")
    return (int(y), int(q))


def brownfield(procs, inputs_of, outputs_of, prices, stage_of, capacity):
    """Expansion steps of every incumbent process."""
    bf = read_brownfield()
    sourced = {c: r for c, r in bf.items() if _num(r["capital_usd_per_t_per_yr"])}
    # Where an output has no sourced expansion capital: the median ratio of sourced capital to
    # the 2024 price of the outputs of the same stage group, times this output's price.
    def group(c):
        return "mine" if stage_of(c) in ("mine", "concentrate") else "plant"
    ratios = {}
    for c, r in sourced.items():
        if prices.get(c):
            ratios.setdefault(group(c), []).append((float(r["capital_usd_per_t_per_yr"]) / prices[c], c))
    leads = [float(r["lead_time_yr"]) for r in bf.values() if _num(r["lead_time_yr"])]
    lead_default = statistics.median(leads)
    out = []
    for p in procs:
        c = p["output"]
        row = bf.get(c, {})
        if c in sourced:
            capital = float(row["capital_usd_per_t_per_yr"])
            csrc = f"capital: research/brownfield.csv {c}: {row['source']}"
        else:
            rs = ratios[group(c)]
            ratio = statistics.median(v for v, _ in rs)
            capital = ratio * prices[c]
            csrc = (f"capital assumption: no sourced expansion capital for {c} (research/brownfield.csv: {row.get('source', 'no row')}); "
                    f"the median ratio of sourced expansion capital to the 2024 price over {group(c)} outputs "
                    f"({', '.join(f'{n} {v:.2f}' for v, n in sorted(rs, key=lambda t: t[1]))}) = {ratio:.2f} x {prices[c]:.0f}")
        if _num(row.get("lead_time_yr")) is not None:
            lead = float(row["lead_time_yr"])
            lsrc = f"lead time research/brownfield.csv {c}"
        else:
            lead = lead_default
            lsrc = f"lead time assumption: the median of research/brownfield.csv's sourced lead times = {lead:g} yr"
        ramp = _num(row.get("ramp_up_yr"))
        if ramp is None:
            ramp, rsrc = 1.0, "ramp-up assumption 1 yr"
        else:
            rsrc = f"ramp-up research/brownfield.csv {c}"
        cap0 = capacity(p)
        for k in range(1, TRANCHES + 1):
            lo = START_AT + (k - 1) * STEP_SHARE
            out.append({
                "id": f"{p['id']}_x{k}", "region": p["region"], "output": c,
                "cap": STEP_SHARE * cap0,
                "cost": p["cost"] + p["rise"] * lo, "rise": p["rise"] * STEP_SHARE,
                "capital": capital, "lead": lead, "ramp": ramp,
                "earliest": RUN_START, "fid": "", "kind": "brownfield",
                "after": f"{p['id']}_x{k - 1}" if k > 1 else "",
                "src": f"brownfield step {k} of {p['id']}: {STEP_SRC}; {STEP_AFTER_SRC}; {STEP_COST_SRC}; {csrc}; {lsrc}; {rsrc}",
                "inputs": list(inputs_of(p)), "outputs": list(outputs_of(p)),
            })
    return out
