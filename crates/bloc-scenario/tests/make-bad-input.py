#!/usr/bin/env python3
"""Regenerates the scenario test data of bloc-scenario:

- tests/data/base/       a small scenario that loads (every table, a bloc with a floor);
- tests/data/bom-crlf/   the same files saved with a UTF-8 BOM and CRLF line ends (must load);
- tests/bad-input/<case>/ one folder per case: the base with exactly one thing broken;
- tests/bad-input/expected.txt  per case, where the error must point and a phrase it must say.

Run from anywhere: `python3 crates/bloc-scenario/tests/make-bad-input.py`. The generated files
are committed; review their diff like code. The expected line of each case is found here by
locating a marker in the broken file, so editing the base does not silently shift them.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
BAD = os.path.join(HERE, "bad-input")

BASE = {
    "scenario.toml": '''# Base scenario of the bad-input corpus: it loads as it is. Each case under
# tests/bad-input/ is a copy of it with exactly one thing wrong.
name = "bad-input-base"
description = "Three regions, two stages, one floor"
base_year = 2024
seed = 7

[time]
start = "2026Q1"
periods = 8
step = "quarter"

[tables]
regions = "regions.csv"
commodities = "commodities.csv"
processes = "processes.csv"
inputs = "inputs.csv"
demand = "demand.csv"
transport = "transport.csv"
tariffs = "tariffs.csv"

[bloc]
name = "club"
members = [{ region = "USA", from = "2026Q1" }, { region = "AUS", from = "2026Q3", to = "2027Q4" }]

[[bloc.floor]]
commodity = "ndpr_oxide"
reference = { fixed_usd_per_t = 110000 }
ratio = 1.0
levy = { lag = 1, every = 1, cap_usd_per_t = 200000 }
''',
    "regions.csv": '''id,name
USA,United States
CHN,China
AUS,Australia
''',
    "commodities.csv": '''id,family,stage,name
re_concentrate,rare_earths,concentrate,Mixed rare-earth concentrate (t REO)
ndpr_oxide,rare_earths,separated,NdPr oxide
''',
    "processes.csv": '''id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,cost_rise_usd_per_t,online,offline,source,note
chn_mine,CHN,re_concentrate,300000,2000,,,,assumption: illustrative,
chn_separation,CHN,ndpr_oxide,60000,15000,150,,,assumption: illustrative,
usa_mine,USA,re_concentrate,40000,4000,,2026Q3,,assumption: illustrative,
usa_separation,USA,ndpr_oxide,5000,40000,,2027Q1,,assumption: illustrative,
aus_mine,AUS,re_concentrate,50000,3000,,,2027Q4,assumption: illustrative,closes
''',
    "inputs.csv": '''process,commodity,t_per_t_output,source
chn_separation,re_concentrate,4.0,assumption: illustrative
usa_separation,re_concentrate,4.0,assumption: illustrative
''',
    "demand.csv": '''region,commodity,form,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,source
USA,ndpr_oxide,isoelastic,10000,60000,-0.5,0.03,assumption: illustrative
CHN,ndpr_oxide,,50000,60000,-0.5,0.05,assumption: illustrative
AUS,ndpr_oxide,linear,1000,60000,-0.8,0.0,assumption: illustrative
''',
    "transport.csv": '''origin,destination,commodity,cost_usd_per_t,source
*,*,*,200,assumption: illustrative
AUS,USA,*,150,assumption: illustrative
''',
    "tariffs.csv": '''importer,exporter,commodity,ad_valorem,specific_usd_per_t,source
USA,CHN,ndpr_oxide,0.25,0,assumption: illustrative
''',
}


def sub(file, old, new, count=1):
    """An edit: replace `old` by `new` in `file` (which must contain it)."""

    def edit(files):
        assert old in files[file], (file, old)
        files[file] = files[file].replace(old, new, count)

    return edit


def append(file, text):
    def edit(files):
        files[file] = files[file] + text

    return edit


def put(file, content):
    def edit(files):
        files[file] = content

    return edit


def drop(file):
    def edit(files):
        del files[file]

    return edit


# (name, edits, file the error names, line (int) or a marker whose line it is, field or "-",
#  phrase the message must contain)
PROJECTS = """id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,cost_rise_usd_per_t,capital_usd_per_t_per_yr,lead_time_yr,ramp_up_yr,earliest_fid,fid,life_yr,source
usa_new_mine,USA,re_concentrate,20000,3500,,8000,3,1,2026Q1,,,assumption: illustrative
aus_refinery,AUS,ndpr_oxide,3000,30000,,150000,2.5,1,2026Q3,2025Q1,25,assumption: illustrative
"""

# The same two projects with an `after` column: {0} and {1} are its cells.
PROJECTS_AFTER = """id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,cost_rise_usd_per_t,capital_usd_per_t_per_yr,lead_time_yr,ramp_up_yr,earliest_fid,fid,life_yr,after,source
usa_new_mine,USA,re_concentrate,20000,3500,,8000,3,1,2026Q1,,,{0},assumption: illustrative
aus_refinery,AUS,ndpr_oxide,3000,30000,,150000,2.5,1,2026Q3,2025Q1,25,{1},assumption: illustrative
"""


def with_outputs(text):
    """Edits that add an outputs (co-products) table and its key to the base."""
    return [sub("scenario.toml", 'tariffs = "tariffs.csv"\n', 'tariffs = "tariffs.csv"\noutputs = "outputs.csv"\n'),
            put("outputs.csv", "process,commodity,t_per_t_output,source\n" + text)]


def with_projects(text=PROJECTS):
    """Edits that add a projects table (and its key) to the base."""
    return [sub("scenario.toml", 'tariffs = "tariffs.csv"\n', 'tariffs = "tariffs.csv"\nprojects = "projects.csv"\n'),
            put("projects.csv", text)]


CASES = [
    # --- ids and references
    ("unknown-region-in-processes", [sub("processes.csv", "usa_mine,USA,", "usa_mine,USB,")],
     "processes.csv", "usa_mine,USB", "region", "region `USB` does not exist"),
    ("unknown-commodity-in-demand", [sub("demand.csv", "CHN,ndpr_oxide", "CHN,ndpr_oxid")],
     "demand.csv", "CHN,ndpr_oxid", "commodity", "did you mean `ndpr_oxide`?"),
    ("duplicate-region-id", [append("regions.csv", "USA,United States again\n")],
     "regions.csv", "USA,United States again", "id", "already defined on line 2"),
    ("duplicate-commodity-id", [append("commodities.csv", "ndpr_oxide,rare_earths,metal,Again\n")],
     "commodities.csv", "Again", "id", "already defined on line 3"),
    ("duplicate-process-id", [sub("processes.csv", "aus_mine,AUS", "usa_mine,AUS")],
     "processes.csv", "usa_mine,AUS", "id", "already defined on line 4"),
    ("bad-id-syntax", [sub("regions.csv", "AUS,Australia", "AU S,Australia"), sub("processes.csv", "aus_mine,AUS", "aus_mine,CHN"),
                       sub("demand.csv", "AUS,ndpr_oxide", "CHN,re_concentrate"),
                       sub("transport.csv", "AUS,USA", "CHN,USA"),
                       sub("scenario.toml", '{ region = "AUS", from = "2026Q3", to = "2027Q4" }', '{ region = "CHN", from = "2026Q3", to = "2027Q4" }')],
     "regions.csv", "AU S", "id", "use only letters, digits, `_` and `-`"),
    ("unknown-process-in-inputs", [append("inputs.csv", "aus_separation,re_concentrate,4.0,x\n")],
     "inputs.csv", "aus_separation", "process", "process `aus_separation` does not exist"),
    ("unknown-region-in-transport", [append("transport.csv", "EU,USA,*,150,x\n")],
     "transport.csv", "EU,USA", "origin", "or write `*` for any region"),
    ("unknown-commodity-in-tariffs", [append("tariffs.csv", "USA,CHN,lithium,0.1,0,x\n")],
     "tariffs.csv", "lithium", "commodity", "commodity `lithium` does not exist"),
    # --- numbers
    ("negative-capacity", [sub("processes.csv", "usa_mine,USA,re_concentrate,40000", "usa_mine,USA,re_concentrate,-40000")],
     "processes.csv", "-40000", "capacity_t_per_yr", "must be zero or more"),
    ("non-numeric-cost", [sub("processes.csv", "60000,15000", "60000,cheap")],
     "processes.csv", "cheap", "unit_cost_usd_per_t", "`cheap` is not a number"),
    ("nan-capacity", [sub("processes.csv", "300000,2000", "NaN,2000")],
     "processes.csv", "NaN", "capacity_t_per_yr", "NaN and infinities are not numbers"),
    ("inf-price", [sub("demand.csv", "10000,60000", "10000,inf")],
     "demand.csv", "inf", "price_usd_per_t", "NaN and infinities are not numbers"),
    ("empty-required-number", [sub("processes.csv", "5000,40000,,2027Q1", "5000,,,2027Q1")],
     "processes.csv", "usa_separation", "unit_cost_usd_per_t", "the cell is empty"),
    ("elasticity-zero", [sub("demand.csv", "50000,60000,-0.5", "50000,60000,0")],
     "demand.csv", "CHN,", "elasticity", "must be negative"),
    ("elasticity-positive", [sub("demand.csv", "10000,60000,-0.5", "10000,60000,0.5")],
     "demand.csv", "USA,", "elasticity", "must be negative"),
    ("price-zero", [sub("demand.csv", "1000,60000", "1000,0")],
     "demand.csv", "AUS,", "price_usd_per_t", "must be greater than 0"),
    ("growth-minus-one", [sub("demand.csv", "-0.5,0.03", "-0.5,-1")],
     "demand.csv", "USA,", "growth_per_yr", "must be greater than -1"),
    ("linear-zero-quantity", [sub("demand.csv", "linear,1000", "linear,0")],
     "demand.csv", "AUS,", "quantity_t_per_yr", "linear demand curve needs a reference quantity"),
    ("negative-transport-cost", [sub("transport.csv", "AUS,USA,*,150", "AUS,USA,*,-150")],
     "transport.csv", "-150", "cost_usd_per_t", "must be zero or more"),
    ("negative-tariff", [sub("tariffs.csv", "0.25,0", "-0.25,0")],
     "tariffs.csv", "-0.25", "ad_valorem", "must be zero or more"),
    ("zero-input-coefficient", [sub("inputs.csv", "usa_separation,re_concentrate,4.0", "usa_separation,re_concentrate,0")],
     "inputs.csv", "usa_separation", "t_per_t_output", "must be greater than 0"),
    # --- over time: projects, [investment], [closures], [[demand_growth]], capital grants, baseline
    ("project-id-is-a-process", with_projects(PROJECTS.replace("usa_new_mine,", "usa_mine,")),
     "projects.csv", "usa_mine,", "id", "is already a process in processes.csv"),
    ("duplicate-project-id", with_projects(PROJECTS.replace("aus_refinery,", "usa_new_mine,")),
     "projects.csv", "usa_new_mine,AUS", "id", "already defined"),
    ("project-unknown-region", with_projects(PROJECTS.replace("aus_refinery,AUS", "aus_refinery,AUZ")),
     "projects.csv", "AUZ", "region", "region `AUZ` does not exist"),
    ("project-negative-capital", with_projects(PROJECTS.replace(",8000,", ",-8000,")),
     "projects.csv", "-8000", "capital_usd_per_t_per_yr", "must be zero or more"),
    ("project-fid-without-quarter", with_projects(PROJECTS.replace(",2026Q3,", ",2026,")),
     "projects.csv", "aus_refinery", "earliest_fid", "has no quarter"),
    ("project-empty-earliest-fid", with_projects(PROJECTS.replace(",2026Q1,,", ",,,")),
     "projects.csv", "usa_new_mine", "earliest_fid", "the cell is empty"),
    ("project-zero-life", with_projects(PROJECTS.replace(",2025Q1,25,", ",2025Q1,0,")),
     "projects.csv", "aus_refinery", "life_yr", "must be greater than 0"),
    ("project-after-itself", with_projects(PROJECTS_AFTER.format("usa_new_mine", "")),
     "projects.csv", ",usa_new_mine,assumption", "after", "cannot wait for itself"),
    ("project-after-a-process", with_projects(PROJECTS_AFTER.format("usa_mine", "")),
     "projects.csv", ",usa_mine,assumption", "after", "already in service"),
    ("project-after-unknown", with_projects(PROJECTS_AFTER.format("", "no_such_project")),
     "projects.csv", "no_such_project", "after", "is not a project of this table"),
    ("project-after-cycle", with_projects(PROJECTS_AFTER.format("aus_refinery", "usa_new_mine")),
     "projects.csv", ",aus_refinery,assumption", "after", "break the cycle"),
    ("co-product-is-main-output", with_outputs("chn_separation,ndpr_oxide,0.5,assumption: illustrative\n"),
     "outputs.csv", 2, "commodity", "is the main output of process `chn_separation`"),
    ("co-product-negative-yield", with_outputs("chn_separation,re_concentrate,-0.5,assumption: illustrative\n"),
     "outputs.csv", 2, "t_per_t_output", "-0.5"),
    ("co-product-unknown-commodity", with_outputs("chn_mine,la_oxide,2.3,assumption: illustrative\n"),
     "outputs.csv", 2, "commodity", "commodity `la_oxide` does not exist"),
    ("co-product-unknown-process", with_outputs("chn_sep,re_concentrate,0.5,assumption: illustrative\n"),
     "outputs.csv", 2, "process", "process `chn_sep` does not exist"),
    ("origin-unknown-tracked-region", [append("scenario.toml", '\n[origin]\ntrack = ["CHX"]\n')],
     "scenario.toml", "track = [", "origin.track[0]", "region `CHX` does not exist"),
    ("origin-content-stages-empty", [append("scenario.toml", '\n[origin]\ntrack = ["USA"]\nprocessing = "content"\ncontent_stages = []\n')],
     "scenario.toml", "content_stages", "origin.content_stages", "names no stage"),
    ("origin-content-without-track", [append("scenario.toml", '\n[origin]\nprocessing = "content"\n')],
     "scenario.toml", "processing", "origin.processing", "no origin is tracked"),
    ("origin-unknown-rule", [append("scenario.toml", '\n[origin]\nrule = "shipper"\n')],
     "scenario.toml", "rule = \"shipper\"", "origin.rule", "is not a rule of origin"),
    ("strategy-instrument-without-bounds", [append("scenario.toml", '\n[[strategy]]\nplayer = "CHN"\n\n[[strategy.instrument]]\nkind = "tax"\ncommodities = ["ndpr_oxide"]\ndestinations = ["members"]\n')],
     "scenario.toml", "[[strategy.instrument]]", "strategy[0].instrument[0]", "an instrument needs bounds"),
    ("strategy-player-exports-nothing", [append("scenario.toml", '\n[[strategy]]\nplayer = "AUS"\n\n[[strategy.instrument]]\nkind = "tax"\ncommodities = ["ndpr_oxide"]\ndestinations = ["members"]\nmin = 0\nmax = 1\n')],
     "scenario.toml", 'commodities = ["ndpr_oxide"]', "strategy[0].instrument[0].commodities", "`AUS` makes none of these commodities"),
    ("strategy-empty-destinations", [append("scenario.toml", '\n[[strategy]]\nplayer = "CHN"\n\n[[strategy.instrument]]\nkind = "quota"\ncommodities = ["ndpr_oxide"]\ndestinations = []\nmin = 0\nmax = 1000\n')],
     "scenario.toml", "destinations = []", "strategy[0].instrument[0].destinations", "the list is empty"),
    ("strategy-unknown-objective", [append("scenario.toml", '\n[[strategy]]\nplayer = "CHN"\nobjective = "profit"\n\n[[strategy.instrument]]\nkind = "tax"\ncommodities = ["ndpr_oxide"]\ndestinations = ["members"]\nmin = 0\nmax = 1\n')],
     "scenario.toml", 'objective = "profit"', "strategy[0].objective", "`profit` is not an objective"),
    ("discount-rate-out-of-range", [append("scenario.toml", "\n[investment]\ndiscount_rate = 1.5\n")],
     "scenario.toml", "discount_rate", "investment.discount_rate", "discount_rate = 1.5 is out of range"),
    ("unknown-expected-price-rule", [append("scenario.toml", '\n[investment]\nexpected_price = "perfect"\n')],
     "scenario.toml", "expected_price", "investment.expected_price", "is not an expected-price rule"),
    ("foresight-out-of-range", [append("scenario.toml", "\n[investment]\nforesight_yr = 12\n")],
     "scenario.toml", "foresight_yr", "investment.foresight_yr", "foresight_yr = 12 is out of range"),
    ("closures-after-zero", [append("scenario.toml", "\n[closures]\nafter_periods = 0\n")],
     "scenario.toml", "after_periods", "closures.after_periods", "after_periods = 0 is out of range"),
    ("demand-growth-unknown-commodity", [append("scenario.toml", '\n[[demand_growth]]\nregions = ["USA"]\ncommodities = ["ndpr_oxyde"]\nper_yr = 0.1\n')],
     "scenario.toml", "ndpr_oxyde", "demand_growth[0].commodities[0]", "did you mean `ndpr_oxide`?"),
    ("capital-grant-on-existing-process", with_projects() + [append("scenario.toml", '\n[[bloc.capital_grant]]\nprojects = ["usa_mine"]\nshare = 0.3\n')],
     "scenario.toml", '"usa_mine"', "bloc.capital_grant[0].projects[0]", "is an existing process, not a project"),
    ("baseline-missing", [sub("scenario.toml", "seed = 7\n", 'seed = 7\nbaseline = "no-such-baseline.toml"\n')],
     "scenario.toml", "baseline", "baseline", "cannot find the baseline scenario"),
    ("standard-unknown-treatment", [append("scenario.toml", '\n[[bloc.standard]]\ncommodities = ["*"]\ncertified = ["USA"]\nuncertified = "banned"\n')],
     "scenario.toml", "banned", "bloc.standard[0].uncertified", "`banned` is not a treatment"),
    ("standard-compliance-without-cost", [append("scenario.toml", '\n[[bloc.standard]]\ncommodities = ["*"]\ncertified = ["USA"]\nuncertified = "compliance_cost"\n')],
     "scenario.toml", "[[bloc.standard]]", "bloc.standard[0]", "needs `compliance_usd_per_t`"),
    ("standard-unknown-certified-region", [append("scenario.toml", '\n[[bloc.standard]]\ncommodities = ["*"]\ncertified = ["USB"]\nuncertified = "non_member"\n')],
     "scenario.toml", "USB", "bloc.standard[0].certified[0]", "region `USB` does not exist"),
    # --- the process graph
    ("inputs-on-mine", [sub("commodities.csv", "rare_earths,concentrate", "rare_earths,mine"),
                        append("inputs.csv", "usa_mine,ndpr_oxide,0.1,x\n")],
     "inputs.csv", "usa_mine", "process", "a mine has no inputs"),
    ("input-is-own-output", [append("inputs.csv", "chn_separation,ndpr_oxide,0.1,x\n")],
     "inputs.csv", "chn_separation,ndpr_oxide", "commodity", "would use its own output"),
    ("duplicate-input-row", [append("inputs.csv", "chn_separation,re_concentrate,3.5,x\n")],
     "inputs.csv", "3.5", "commodity", "already has input `re_concentrate` on line 2"),
    ("duplicate-demand-row", [append("demand.csv", "USA,ndpr_oxide,,5,60000,-0.5,0,x\n")],
     "demand.csv", "USA,ndpr_oxide,,5", "region", "already given on line 2"),
    # --- wildcard rules
    ("ambiguous-wildcard-transport", [append("transport.csv", "USA,*,*,120,x\n*,CHN,*,130,x\n")],
     "transport.csv", "*,CHN,*,130", "origin", "both apply to origin `USA`, destination `CHN`"),
    ("ambiguous-wildcard-tariffs", [append("tariffs.csv", "CHN,*,re_concentrate,0.1,0,x\nCHN,AUS,*,0.2,0,x\n")],
     "tariffs.csv", "CHN,AUS,*", "exporter", "equally specific"),
    ("duplicate-transport-rule", [append("transport.csv", "AUS,USA,*,160,x\n")],
     "transport.csv", "AUS,USA,*,160", "origin", "already given on line 3"),
    # --- columns and files
    ("unknown-column", [sub("processes.csv", "source,note", "source,capacity")],
     "processes.csv", 1, "capacity", "unknown column `capacity`"),
    ("misspelt-column", [sub("demand.csv", ",elasticity,", ",elasticty,")],
     "demand.csv", 1, "elasticty", "did you mean `elasticity`?"),
    ("missing-required-column", [put("demand.csv", BASE["demand.csv"].replace(",source", "").replace(",assumption: illustrative", ""))],
     "demand.csv", 1, "source", "the required column `source` is missing"),
    ("empty-required-table", [put("regions.csv", "id,name\n")],
     "regions.csv", 1, "-", "has a header but no rows"),
    ("empty-file", [put("commodities.csv", "")],
     "commodities.csv", 1, "-", "the file is empty"),
    ("row-width", [sub("regions.csv", "CHN,China", "CHN,China,Asia")],
     "regions.csv", "CHN", "-", "this row has 3 cells but the header has 2 columns"),
    ("invalid-utf8", [sub("regions.csv", "Australia", "Austr\udcffalia")],
     "regions.csv", "AUS", "name", "not valid UTF-8"),
    ("missing-table-file", [sub("scenario.toml", 'regions = "regions.csv"', 'regions = "no-such-regions.csv"')],
     "scenario.toml", "no-such-regions.csv", "tables.regions", "cannot read"),
    # --- dates
    ("bad-stage", [sub("commodities.csv", "rare_earths,separated", "rare_earths,refinery")],
     "commodities.csv", "refinery", "stage", "write one of mine, concentrate, refined, separated, metal, material, component"),
    ("bad-form", [sub("demand.csv", "linear", "logistic")],
     "demand.csv", "logistic", "form", "`logistic` is not a demand form"),
    ("date-outside-horizon", [sub("processes.csv", ",2026Q3,", ",2031Q1,")],
     "processes.csv", "2031Q1", "online", "lies outside the horizon 2026Q1–2027Q4 (8 periods)"),
    ("offline-after-end", [sub("processes.csv", ",2027Q4,", ",2028Q2,")],
     "processes.csv", "2028Q2", "offline", "or 2028Q1 for the end of the run"),
    ("online-after-offline", [sub("processes.csv", "3000,,,2027Q4", "3000,,2027Q4,2027Q2")],
     "processes.csv", "aus_mine", "offline", "must come online before it goes offline"),
    ("bad-period-label", [sub("processes.csv", ",2027Q1,", ",2027Q5,")],
     "processes.csv", "2027Q5", "online", "the quarter must be Q1, Q2, Q3 or Q4"),
    ("year-in-quarterly-scenario", [sub("processes.csv", ",2027Q1,", ",2027,")],
     "processes.csv", "usa_separation", "online", "write `2027Q1`"),
    # --- the scenario TOML
    ("unknown-toml-key", [sub("scenario.toml", "periods = 8\n", "periods = 8\nlength = 8\n")],
     "scenario.toml", "length = 8", "time.length", "unknown key `length`"),
    ("unknown-top-level-key", [sub("scenario.toml", "seed = 7\n", "seed = 7\nsolver = \"clarabel\"\n")],
     "scenario.toml", "solver", "solver", "unknown key `solver`"),
    ("unknown-table-key", [sub("scenario.toml", 'tariffs = "tariffs.csv"\n', 'tariffs = "tariffs.csv"\nstockpiles = "stockpiles.csv"\n')],
     "scenario.toml", "stockpiles", "tables.stockpiles", "unknown key `stockpiles`"),
    ("missing-name", [sub("scenario.toml", 'name = "bad-input-base"\n', "")],
     "scenario.toml", 1, "name", "the required key `name` is missing"),
    ("missing-required-table-key", [sub("scenario.toml", 'demand = "demand.csv"\n', "")],
     "scenario.toml", "[tables]", "tables.demand", "the required key `demand` is missing"),
    ("wrong-toml-type", [sub("scenario.toml", "periods = 8", 'periods = "eight"')],
     "scenario.toml", "periods", "time.periods", "write a whole number"),
    ("periods-zero", [sub("scenario.toml", "periods = 8", "periods = 0")],
     "scenario.toml", "periods", "time.periods", "write a whole number from 1"),
    ("bad-step", [sub("scenario.toml", 'step = "quarter"', 'step = "month"')],
     "scenario.toml", "step", "time.step", "`month` is not a step"),
    ("bad-start", [sub("scenario.toml", 'start = "2026Q1"', 'start = "Q1-2026"')],
     "scenario.toml", "start", "time.start", "write a four-digit year"),
    ("toml-syntax-error", [sub("scenario.toml", "seed = 7", "seed = ")],
     "scenario.toml", "seed", "-", "not valid TOML"),
    ("toml-nan", [sub("scenario.toml", "ratio = 1.0", "ratio = nan")],
     "scenario.toml", "ratio", "bloc.floor[0].ratio", "write a finite number"),
    ("extends-cycle", [sub("scenario.toml", "# Base scenario", 'extends = "other.toml"\n# Base scenario'),
                       put("other.toml", 'extends = "scenario.toml"\nname = "other"\n')],
     "other.toml", 1, "extends", "`extends` makes a cycle"),
    ("extends-missing-file", [sub("scenario.toml", "# Base scenario", 'extends = "base.toml"\n# Base scenario')],
     "scenario.toml", 1, "extends", "cannot read"),
    ("error-in-parent-file", [put("base.toml", BASE["scenario.toml"].replace('region = "USA"', 'region = "EU"')),
                              put("scenario.toml", 'extends = "base.toml"\nname = "child"\n')],
     "base.toml", 'region = "EU"', "bloc.members[0].region", "region `EU` does not exist"),
    # --- the bloc
    ("unknown-bloc-key", [sub("scenario.toml", 'name = "club"\n', 'name = "club"\nmemberz = []\n')],
     "scenario.toml", "memberz", "bloc.memberz", "unknown key `memberz`"),
    ("member-not-a-region", [sub("scenario.toml", 'region = "AUS"', 'region = "Australia"')],
     "scenario.toml", "Australia", "bloc.members[1].region", "region `Australia` does not exist"),
    ("member-from-outside-horizon", [sub("scenario.toml", 'from = "2026Q1" }', 'from = "2025Q4" }')],
     "scenario.toml", "2025Q4", "bloc.members[0].from", "lies outside the horizon"),
    ("member-overlap", [sub("scenario.toml", 'region = "AUS"', 'region = "USA"')],
     "scenario.toml", 'to = "2027Q4"', "bloc.members[1].region", "already a member"),
    ("floor-unknown-commodity", [sub("scenario.toml", 'commodity = "ndpr_oxide"', 'commodity = "lithium"')],
     "scenario.toml", "lithium", "bloc.floor[0].commodity", "commodity `lithium` does not exist"),
    ("floor-from-after-to", [sub("scenario.toml", "ratio = 1.0\n", 'ratio = 1.0\nfrom = "2027Q3"\nto = "2027Q1"\n')],
     "scenario.toml", 'to = "2027Q1"', "bloc.floor[0].to", "is not after"),
    ("negative-levy-cap", [sub("scenario.toml", "cap_usd_per_t = 200000", "cap_usd_per_t = -1")],
     "scenario.toml", "cap_usd_per_t", "bloc.floor[0].levy.cap_usd_per_t", "is negative"),
    ("negative-levy-lag", [sub("scenario.toml", "lag = 1", "lag = -1")],
     "scenario.toml", "lag = -1", "bloc.floor[0].levy.lag", "is negative"),
    ("levy-every-zero", [sub("scenario.toml", "every = 1", "every = 0")],
     "scenario.toml", "every = 0", "bloc.floor[0].levy.every", "must be 1 or more"),
    ("unknown-levy-key", [sub("scenario.toml", "every = 1,", "every = 1, delay = 2,")],
     "scenario.toml", "delay", "bloc.floor[0].levy.delay", "unknown key `delay`"),
    ("ratio-zero", [sub("scenario.toml", "ratio = 1.0", "ratio = 0")],
     "scenario.toml", "ratio", "bloc.floor[0].ratio", "must be greater than 0"),
    ("ratio-negative", [sub("scenario.toml", "ratio = 1.0", "ratio = -0.5")],
     "scenario.toml", "ratio", "bloc.floor[0].ratio", "must be greater than 0"),
    ("reference-without-rule", [sub("scenario.toml", "reference = { fixed_usd_per_t = 110000 }", "reference = {}")],
     "scenario.toml", "reference", "bloc.floor[0].reference", "has no rule"),
    ("floor-twice", [append("scenario.toml", '\n[[bloc.floor]]\ncommodity = "ndpr_oxide"\nreference = { fixed_usd_per_t = 90000 }\n')],
     "scenario.toml", 'commodity = "ndpr_oxide"\nreference = { fixed_usd_per_t = 90000', "bloc.floor[1].commodity", "already has a floor"),
    ("stockpile-negative-budget", [append("scenario.toml", '\n[[bloc.stockpile]]\nname = "vault"\nregion = "USA"\ncommodities = ["ndpr_oxide"]\nbudget_usd = -5\nmax_inventory_t = 5000\n')],
     "scenario.toml", "budget_usd = -5", "bloc.stockpile[0].budget_usd", "0 or more"),
    ("stockpile-unknown-region", [append("scenario.toml", '\n[[bloc.stockpile]]\nname = "vault"\nregion = "USX"\ncommodities = ["ndpr_oxide"]\nbudget_usd = 1e9\nmax_inventory_t = 5000\n')],
     "scenario.toml", 'region = "USX"', "bloc.stockpile[0].region", "USX"),
    ("stockpile-release-below-buy", [append("scenario.toml", '\n[[bloc.stockpile]]\nname = "vault"\nregion = "USA"\ncommodities = ["ndpr_oxide"]\nbudget_usd = 1e9\nmax_inventory_t = 5000\nbuy_below = { usd_per_t = 90000 }\nrelease_above = { usd_per_t = 80000 }\n')],
     "scenario.toml", "release_above = { usd_per_t = 80000 }", "bloc.stockpile[0].release_above", "must be above buy_below"),
    ("guarantee-unknown-process", [append("scenario.toml", '\n[[bloc.guarantee]]\nprocess = "usa_refinery"\nstrike_usd_per_t = 110000\nvolume_t_per_yr = 1000\n')],
     "scenario.toml", 'process = "usa_refinery"', "bloc.guarantee[0].process", "no process"),
    ("guarantee-purchase-without-stockpile", [append("scenario.toml", '\n[[bloc.guarantee]]\nprocess = "usa_separation"\nstrike_usd_per_t = 110000\nvolume_t_per_yr = 1000\nmode = "purchase"\nstockpile = "vault"\n')],
     "scenario.toml", 'stockpile = "vault"', "bloc.guarantee[0].stockpile", "no stockpile"),
    ("guarantee-upside-below-strike", [append("scenario.toml", '\n[[bloc.guarantee]]\nprocess = "usa_separation"\nstrike_usd_per_t = 110000\nvolume_t_per_yr = 1000\nupside_share = 0.3\nupside_above_usd_per_t = 90000\n')],
     "scenario.toml", "upside_above_usd_per_t = 90000", "bloc.guarantee[0].upside_above_usd_per_t", "below the strike"),
    ("guarantee-upside-share-above-one", [append("scenario.toml", '\n[[bloc.guarantee]]\nprocess = "usa_separation"\nstrike_usd_per_t = 110000\nvolume_t_per_yr = 1000\nupside_share = 1.5\n')],
     "scenario.toml", "upside_share = 1.5", "bloc.guarantee[0].upside_share", "(0, 1]"),
    ("guarantee-upside-above-without-share", [append("scenario.toml", '\n[[bloc.guarantee]]\nprocess = "usa_separation"\nstrike_usd_per_t = 110000\nvolume_t_per_yr = 1000\nupside_above_usd_per_t = 150000\n')],
     "scenario.toml", "upside_above_usd_per_t = 150000", "bloc.guarantee[0].upside_above_usd_per_t", "needs `upside_share`"),
    ("subsidy-negative", [append("scenario.toml", '\n[[bloc.subsidy]]\nprocesses = ["usa_separation"]\nusd_per_t = -100\n')],
     "scenario.toml", "usd_per_t = -100", "bloc.subsidy[0].usd_per_t", "0 or more"),
    ("framework-one-region", [append("scenario.toml", '\n[[bloc.framework]]\nregions = ["USA"]\ncommodities = ["*"]\n')],
     "scenario.toml", 'regions = ["USA"]', "bloc.framework[0].regions", "two or more"),
    ("export-control-bad-kind", [append("scenario.toml", '\n[[export_control]]\nexporter = "CHN"\ncommodities = ["ndpr_oxide"]\ndestinations = ["members"]\nkind = "embargo"\n')],
     "scenario.toml", 'kind = "embargo"', "export_control[0].kind", "not a kind"),
    ("quota-with-delay", [append("scenario.toml", '\n[[export_control]]\nexporter = "CHN"\ncommodities = ["ndpr_oxide"]\ndestinations = ["USA"]\nkind = "quota"\nquota_t_per_period = 10\ndelay_periods = 2\n')],
     "scenario.toml", "delay_periods = 2", "export_control[0].delay_periods", "does not apply"),
    ("outage-share-above-one", [append("scenario.toml", '\n[[shock.outage]]\nprocesses = ["chn_separation"]\nshare = 1.5\n')],
     "scenario.toml", "share = 1.5", "shock.outage[0].share", "(0, 1]"),
    ("uncertain-unknown-column", [append("scenario.toml", '\n[[uncertain]]\nname = "d"\ntable = "demand"\ncolumn = "quantity"\ndistribution = "uniform"\nmin = 0.8\nmax = 1.2\n')],
     "scenario.toml", 'column = "quantity"', "uncertain[0].column", "has no column `quantity`"),
    ("uncertain-selector-matches-nothing", [append("scenario.toml", '\n[[uncertain]]\nname = "d"\ntable = "demand"\ncolumn = "elasticity"\nwhere = { region = "FRA" }\ndistribution = "uniform"\nmin = 0.8\nmax = 1.2\n')],
     "scenario.toml", 'where = { region = "FRA" }', "uncertain[0].where", "no row of"),
    ("uncertain-bad-triangle", [append("scenario.toml", '\n[[uncertain]]\nname = "r"\nkey = "bloc.floor[0].ratio"\ndistribution = "triangular"\nmin = 0.8\nmode = 1.5\nmax = 1.2\n')],
     "scenario.toml", "mode = 1.5", "uncertain[0].mode", "min <= mode <= max"),
    ("shock-unknown-commodity", [append("scenario.toml", '\n[[shock.demand]]\nregions = ["*"]\ncommodities = ["ndpr_metal"]\nmultiplier = 1.2\n')],
     "scenario.toml", 'commodities = ["ndpr_metal"]', "shock.demand[0].commodities[0]", "ndpr_metal"),
]


def line_of(text, locate):
    if isinstance(locate, int):
        return locate
    i = text.find(locate)
    assert i >= 0, locate
    return text[:i].count("\n") + 1


def write(folder, files):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, text in files.items():
        # `\udcff` stands for a raw 0xFF byte (invalid UTF-8).
        data = text.encode("utf-8", "surrogateescape")
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def main():
    write(os.path.join(DATA, "base"), BASE)
    write(
        os.path.join(DATA, "bom-crlf"),
        {k: "\ufeff" + v.replace("\n", "\r\n") for k, v in BASE.items()},
    )
    shutil.rmtree(BAD, ignore_errors=True)
    os.makedirs(BAD)
    lines = [
        "# The bad-input corpus: one case per folder, each a complete scenario (its `scenario.toml`",
        "# and tables) with exactly one thing wrong. Loading the folder must fail with an error that",
        "# names the file and line below and contains the phrase. Generated, with the folders, by",
        "# tests/make-bad-input.py; do not edit by hand.",
        "#",
        "# Format: case-name | file-name | line | field | phrase",
        "#   file-name: the last component of the file the error names;",
        "#   line: 1-based (in a CSV the header is line 1);",
        "#   field: the column or dotted TOML key (`bloc.floor[0].ratio`), or `-` for none;",
        "#   phrase: text the message must contain.",
        "",
    ]
    names = set()
    for name, edits, file, locate, field, phrase in CASES:
        assert name not in names, name
        names.add(name)
        files = dict(BASE)
        for e in edits:
            e(files)
        write(os.path.join(BAD, name), files)
        line = line_of(files[file], locate)
        lines.append(f"{name} | {file} | {line} | {field} | {phrase}")
    with open(os.path.join(BAD, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} cases")


if __name__ == "__main__":
    main()
