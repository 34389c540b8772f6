#!/usr/bin/env python3
"""Builds the CSV tables of `scenarios/world/` from the sourced figures below.

Every figure carries the key of `../shared/data/sources.md` it comes from (S01, S02, ...), a
`[derived]` formula on sourced inputs, or `assumption: <reason>`. The tables are written with
those strings in their `source` column.

Calibration (issue 6): every base-year (2024) process runs at its sourced output. Capacity is
output / UTILISATION; the marginal cost rises linearly across the block by `cost_rise` (the
process's margin at the published prices), and the unit cost is set so that the marginal cost
at the sourced output equals the output price less the inputs' value. Demand at the published
price equals output less the input use of the next stage. Transport makes regional prices
differ, so the script then runs `bloc` on `calibration-2024.toml` and shifts each unit cost
until every process's output meets its sourced figure (and scales demand so each published
price is met), `--rounds` times. Usage (from the repository root):

    python3 tools/world/build_world.py --bloc target/release/bloc [--rounds 6]
"""

import argparse
import io
import csv
import os
import subprocess
import sys
import tempfile

import supply

HERE = os.path.dirname(os.path.abspath(__file__))
WORLD = os.path.normpath(os.path.join(HERE, "..", "..", "scenarios", "world"))

UTILISATION = 0.9
# Share of each correction applied per calibration round (full steps overshoot: prices move too).
DAMP = 0.5
U_SRC = "capacity = sourced 2024 output / 0.9 (assumption: 10% idle capacity; plant-level capacity not sourced)"

REGIONS = [
    ("USA", "United States"), ("CAN", "Canada"), ("MEX", "Mexico"), ("ARG", "Argentina"),
    ("CHL", "Chile"), ("PER", "Peru"), ("BRA", "Brazil"), ("AUS", "Australia"), ("JPN", "Japan"),
    ("KOR", "Korea, Rep."), ("IND", "India"), ("EU", "European Union"), ("GBR", "United Kingdom"),
    ("SAU", "Saudi Arabia"), ("THA", "Thailand"), ("IDN", "Indonesia"), ("PHL", "Philippines"),
    ("MYS", "Malaysia"), ("VNM", "Vietnam"), ("MMR", "Myanmar (Burma)"), ("COD", "Congo (Kinshasa)"),
    ("ZWE", "Zimbabwe"), ("ZAF", "South Africa"), ("RUS", "Russia"), ("CHN", "China"),
    ("ROW", "Rest of world"),
]

# (id, family, stage, name)
COMMODITIES = [
    ("re_concentrate", "rare_earths", "concentrate", "Mineral rare-earth concentrate: bastnaesite, monazite (t REO)"),
    ("re_ionic", "rare_earths", "concentrate", "Ionic-clay mixed rare-earth carbonate (t REO)"),
    ("lace_oxide", "rare_earths", "separated", "Lanthanum and cerium oxides (t REO)"),
    ("ndpr_oxide", "rare_earths", "separated", "NdPr oxide (t oxide)"),
    ("dy_oxide", "rare_earths", "separated", "Dysprosium oxide (t oxide)"),
    ("tb_oxide", "rare_earths", "separated", "Terbium oxide (t oxide)"),
    ("ndpr_metal", "rare_earths", "metal", "NdPr metal (t metal)"),
    ("ndfeb_magnet", "rare_earths", "component", "Sintered NdFeB magnets (t)"),
    ("li_spodumene", "lithium", "concentrate", "Hard-rock lithium concentrate (t Li content)"),
    ("li_brine", "lithium", "mine", "Lithium in brine (t Li content)"),
    ("li_carbonate", "lithium", "refined", "Lithium carbonate, battery grade (t Li content)"),
    ("li_hydroxide", "lithium", "refined", "Lithium hydroxide, battery grade (t Li content)"),
    ("graphite_flake", "graphite", "concentrate", "Natural flake graphite (t)"),
    ("graphite_battery", "graphite", "material", "Battery-grade (spherical/anode) graphite (t)"),
    ("co_in_leach", "cobalt", "mine", "Cobalt in copper-cobalt and laterite (HPAL) leach solution, before hydroxide precipitation (t Co; not shipped)"),
    ("co_intermediate", "cobalt", "concentrate", "Cobalt in mine output: hydroxide, concentrate (t Co)"),
    ("co_refined", "cobalt", "refined", "Refined cobalt: metal and chemicals (t Co)"),
    ("ni_ore", "nickel", "mine", "Nickel in mine output (t Ni)"),
    ("ni_refined", "nickel", "refined", "Refined nickel incl. NPI and matte products (t Ni)"),
    ("cu_concentrate", "copper", "concentrate", "Copper in mine output (t Cu)"),
    ("cu_refined", "copper", "refined", "Refined copper cathode (t Cu)"),
    ("gallium", "gallium", "refined", "Primary low-purity gallium (t Ga)"),
    ("ge_dioxide", "germanium", "refined", "Germanium dioxide (t GeO2)"),
    ("ge_metal", "germanium", "metal", "Germanium metal 99.999% (t Ge)"),
    ("w_concentrate", "tungsten", "concentrate", "Tungsten concentrate (t W)"),
    ("w_apt", "tungsten", "refined", "Ammonium paratungstate (t W)"),
    ("sb_ore", "antimony", "concentrate", "Antimony in mine output (t Sb)"),
    ("sb_metal", "antimony", "metal", "Antimony metal 99.65% (t Sb)"),
]

LB = 453.59237  # lb per t is 2204.62; USD/lb * 2204.62 = USD/t
PER_LB = 2204.62262
LI_PER_LCE = 1 / 5.323  # sources §7.2: Li -> Li2CO3 x5.323
SC6_LI = 0.06 / 2.153  # t Li per t SC6: 6.0% Li2O, Li -> Li2O x2.153 (§7.2) [derived]

# --- Rare-earth separation by deposit type (issue 19; research in research/co_products.md) ---
# A separation plant's capacity and costs are per t of its main output; its other oxides are
# co-products (outputs.csv). The oxide distribution of each deposit type, per t REO of feed:
MP_NDPR, MP_LACE, MP_OTHER = 0.157, 0.323 + 0.502, 0.018
MP_SRC = "MP Materials 10-K 2021 (0001801368-22-000010, sources §7.2): Mountain Pass TREO distribution Ce 50.2%, La 32.3%, NdPr 15.7%, SEG+ 1.8%"
LACE_PRICE = (0.323 * 970 + 0.502 * 1210) / MP_LACE
DY_OX, TB_OX = 2600, 500  # world Dy and Tb oxide 2024 (assumptions, see PRODUCTION history and SOURCES.md gaps)
CN_IONIC = 2 * 9575
CN_IONIC_SRC = "assumption: China's ionic-clay (medium-heavy) output = its medium/heavy mining quota, 2 x the 9,575 t first batch of 2019 (globaltimes.cn/content/1142893.shtml; later medium/heavy quotas not found, taken as unchanged); the rest of China's 270,000 t (S01) is mineral concentrate"
MMR_IONIC = 27000
IONIC_TOTAL = CN_IONIC + MMR_IONIC
IONIC_MAG = 12.1 / 27.0
IONIC_DY = DY_OX / IONIC_TOTAL
IONIC_TB = TB_OX / IONIC_TOTAL
IONIC_NDPR = IONIC_MAG - IONIC_DY - IONIC_TB
IONIC_LACE = (1 - IONIC_MAG) / 2
IONIC_SRC = (f"[derived] ionic-clay feed: magnet REE (Nd, Pr, Dy, Tb) {IONIC_MAG:.3f} of REO = IEA mining 2024 Myanmar magnet REE 12.1 kt (S02, §2.1) / USGS Myanmar 27,000 t REO (S01); "
             f"Dy {IONIC_DY:.4f} and Tb {IONIC_TB:.4f} = the world's Dy and Tb oxide (2,600 t, 500 t; assumptions, SOURCES.md) / ionic feed {IONIC_TOTAL} t (China {CN_IONIC} + Myanmar {MMR_IONIC}); "
             f"NdPr {IONIC_NDPR:.3f} = the rest of the magnet REE; heavy REE all from ionic clays (the issue's premise; rawmaterials.net 21 Jul 2023: China imports mainly heavy REE such as Dy, Tb from Myanmar)")
IONIC_LACE_SRC = f"assumption: La+Ce {IONIC_LACE:.3f} of ionic-clay REO, half of the non-magnet remainder (the other half Y, Sm, Gd, ... not modelled); no ionic-clay La/Ce assay found (research/co_products.md)"
LYNAS_NDPR = 3.2 / 13.0
LYNAS_SRC = f"[derived] Mt Weld feed: magnet REE {LYNAS_NDPR:.3f} of REO = IEA mining 2024 Australia magnet REE 3.2 kt (S02, §2.1) / USGS MCS 2025 Australia 13,000 t REO (S03, §1.1); Dy/Tb not separated in 2024 (first Lynas Dy oxide May 2025, §5.4)"
LYNAS_LACE = (2722 - 1677) / 1677
LYNAS_LACE_SRC = "[derived] Lynas Sep-2024 quarter: 2,722 t REO produced of which 1,677 t NdPr (australianmining.com.au/rare-earths-on-the-up-for-lynas, 30 Oct 2024): (2,722 - 1,677) / 1,677 t other REO (La, Ce, SEG) per t NdPr"
# China's light separation: the NdPr left once ionic clays, Dy and Tb are counted, from the
# mineral concentrate that reaches China (the balance is written in `separation`).
RE_OTHER_USE = 12000
RE_OTHER_USE_SRC = "assumption: ~12 kt REO of mineral concentrate to other uses and stocks (as before issue 19: world concentrate 384 kt vs magnet-oxide output 80.8 kt, S01, S02)"


def separation():
    """Deposit type -> feed, t feed per t main output, main output, [(co-product, t per t, source)], source."""
    light = sum(float(r[1]) for r in PRODUCTION["re_concentrate"])
    outside = {"USA": 1000 / MP_NDPR, "MYS": 3600 / LYNAS_NDPR, "ROW": 2500 / MP_NDPR}
    cn_ndpr = 73800 - DY_OX - TB_OX - IONIC_TOTAL * IONIC_NDPR
    to_china = light - sum(outside.values()) - RE_OTHER_USE
    k_cn = to_china / cn_ndpr
    bal = (f"[derived] China light separation: {to_china:.0f} t REO of mineral concentrate (world {light:.0f} t, S01, less US/Malaysia/RoW separation feed {sum(outside.values()):.0f} t and other uses {RE_OTHER_USE} t) "
           f"per {cn_ndpr:.0f} t NdPr oxide (S02 IEA China magnet REE refining 73.8 kt less Dy 2,600, Tb 500 and ionic-clay NdPr {IONIC_TOTAL * IONIC_NDPR:.0f} t) = {k_cn:.3f} t per t, i.e. NdPr {1 / k_cn:.3f} of REO "
           f"(cross-check: IEA mining China magnet REE 45.8 kt / 270 kt = 0.170, S02, S01)")
    lace_cn = k_cn * (1 - 1 / k_cn - MP_OTHER)
    return {
        "bayan_obo": ("re_concentrate", k_cn, "ndpr_oxide", [
            ("lace_oxide", lace_cn, f"[derived] La+Ce = feed less NdPr less SEG+ at Mountain Pass's 1.8% ({MP_SRC}): {k_cn:.3f} x (1 - {1 / k_cn:.3f} - 0.018); assumption: Bayan Obo-type light concentrate, its own assay not found (research/co_products.md)")], bal),
        "ionic": ("re_ionic", 1 / IONIC_NDPR, "ndpr_oxide", [
            ("dy_oxide", IONIC_DY / IONIC_NDPR, f"{IONIC_SRC}; per t NdPr = Dy / NdPr share"),
            ("tb_oxide", IONIC_TB / IONIC_NDPR, f"{IONIC_SRC}; per t NdPr = Tb / NdPr share"),
            ("lace_oxide", IONIC_LACE / IONIC_NDPR, f"{IONIC_LACE_SRC}; per t NdPr = La+Ce / NdPr share")], f"{IONIC_SRC}; t REO per t NdPr = 1 / {IONIC_NDPR:.3f}; recovery 100% (sources §8.11)"),
        "mountain_pass": ("re_concentrate", 1 / MP_NDPR, "ndpr_oxide", [
            ("lace_oxide", MP_LACE / MP_NDPR, f"[derived] {MP_SRC}: La+Ce 82.5 / NdPr 15.7")], f"[derived] {MP_SRC}: 1 / 0.157 t REO per t NdPr, recovery 100% (sources §8.11)"),
        "mt_weld": ("re_concentrate", 1 / LYNAS_NDPR, "ndpr_oxide", [
            ("lace_oxide", LYNAS_LACE, LYNAS_LACE_SRC)], f"{LYNAS_SRC}; 1 / {LYNAS_NDPR:.3f} t REO per t NdPr"),
        "ionic_heavy": ("re_ionic", 1 / IONIC_DY, "dy_oxide", [
            ("ndpr_oxide", IONIC_NDPR / IONIC_DY, f"{IONIC_SRC}; per t Dy = NdPr / Dy share"),
            ("tb_oxide", IONIC_TB / IONIC_DY, f"{IONIC_SRC}; per t Dy = Tb / Dy share"),
            ("lace_oxide", IONIC_LACE / IONIC_DY, f"{IONIC_LACE_SRC}; per t Dy")],
            f"{IONIC_SRC}; t REO per t Dy = 1 / {IONIC_DY:.4f}; assumption: heavy-RE lines outside China run on heavy-rich (ionic-clay type) feed, the Dy content of Mountain Pass and Mt Weld feed not being sourced"),
    }


# Which deposit type each separation row and project uses.
SEP_OF = {"chn_ndpr_oxide": "bayan_obo", "chn_ndpr_oxide_re_ionic": "ionic", "usa_ndpr_oxide": "mountain_pass",
          "mys_ndpr_oxide": "mt_weld", "row_ndpr_oxide": "mountain_pass",
          "mp_heavy_re_separation": "ionic_heavy", "lynas_heavy_re": "ionic_heavy", "lynas_ndpr_expansion": "mt_weld",
          "iluka_eneabba": "mountain_pass", "arafura_nolans": "mountain_pass", "energy_fuels_white_mesa": "mountain_pass",
          "solvay_la_rochelle": "mountain_pass"}
SEP_OF_SRC = {"row_ndpr_oxide": "assumption: RoW separators (Estonia, India, Japan, Vietnam) given the Mountain Pass distribution; ",
              "iluka_eneabba": "assumption: Mountain Pass distribution for a monazite feed (its assay not sourced); ",
              "arafura_nolans": "assumption: Mountain Pass distribution (Nolans assay not sourced); ",
              "energy_fuels_white_mesa": "assumption: Mountain Pass distribution for monazite feed (not sourced); ",
              "solvay_la_rochelle": "assumption: Mountain Pass distribution (feed not sourced); "}
LACE_DISPOSAL = 150
LACE_DISPOSAL_SRC = "assumption: cost of storing or landfilling unsold La/Ce oxide or carbonate (not sourced); the 'balance problem' of excess La/Ce from mining for Nd and Dy: reeproduce.eu/faq/why-recycling-of-ndfeb-magnets"

# --- Cobalt as a co-product of DRC copper and Indonesian HPAL nickel (issue 19; research in
# research/co_products.md, "Cobalt"). The mine makes copper (or nickel in MHP) and, as a
# co-product, cobalt in its leach solution (`co_in_leach`, not shipped); a cobalt hydroxide
# circuit in the same country turns that into `co_intermediate`, so what is not recovered
# goes to tailings (free disposal) and the cobalt mine shares stay visible in production.csv.
COD_CU, COD_CO = 3300000, 226000  # S04 DRC copper mine 2024e, S01 DRC cobalt mine 2024
KAMOA_CU = 437061
KAMOA_SRC = "S26: stocktitan.net/news/IVPAF/ivanhoe-mines-issues-2024-fourth-quarter-and-annual-financial-yl1ks0fbvclv.html (Ivanhoe Mines 2024 results): 'The Kamoa-Kakula Copper Complex delivered record production of 437,061 tonnes of copper in 2024'; assumption: no cobalt (Kamoa-Kakula reports copper only)"
COD_CO_PER_CU = COD_CO / (COD_CU - KAMOA_CU)
COD_CO_SRC = (f"[derived] DRC cobalt mine output 2024 226,000 t (S01 MCS 2026, §1.4) / DRC copper mine output 2024e 3,300,000 t (S04, §1.10) less Kamoa-Kakula's 437,061 t (copper only) = {COD_CO_PER_CU:.4f} t Co per t Cu "
              "(cross-check: CMOC, the largest producer, 114,165 t Co and 650,161 t Cu in 2024 = 0.176, S25: allafrica.com/stories/202504010648.html; all DRC cobalt, artisanal included, taken as from copper-cobalt ore)")
HPAL_DESIGN = [(4577, 37260, "S27: Halmahera Persada Lygend (Obi) HPAL 'Ni 37,260 mt per year and Co 4,577 mt per year' (Davis Index, ec2-54-156-51-66.compute-1.amazonaws.com/hpal-starts-nickel-cobalt-project-trials)"),
               (4000, 40000, "S28: CNI/WIKA HPAL design 'MHP dengan kandungan 40.000 ton Nikel per tahun dan 4.000 ton Kobalt' (properti.kompas.com/read/2020/11/28/202929521)")]
HPAL_CO_PER_NI = sum(co / ni for (co, ni, _) in HPAL_DESIGN) / len(HPAL_DESIGN)
IDN_CO = 35000  # S01 Indonesia cobalt mine 2024
HPAL_NI = IDN_CO / HPAL_CO_PER_NI
HPAL_CO_SRC = (f"[derived] Co per t Ni in Indonesian HPAL mixed hydroxide precipitate = mean of two plant designs ({'; '.join(s for (_, _, s) in HPAL_DESIGN)}): "
               f"(0.1228 + 0.1000) / 2 = {HPAL_CO_PER_NI:.4f}; all Indonesian cobalt (35,000 t, S01) from HPAL (RKEF/NPI lines do not recover cobalt)")
HPAL_NI_SRC = (f"[derived] Indonesian nickel in HPAL feed = Indonesia cobalt mine 2024 35,000 t (S01) / {HPAL_CO_PER_NI:.4f} t Co per t Ni = {HPAL_NI:.0f} t "
               "(cross-check: Indonesia's 2023 MHP capacity 265 kt Ni, Septian Hario Seto, Coordinating Ministry for Maritime Affairs and Investment, S29 via mcheese.ru; more HPAL lines started in 2024)")
# Co-products by process id, as SEP_OF for separation: [(commodity, t per t main output, source)].
CO_OF = {
    "cod_cu_concentrate": [("co_in_leach", COD_CO_PER_CU, COD_CO_SRC)],
    "idn_ni_ore_hpal": [("co_in_leach", HPAL_CO_PER_NI, HPAL_CO_SRC)],
}
CO_RECOVERY_SRC = "assumption: Co content basis; the USGS mine figure is cobalt recovered in hydroxide/MHP, so the co-product is counted as recoverable cobalt (recovery 100% of it; precipitation yield not sourced, §8.11)"
# Processes whose input is not their output's default (INPUTS): process id -> [(input, t, source)].
FEED_OF = {
    "cod_co_intermediate": [("co_in_leach", 1.0, CO_RECOVERY_SRC)],
    "idn_co_intermediate": [("co_in_leach", 1.0, CO_RECOVERY_SRC)],
}
# A hydroxide circuit as large as its mine's leach at full capacity would tie the two limits and
# leave the leach price undetermined once the mine runs full; it is given 10% more.
RECOVERY_HEADROOM = 1.1
RECOVERY_CAP_SRC = "capacity = the leach of the mine at full capacity x 1.1 (assumption: circuit capacity not sourced; sized above the mine's so that the mine, not the circuit, binds)"
CO_LEACH_PRICE_SRC = "assumption: not traded; hydroxide payable (60% of LME, below) less a precipitation and handling cost of 10% of it (not sourced)"
# Disposal cost by commodity (commodities.csv), where not 0.
DISPOSAL = {
    "lace_oxide": (LACE_DISPOSAL, LACE_DISPOSAL_SRC),
    "co_in_leach": (0, "assumption: cobalt not precipitated stays in the leach solution and reports to the tailings, at no cost beyond the mine's own"),
}


# Reference 2024 prices, USD per t of the commodity as defined above: (price, region where the
# model price is compared, source, published: whether the calibration test checks it).
PRICES = {
    "re_concentrate": (4717, "USA", "S07 via ng.investing.com (§3.2): MP realised $4,717/t REO Q4 2024", True),
    "re_ionic": (None, "CHN", "[derived] assumption: no traded price; the oxide basket of ionic-clay feed (its NdPr, Dy, Tb, La+Ce per t REO below at the 2024 prices) x the payable of MP's concentrate, $4,717 / the Mountain Pass basket at 2024 prices (S07, S01, MP 10-K distribution)", False),
    "lace_oxide": (LACE_PRICE, "CHN", "[derived] S01 (§3.1) 2024: La oxide 99.5% $0.97/kg, Ce oxide 99.5% $1.21/kg, weighted La 32.3 : Ce 50.2 (Mountain Pass distribution, MP 10-K 2021, §7.2) = $1.12/kg", True),
    "ndpr_oxide": (55000, "CHN", "S01 (§3.1): NdPr oxide 99% fob (Argus) 2024 avg $55/kg", True),
    "dy_oxide": (260000, "CHN", "S03 (§3.1): Dy oxide 99.5% 2024 $260/kg", True),
    "tb_oxide": (810000, "CHN", "S03 (§3.1): Tb oxide 99.99% 2024 $810/kg", True),
    "ndpr_metal": (55000 * 63 / 51, "CHN", "[derived] S01 NdPr oxide 2024 avg $55/kg x metal/oxide ratio 63/51 on 20 Jun 2024 (fastmarkets.com/?p=57207, §3.2: metal $62-64, oxide $50-52)", False),
    "ndfeb_magnet": (45000, "CHN", "assumption: no sourced magnet price (sources §8); inputs (0.30 t NdPr metal at $63/kg + Dy/Tb oxide) plus ~$20k/t making and Fe/B", False),
    "li_spodumene": (900 / SC6_LI, "AUS", "assumption: 2024 SC6 average not found (sources §8.7); ~$900/t SC6 from S01 2025 levels ($800 Jan; $970 Nov) / 0.02787 t Li per t SC6 [derived §7.2]", False),
    "li_brine": (900 / SC6_LI, "CHL", "assumption: brine is not traded; valued at the spodumene netback per t Li", False),
    "li_carbonate": (11800 * 5.323, "USA", "S01 (§3.1): Li carbonate battery grade US contract 2024 $11,800/t LCE x 5.323 t LCE per t Li [derived §7.2]", True),
    "li_hydroxide": (11800 * 5.323 * 1.25, "CHN", "assumption: 2024 hydroxide price not sourced; carbonate x 1.25 per t Li [derived from S01 2025 China levels: hydroxide ~$10,750/t / 0.1654 vs carbonate ~$9,800/t / 0.1879]", False),
    "graphite_flake": (1050, "CHN", "S01 (§3.1): natural flake graphite US import unit value at foreign ports 2024 $1,050/t", True),
    "graphite_battery": (1850, "CHN", "fastmarkets.com (§3.2): spherical graphite 99.95% fob China $1,700-2,000/t 31 Oct 2024 (mid)", True),
    "co_in_leach": (0.9 * 0.6 * 11.84 * PER_LB, "COD", CO_LEACH_PRICE_SRC, False),
    "co_intermediate": (0.6 * 11.84 * PER_LB, "COD", "assumption: hydroxide payable 60% of LME cobalt (payables not sourced); LME 2024 $11.84/lb S01", False),
    "co_refined": (11.84 * PER_LB, "CHN", "S01 (§3.1): cobalt LME cash 2024 $11.84/lb", True),
    "ni_ore": (0.6 * 16812, "IDN", "assumption: ore/NPI-feed payable 60% of LME nickel (not sourced); LME 2024 $16,812/t S01", False),
    "ni_refined": (16812, "CHN", "S01 (§3.1): nickel LME cash 2024 $16,812/t", True),
    "cu_concentrate": (4.147 * PER_LB - 450, "CHL", "assumption: LME less ~$450/t Cu treatment and refining charges (TC/RC 2019 $80.8/t conc, sources §7.1, at ~30% Cu plus RC)", False),
    "cu_refined": (4.147 * PER_LB, "CHN", "S01 (§3.1): copper LME grade A cash 2024 414.7 c/lb", True),
    "gallium": (439000, "USA", "S01 (§3.1): gallium metal US import unit value 2024 $439/kg", True),
    "ge_dioxide": (1281000, "EU", "S01 (§3.1): germanium dioxide Argus Europe 2024 $1,281/kg", True),
    "ge_metal": (1991000, "EU", "S01 (§3.1): germanium metal 99.999% Argus Europe 2024 $1,991/kg", True),
    "w_concentrate": (252 / 7.93 * 1000, "EU", "S01 (§3.1): tungsten concentrate Rotterdam 2024 $252/mtu WO3 / 7.93 kg W per mtu [derived]", True),
    "w_apt": (252 / 7.93 * 1000 * 331 / 266, "EU", "assumption: 2024 APT not sourced; concentrate x 331/266 (S01 Rotterdam APT vs 65% concentrate Jan 2025) [derived]", False),
    "sb_ore": (0.6 * 10.24 * PER_LB, "ROW", "assumption: ore payable 60% of metal (not sourced); metal 2024 $10.24/lb S01", False),
    "sb_metal": (10.24 * PER_LB, "EU", "S01 (§3.1): antimony metal 99.65% cif Argus 2024 $10.24/lb", True),
}


def _ionic_price():
    """re_ionic: the ionic-clay oxide basket at 2024 prices x the payable of MP's concentrate."""
    px = {c: PRICES[c][0] for c in ("ndpr_oxide", "dy_oxide", "tb_oxide", "lace_oxide")}
    mp_basket = MP_NDPR * px["ndpr_oxide"] + MP_LACE * px["lace_oxide"]
    payable = PRICES["re_concentrate"][0] / mp_basket
    basket = IONIC_NDPR * px["ndpr_oxide"] + IONIC_DY * px["dy_oxide"] + IONIC_TB * px["tb_oxide"] + IONIC_LACE * px["lace_oxide"]
    return basket * payable, payable


_IONIC_P, _PAYABLE = _ionic_price()
PRICES["re_ionic"] = (_IONIC_P, "CHN", PRICES["re_ionic"][2] + f" = {_PAYABLE:.3f} x basket", False)

# Inputs: process output -> [(input, t per t output, source)]. Applied to every process making
# that output unless a process overrides (`feed`).
INPUTS = {
    "ndpr_metal": [("ndpr_oxide", 1 / 0.857, "[derived §7.2] stoichiometric Nd2O3 -> Nd 0.857; reduction recovery not found (sources §8.11) so 100%")],
    "ndfeb_magnet": [
        ("ndpr_metal", 0.30, "[derived §7.2] ~0.30 t NdPr metal per t NdFeB (RE 28-31% NdPr); manufacturing loss not found (sources §8.11)"),
        ("dy_oxide", 0.01 / 0.871, "[derived §7.2] Dy 0.6-1.2 wt% (couragemagnet.com) -> 1% / 0.871 oxide-to-metal"),
        ("tb_oxide", 0.0015, "assumption: Tb ~0.13 wt% of an average magnet (literature range Dy+Tb 0.2-6%, §7.2); no sourced Tb share"),
    ],
    "li_carbonate": [("li_spodumene", 1.0, "[derived §7.2] Li content basis, 100% conversion (recovery folded into the scaled mine output, see processes)")],
    "li_hydroxide": [("li_spodumene", 1.0, "[derived §7.2] Li content basis, 100% conversion")],
    "graphite_battery": [("graphite_flake", 0.6, "assumption: natural flake per t battery-grade graphite; IEA battery-grade (1,875 kt) exceeds natural flake output (1,551 kt) because it includes synthetic graphite, whose needle-coke feed is not modelled; spheronisation yield not found (sources §8.11)")],
    "co_refined": [("co_intermediate", 1.0, "assumption: Co content basis; refining yield not found (sources §8.11)")],
    "ni_refined": [("ni_ore", 1.0, "assumption: Ni content basis; refining yield not found (sources §8.11)")],
    "cu_refined": [("cu_concentrate", 0.8, "assumption: ~20% of refined copper from scrap, not modelled; world mine/refined 23.1/27.6 Mt = 0.84 (S04, S01) [derived]")],
    "ge_metal": [("ge_dioxide", 1 / 0.69, "[derived §7.2] Ge = 69% of GeO2 (USGS convention)")],
    "w_apt": [("w_concentrate", 1.0, "assumption: W content basis; conversion yield not found")],
    "sb_metal": [("sb_ore", 1.0, "assumption: Sb content basis; smelting yield not found")],
}

# Production 2024 by stage: commodity -> [(region, t/yr, source)]. `feed` picks a different
# input for a process (brine-based carbonate).
S01 = "S01 MCS 2026"
PRODUCTION = {
    "re_concentrate": [
        ("USA", 45500, S01 + " rare earths 2024"), ("AUS", 29000, S01 + " rare earths 2024"),
        ("BRA", 560, S01 + " rare earths 2024"), ("CHN", 270000 - CN_IONIC, S01 + " rare earths 2024: China 270,000 t less its ionic-clay output (re_ionic) [derived]"), ("IND", 2900, S01 + " rare earths 2024"),
        ("MYS", 140, S01 + " rare earths 2024"), ("RUS", 2600, S01 + " rare earths 2024"),
        ("THA", 2100, S01 + " rare earths 2024"), ("VNM", 300, S01 + " rare earths 2024"),
        ("ROW", 3900, S01 + " rare earths 2024: Madagascar 1,400 + Nigeria 1,500 + other 1,000 [derived]"),
    ],
    "re_ionic": [
        ("CHN", CN_IONIC, CN_IONIC_SRC),
        ("MMR", MMR_IONIC, S01 + " rare earths 2024 Burma (estimated from China import data): ionic-clay deposits (rawmaterials.net 21 Jul 2023; ti22strategies.com: Kachin ionic clays)"),
    ],
    # IEA magnet REE refining (Nd, Pr, Tb, Dy oxides) 80.8 kt. Dy and Tb are co-products of
    # China's ionic-clay separation (outputs.csv); its NdPr is split off China's total.
    "ndpr_oxide": [
        ("CHN", 73800 - DY_OX - TB_OX - IONIC_TOTAL * IONIC_NDPR, "S02 IEA magnet REE refining China 73.8 kt less Dy 2,600 t and Tb 500 t oxide (assumptions) and the NdPr of ionic-clay separation (row below) [derived]"),
        ("CHN", IONIC_TOTAL * IONIC_NDPR, "[derived] China's separation of ionic-clay feed (China's own and Myanmar's): feed / t REO per t NdPr (inputs.csv); Dy and Tb oxide are its co-products", "re_ionic"),
        ("MYS", 3600, "S02 IEA magnet REE refining 2024 Malaysia 3.6 kt (Lynas)"),
        ("USA", 1000, "S02 IEA magnet REE refining 2024 US 1.0 kt (S07: MP 1,294 t NdPr oxide)"),
        ("ROW", 2500, "S02 IEA magnet REE refining 2024 rest of world 2.5 kt"),
    ],
    "ndpr_metal": [
        ("CHN", 57000, "assumption: NdPr metal output not sourced; sized to magnet use (~200 kt magnets x 0.30, §2.2 and §7.2) with China ~95% as for magnets"),
        ("VNM", 1500, "assumption: small non-Chinese metal making (not sourced)"),
        ("JPN", 1500, "assumption: small non-Chinese metal making (not sourced)"),
    ],
    "ndfeb_magnet": [
        ("CHN", 186000, "rizinia.com (§2.2): China 186,000 t of >200,000 t in 2020 (latest sourced; sources §8.5), used for 2024"),
        ("JPN", 8000, "assumption: split of the non-Chinese 14,000 t [derived 200,000 - 186,000, §2.2]; Japan largest outside China"),
        ("EU", 3000, "assumption: split of the non-Chinese 14,000 t (§2.2); Vacuumschmelze and others"),
        ("VNM", 2000, "assumption: split of the non-Chinese 14,000 t (§2.2)"),
        ("ROW", 1000, "assumption: split of the non-Chinese 14,000 t (§2.2)"),
    ],
    "li_spodumene": [
        ("AUS", 82700, S01 + " lithium 2024"), ("ZWE", 20000, S01 + " lithium 2024"),
        ("BRA", 10200, S01 + " lithium 2024"), ("CAN", 4820, S01 + " lithium 2024"),
        ("CHN", 41400 * 0.75, S01 + " lithium 2024 China 41,400 t x 0.75 (assumption: hard-rock share of China's output not sourced)"),
        ("EU", 380, S01 + " lithium 2024 Portugal"), ("ROW", 770, S01 + " lithium 2024 Mali"),
    ],
    "li_brine": [
        ("CHL", 48900, S01 + " lithium 2024"), ("ARG", 13800, S01 + " lithium 2024"),
        ("CHN", 41400 * 0.25, S01 + " lithium 2024 China 41,400 t x 0.25 (assumption: brine share not sourced)"),
    ],
    # IEA lithium chemicals 241.6 kt Li: carbonate/hydroxide split is an assumption.
    "li_carbonate": [
        ("CHN", 169700 * 0.6 - 11000, "S02 IEA lithium chemicals 2024 China 169.7 kt x 0.6 carbonate (assumption: carbonate/hydroxide split not sourced) less 11 kt from brine"),
        ("CHN", 11000, "S02 IEA lithium chemicals 2024 China: the part from China's own brine (assumption: ~the brine share of China's mine output, S01)", "li_brine"),
        ("CHL", 49300, "S02 IEA lithium chemicals 2024 Chile 49.3 kt (assumption: all carbonate)", "li_brine"),
        ("ARG", 13200, "S02 IEA lithium chemicals 2024 Argentina 13.2 kt (assumption: all carbonate)", "li_brine"),
        ("ROW", 5100, "S02 IEA lithium chemicals 2024 rest of world 5.1 kt (assumption: carbonate)"),
    ],
    "li_hydroxide": [
        ("CHN", 169700 * 0.4, "S02 IEA lithium chemicals 2024 China 169.7 kt x 0.4 hydroxide (assumption: split not sourced)"),
        ("AUS", 4300, "S02 IEA lithium chemicals 2024 Australia 4.3 kt (assumption: hydroxide, Kwinana/Kemerton)"),
    ],
    "graphite_flake": [
        ("CHN", 1270000, S01 + " graphite 2024"), ("BRA", 58000, S01 + " graphite 2024"),
        ("CAN", 11700, S01 + " graphite 2024"), ("IND", 17600, S01 + " graphite 2024"),
        ("KOR", 1000, S01 + " graphite 2024"), ("MEX", 706, S01 + " graphite 2024"),
        ("RUS", 20000, S01 + " graphite 2024"), ("VNM", 500, S01 + " graphite 2024"),
        ("EU", 240, S01 + " graphite 2024: Austria 100 + Germany 140 [derived]"),
        ("ROW", 171040, S01 + " graphite 2024: Madagascar 85,000 + Mozambique 39,000 + Tanzania 27,000 + N. Korea 8,100 + Norway 5,340 + Sri Lanka 3,000 + Turkey 2,600 + Ukraine 900 [derived]"),
    ],
    "graphite_battery": [
        ("CHN", 1794800, "S02 IEA battery-grade graphite 2024 China 1,794.8 kt"),
        ("JPN", 45000, "S02 IEA battery-grade graphite 2024 Japan 45.0 kt"),
        ("USA", 1100, "S02 IEA battery-grade graphite 2024 US 1.1 kt"),
        ("ROW", 34400, "S02 IEA battery-grade graphite 2024 rest of world 34.4 kt"),
    ],
    "co_intermediate": [
        ("COD", COD_CO, S01 + " cobalt 2024; hydroxide precipitated from the leach of DRC copper-cobalt mines (their co-product, outputs.csv)"),
        ("IDN", IDN_CO, S01 + " cobalt 2024; cobalt in MHP from Indonesian HPAL (co-product of its nickel, outputs.csv)"),
        ("RUS", 8000, S01 + " cobalt 2024"), ("AUS", 4780, S01 + " cobalt 2024"),
        ("CAN", 3350, S01 + " cobalt 2024"), ("PHL", 3100, S01 + " cobalt 2024"),
        ("CHN", 2000, S01 + " cobalt 2024"), ("USA", 200, S01 + " cobalt 2024"),
        ("ROW", 19160, S01 + " cobalt 2024: Cuba 3,450 + Madagascar 3,100 + PNG 2,630 + Turkey 2,200 + other 7,780 [derived]"),
    ],  # COD and IDN precipitate the cobalt of their copper-cobalt and HPAL leach (FEED_OF); the
        # others stay cobalt processes of their own (assumption: mostly nickel by-product cobalt, its
        # ratio to nickel not sourced country by country).
    "co_refined": [
        ("CHN", 196100, "S02 IEA cobalt refining 2024 China 196.1 kt"),
        ("EU", 20100, "S02 IEA cobalt refining 2024 Finland 20.1 kt"),
        ("JPN", 5600, "S02 IEA cobalt refining 2024 Japan 5.6 kt"),
        ("IDN", 2900, "S02 IEA cobalt refining 2024 Indonesia 2.9 kt"),
        ("CAN", 1800, "S02 IEA cobalt refining 2024 Canada 1.8 kt"),
        ("ROW", 23600, "S02 IEA cobalt refining 2024 rest of world 23.6 kt"),
    ],
    "ni_ore": [
        ("IDN", 2310000 - HPAL_NI, S01 + f" nickel 2024: Indonesia 2,310,000 t less the nickel of HPAL feed (row below) [derived]; saprolite for RKEF (NPI, matte), no cobalt recovered"),
        ("IDN", HPAL_NI, HPAL_NI_SRC, "hpal"), ("PHL", 354000, S01 + " nickel 2024"),
        ("RUS", 205000, S01 + " nickel 2024"), ("CAN", 125000, S01 + " nickel 2024"),
        ("CHN", 115000, S01 + " nickel 2024"), ("AUS", 98000, S01 + " nickel 2024"),
        ("BRA", 67500, S01 + " nickel 2024"), ("USA", 7490, S01 + " nickel 2024"),
        ("ROW", 424000, S01 + " nickel 2024: New Caledonia 116,000 + other 308,000 [derived]"),
    ],
    "ni_refined": [
        ("IDN", 1493200, "S02 IEA nickel refining 2024 Indonesia 1,493.2 kt"),
        ("CHN", 1091100, "S02 IEA nickel refining 2024 China 1,091.1 kt"),
        ("RUS", 126000, "S02 IEA nickel refining 2024 Russia 126.0 kt"),
        ("CAN", 113100, "S02 IEA nickel refining 2024 Canada 113.1 kt"),
        ("AUS", 80000, "S02 IEA nickel refining 2024 Australia 80.0 kt"),
        ("EU", 62000, "S02 IEA nickel refining 2024 Finland 62.0 kt"),
        ("ROW", 631400, "S02 IEA nickel refining 2024 rest of world 631.4 kt"),
    ],
    "cu_concentrate": [
        ("CHL", 5300000, "S04 MCS 2025 copper mine 2024e"),
        ("COD", COD_CU - KAMOA_CU, "S04 MCS 2025 copper mine 2024e: DRC 3,300 kt less Kamoa-Kakula (row below) [derived]; copper-cobalt mines, cobalt their co-product (outputs.csv)"),
        ("COD", KAMOA_CU, KAMOA_SRC, "kamoa"),
        ("PER", 2600000, "S04 MCS 2025 copper mine 2024e"), ("CHN", 1800000, "S04 MCS 2025 copper mine 2024e"),
        ("USA", 1100000, "S04 MCS 2025 copper mine 2024e"), ("IDN", 1100000, "S04 MCS 2025 copper mine 2024e"),
        ("RUS", 930000, "S04 MCS 2025 copper mine 2024e"), ("AUS", 800000, "S04 MCS 2025 copper mine 2024e"),
        ("MEX", 700000, "S04 MCS 2025 copper mine 2024e"), ("CAN", 450000, "S04 MCS 2025 copper mine 2024e"),
        ("EU", 410000, "S04 MCS 2025 copper mine 2024e: Poland"), ("IND", 30000, "S04 MCS 2025 copper mine 2024e"),
        ("ROW", 4120000, "S04 MCS 2025 copper mine 2024e: Kazakhstan 740 + Zambia 680 + other 2,700 kt [derived]"),
    ],
    "cu_refined": [
        ("CHN", 12400000, S01 + " copper refinery 2024"), ("CHL", 1940000, S01 + " copper refinery 2024"),
        ("COD", 2560000, S01 + " copper refinery 2024"), ("JPN", 1570000, S01 + " copper refinery 2024"),
        ("EU", 1186000, S01 + " copper refinery 2024: Germany 597 + Poland 589 kt [derived]"),
        ("USA", 921000, S01 + " copper refinery 2024"), ("RUS", 896000, S01 + " copper refinery 2024"),
        ("KOR", 604000, S01 + " copper refinery 2024"), ("IND", 545000, S01 + " copper refinery 2024"),
        ("MEX", 489000, S01 + " copper refinery 2024"), ("AUS", 434000, S01 + " copper refinery 2024"),
        ("PER", 385000, S01 + " copper refinery 2024"), ("IDN", 349000, S01 + " copper refinery 2024"),
        ("CAN", 324000, S01 + " copper refinery 2024"),
        ("ROW", 2997000, S01 + " copper refinery 2024: Kazakhstan 498 + Zambia 189 + other 2,310 kt [derived]"),
    ],
    "gallium": [
        ("CHN", 839, S01 + " gallium 2024 (839,000 kg)"), ("RUS", 6, S01 + " gallium 2024 (6,000 kg)"),
        ("JPN", 3, S01 + " gallium 2024 (3,000 kg)"),
    ],
    "ge_dioxide": [
        ("CHN", 120 * 0.592 / 0.69 * 1.1, "assumption: world refined Ge ~120 t/yr not sourced (sources §8.3); China 59.2% (§2.2, 2023); GeO2 = Ge / 0.69 with 10% sold as dioxide"),
        ("EU", 120 * 0.15 / 0.69 * 1.1, "assumption: EU (Umicore) 15% of refined Ge; not sourced (sources §8.3)"),
        ("RUS", 120 * 0.08 / 0.69 * 1.1, "assumption: Russia 8% of refined Ge; not sourced (sources §8.3)"),
        ("CAN", 120 * 0.08 / 0.69 * 1.1, "assumption: Canada (Teck Trail) 8% of refined Ge; not sourced (sources §8.3)"),
        ("USA", 120 * 0.05 / 0.69 * 1.1, "assumption: US 5% of refined Ge; not sourced (sources §8.3)"),
        ("ROW", 120 * 0.048 / 0.69 * 1.1, "assumption: rest 4.8% of refined Ge; not sourced (sources §8.3)"),
    ],
    "ge_metal": [
        ("CHN", 120 * 0.592, "secondary mining.com (§2.2): China 59.2% of refined Ge (2023); world ~120 t assumption (sources §8.3)"),
        ("EU", 120 * 0.15, "assumption: EU (Umicore) 15%; not sourced (sources §8.3)"),
        ("RUS", 120 * 0.08, "assumption: Russia 8%; not sourced (sources §8.3)"),
        ("CAN", 120 * 0.08, "assumption: Canada 8%; not sourced (sources §8.3)"),
        ("USA", 120 * 0.05, "assumption: US 5%; not sourced (sources §8.3)"),
        ("ROW", 120 * 0.048, "assumption: rest 4.8%; not sourced (sources §8.3)"),
    ],
    "w_concentrate": [
        ("CHN", 67000, S01 + " tungsten 2024"), ("VNM", 3400, S01 + " tungsten 2024"),
        ("EU", 2190, S01 + " tungsten 2024: Austria 840 + Spain 700 + Portugal 650 [derived]"),
        ("RUS", 1500, S01 + " tungsten 2024"), ("AUS", 920, S01 + " tungsten 2024"),
        ("ROW", 6600, S01 + " tungsten 2024: N. Korea 1,900 + Bolivia 1,700 + Rwanda 1,300 + other 1,700 [derived]"),
    ],
    "w_apt": [
        ("CHN", 72000, "assumption: APT output by country not sourced; China converts its own and most imported concentrate"),
        ("VNM", 3000, "assumption: Vietnam (Masan) APT; not sourced"),
        ("EU", 3500, "assumption: EU (Austria) APT; not sourced"),
        ("USA", 1000, "assumption: US APT; not sourced"),
        ("JPN", 1000, "assumption: Japan APT; not sourced"),
    ],
    "sb_ore": [
        ("CHN", 40000, S01 + " antimony 2024"), ("RUS", 40000, S01 + " antimony 2024"),
        ("MMR", 4500, S01 + " antimony 2024"), ("AUS", 1270, S01 + " antimony 2024"),
        ("MEX", 600, S01 + " antimony 2024"), ("VNM", 220, S01 + " antimony 2024"),
        ("ROW", 32400, S01 + " antimony 2024: Tajikistan 22,000 + Bolivia 5,300 + Turkey 3,000 + Kazakhstan 800 + Kyrgyzstan 700 + Pakistan 260 + Laos 200 + Iran 90 + Guatemala 50 [derived]"),
    ],
    "sb_metal": [
        ("CHN", 80000, "assumption: smelter output by country not sourced; China smelts its own and most imported ore"),
        ("RUS", 10000, "assumption: not sourced"),
        ("ROW", 20000, "assumption: Tajikistan and others; not sourced"),
    ],
}

# Lithium mine output scaled so the feed balance closes with IEA chemicals (241.6 kt Li > USGS
# mine 222 kt excl. US): IEA mining total 255.4 kt / USGS 222 kt. Country shares are unchanged.
LI_SCALE = 255.4 / 222.0
LI_SCALE_SRC = "; scaled x 255.4/222 to the IEA mining total (S02) so feed covers IEA chemicals 241.6 kt [derived]"

# Where the demand for each commodity's use outside the modelled chain sits (final demand at
# the last stage; other uses and stock changes upstream): region -> share. Assumption profiles.
PROFILES = {
    "magnets": {"CHN": 0.60, "EU": 0.12, "JPN": 0.10, "USA": 0.10, "KOR": 0.05, "VNM": 0.01, "THA": 0.01, "ROW": 0.01},
    "battery": {"CHN": 0.75, "KOR": 0.07, "JPN": 0.05, "EU": 0.06, "USA": 0.05, "ROW": 0.02},
    "nickel": {"CHN": 0.60, "IDN": 0.08, "EU": 0.08, "JPN": 0.05, "KOR": 0.05, "IND": 0.04, "USA": 0.05, "ROW": 0.05},
    "copper": {"CHN": 0.55, "EU": 0.10, "USA": 0.065, "JPN": 0.035, "KOR": 0.025, "IND": 0.03, "MEX": 0.01, "BRA": 0.01, "THA": 0.01, "IDN": 0.01, "VNM": 0.02, "RUS": 0.015, "ROW": 0.12},
    "tech": {"CHN": 0.50, "USA": 0.10, "EU": 0.12, "JPN": 0.10, "KOR": 0.08, "ROW": 0.10},
    "producer": None,  # other uses sit with the largest producer
}
PROFILE_SRC = {
    "magnets": "assumption: consumption by country not sourced (sources §8); magnet users split China 60% EU 12% Japan 10% US 10% Korea 5% other 3%",
    "battery": "assumption: consumption by country not sourced (sources §8); battery-material users split China 75% Korea 7% EU 6% Japan 5% US 5% other 2%",
    "nickel": "assumption: consumption by country not sourced (sources §8); stainless and battery users split China 60% and others",
    "copper": "assumption: consumption by country not sourced (sources §8); ICSG refined usage 27,353 kt (§1.10) split China 55% and others",
    "tech": "assumption: consumption by country not sourced (sources §8); electronics, defence and alloy users split China 50% EU 12% US 10% Japan 10% Korea 8% other 10%",
}
FINAL = {
    "ndfeb_magnet": "magnets", "li_carbonate": "battery", "li_hydroxide": "battery",
    "graphite_battery": "battery", "co_refined": "battery", "ni_refined": "nickel",
    "cu_refined": "copper", "gallium": "tech", "ge_metal": "tech", "ge_dioxide": None,
    "w_apt": "tech", "sb_metal": "tech", "ndpr_oxide": "tech", "dy_oxide": None, "lace_oxide": "tech",
    "tb_oxide": None, "graphite_flake": "tech", "li_brine": "local",
}

ELASTICITY = -0.3
ELASTICITY_SRC = "assumption: short-run demand for these minerals is inelastic (few substitutes within a year); no sourced estimate (research/elasticities.csv finds none for this commodity)"


def read_elasticities():
    """Sourced short-run and long-run elasticities and adjustment rates by commodity
    (research/elasticities.csv, keys E01...): {commodity: (e_S, e_L or None, rate or None, source)}.
    Only a row with a numeric short-run figure is used; a long run only with its rate."""
    out = {}
    with open(os.path.join(HERE, "research", "elasticities.csv"), newline="") as f:
        for r in csv.DictReader(f):
            try:
                es = float(r["short_run"])
            except ValueError:
                continue
            try:
                el, rate = float(r["long_run"]), float(r["adjustment_per_yr"])
            except ValueError:
                el, rate = None, None
            out[r["commodity"]] = (es, el, rate, f"research/elasticities.csv {r['commodity']}: {r['source']}")
    return out


ELASTICITIES = read_elasticities()


def elasticity(c):
    """(short-run, long-run or None, adjustment per yr or None, source) of commodity c's buyers."""
    return ELASTICITIES.get(c, (ELASTICITY, None, None, ELASTICITY_SRC))
GROWTH = {
    "lithium": (0.08, "assumption: battery demand growth ~8%/yr 2026-35 (S01 global Li consumption 220 kt 2024 -> 263 kt 2025e is +19.5%; longer-run growth lower)"),
    "graphite": (0.06, "assumption: anode demand growth ~6%/yr; not sourced"),
    "cobalt": (0.04, "assumption: ~4%/yr; not sourced"),
    "nickel": (0.04, "assumption: ~4%/yr; not sourced"),
    "rare_earths": (0.05, "assumption: magnet demand growth ~5%/yr (EVs, wind); not sourced"),
    "copper": (0.025, "assumption: ~2.5%/yr; not sourced"),
}
DEFAULT_GROWTH = (0.02, "assumption: ~2%/yr; not sourced")
# Growth by commodity where it differs from its family's.
COMMODITY_GROWTH = {
    "lace_oxide": (0.02, "assumption: La/Ce uses (FCC and auto catalysts, polishing, glass, NiMH) grow ~2%/yr, slower than magnets; not sourced (the 'balance problem', reeproduce.eu)"),
}


# Production-share targets of the calibration (sources §1-§2): (stage, commodities summed,
# {region: t} or None to take the sourced rows of PRODUCTION, source). A share is the region's
# tonnage over the sum of the rows, as in sources §2.1.
SHARE_STAGES = [
    ("rare earths mine", ["re_concentrate", "re_ionic"], None, "S01 MCS 2026 rare earths 2024 (§1.1)"),
    ("magnet REE refining", ["ndpr_oxide", "dy_oxide", "tb_oxide"], {"CHN": 73.8, "MYS": 3.6, "USA": 1.0, "ROW": 2.5}, "S02 IEA magnet REE refining 2024 (§2.1)"),
    ("lithium mine", ["li_spodumene", "li_brine"], None, "S01 MCS 2026 lithium 2024 (§1.2)"),
    ("lithium chemicals", ["li_carbonate", "li_hydroxide"], {"CHN": 169.7, "CHL": 49.3, "ARG": 13.2, "AUS": 4.3, "ROW": 5.1}, "S02 IEA lithium chemicals 2024 (§2.1)"),
    ("natural graphite mine", ["graphite_flake"], None, "S01 MCS 2026 graphite 2024 (§1.3)"),
    ("battery-grade graphite", ["graphite_battery"], None, "S02 IEA battery-grade graphite 2024 (§2.1)"),
    ("cobalt mine", ["co_intermediate"], None, "S01 MCS 2026 cobalt 2024 (§1.4)"),
    ("cobalt refining", ["co_refined"], None, "S02 IEA cobalt refining 2024 (§2.1)"),
    ("nickel mine", ["ni_ore"], None, "S01 MCS 2026 nickel 2024 (§1.5)"),
    ("nickel refining", ["ni_refined"], None, "S02 IEA nickel refining 2024 (§2.1)"),
    ("copper mine", ["cu_concentrate"], None, "S04 MCS 2025 copper mine 2024e (§1.10)"),
    ("copper refinery (USGS)", ["cu_refined"], None, "S01 MCS 2026 copper refinery 2024 (§1.10)"),
    ("copper refining (IEA)", ["cu_refined"], {"CHN": 11860, "CHL": 1966, "JPN": 1578, "RUS": 995, "IND": 655, "REST": 26944 - 11860 - 1966 - 1578 - 995 - 655}, "S02 IEA copper refining 2024 (§2.1); REST is the other rows, not compared"),
    ("gallium primary", ["gallium"], None, "S01 MCS 2026 gallium 2024 (§1.6)"),
    ("germanium refined", ["ge_metal"], {"CHN": 59.2, "REST": 40.8}, "secondary mining.com (§2.2): China 59.2% of refined Ge 2023; REST not compared"),
    ("tungsten mine", ["w_concentrate"], None, "S01 MCS 2026 tungsten 2024 (§1.8)"),
    ("antimony mine", ["sb_ore"], None, "S01 MCS 2026 antimony 2024 (§1.9)"),
    ("NdFeB magnets", ["ndfeb_magnet"], {"CHN": 186, "REST": 14}, "rizinia.com (§2.2): China 186 kt of >200 kt in 2020 (latest sourced; sources §8.5); REST not compared"),
]


def share_rows():
    rows = []
    for (stage, comms, tons, src) in SHARE_STAGES:
        if tons is None:
            tons = {}
            for c in comms:
                for row in PRODUCTION[c]:
                    tons[row[0]] = tons.get(row[0], 0) + float(row[1])
        total = sum(tons.values())
        for region, t in tons.items():
            if region != "REST":
                rows.append([stage, " ".join(comms), region, f"{t / total:.4f}", src])
    return rows


COMMODITY_IDS = {c[0] for c in COMMODITIES}


def capacity(p):
    """Capacity of a block: sourced output / UTILISATION, or a recovery circuit's headroom."""
    return p["q"] / UTILISATION * (RECOVERY_HEADROOM if p["id"] in FEED_OF else 1.0)


def family(c):
    return next(f for (i, f, _, _) in COMMODITIES if i == c)


def build_processes():
    """One process per (region, output): (id, region, output, q, src, feed)."""
    procs = []
    for out, rows in PRODUCTION.items():
        for row in rows:
            region, q, src = row[0], float(row[1]), row[2]
            # A fourth element is a feed commodity (its input) or a label naming a second block.
            tag = row[3] if len(row) > 3 else None
            feed = tag if tag in COMMODITY_IDS else None
            if out in ("li_spodumene", "li_brine"):
                q *= LI_SCALE
                src += LI_SCALE_SRC
            pid = f"{region.lower()}_{out}" + (f"_{tag}" if tag else "")
            procs.append({"id": pid, "region": region, "output": out, "q": q, "src": src, "feed": feed})
    return procs


_SEP = {}


def sep_of(pid):
    if not _SEP:
        _SEP.update(separation())
    t = SEP_OF.get(pid)
    return (_SEP[t], SEP_OF_SRC.get(pid, "")) if t else (None, "")


def inputs_of(p):
    sep, pre = sep_of(p["id"])
    if sep:
        return [(sep[0], sep[1], pre + sep[4])]
    if p["id"] in FEED_OF:
        return list(FEED_OF[p["id"]])
    rows = list(INPUTS.get(p["output"], []))
    if p["feed"]:
        rows = [(p["feed"], 1.0, "[derived §7.2] Li content basis; brine converted at the salar")]
    return rows


def outputs_of(p):
    """Co-products: [(commodity, t per t main output, source)]."""
    sep, pre = sep_of(p["id"])
    if sep:
        return [(c, y, pre + src) for (c, y, src) in sep[3]]
    return list(CO_OF.get(p["id"], []))


def initial_costs(procs, prices):
    for p in procs:
        margin = prices[p["output"]] + sum(y * prices[c] for (c, y, _) in outputs_of(p)) - sum(k * prices[i] for (i, k, _) in inputs_of(p))
        if margin <= 0:
            sys.exit(f"non-positive margin for {p['id']}: {margin}")
        p["rise"] = margin
        p["cost"] = margin - margin * p["q"] / capacity(p)


def demand_rows(procs):
    """Q0 per (region, commodity): output less the next stage's use, placed by profile."""
    out_total, use_total, top = {}, {}, {}
    for p in procs:
        c = p["output"]
        out_total[c] = out_total.get(c, 0) + p["q"]
        if p["q"] > top.get(c, (None, -1))[1]:
            top[c] = (p["region"], p["q"])
        for (i, k, _) in inputs_of(p):
            use_total[i] = use_total.get(i, 0) + k * p["q"]
        for (c2, y, _) in outputs_of(p):
            out_total[c2] = out_total.get(c2, 0) + y * p["q"]
            if y * p["q"] > top.get(c2, (None, -1))[1]:
                top[c2] = (p["region"], y * p["q"])
    rows = []
    for (c, fam, _, _) in COMMODITIES:
        rest = out_total.get(c, 0) - use_total.get(c, 0)
        if rest < -1e-6:
            sys.exit(f"{c}: input use {use_total[c]} exceeds output {out_total[c]}")
        if rest <= 1e-9:
            continue
        bal = f"[derived] 2024 output {out_total[c]:.0f} t less modelled input use {use_total.get(c, 0):.0f} t = {rest:.0f} t"
        prof = FINAL.get(c)
        g, gsrc = COMMODITY_GROWTH.get(c) or GROWTH.get(fam, DEFAULT_GROWTH)
        if prof == "local":
            for p in procs:
                if p["output"] != c:
                    continue
                used = sum(k * q["q"] for q in procs if q["region"] == p["region"] for (i, k, _) in inputs_of(q) if i == c)
                if p["q"] - used > 1e-9:
                    rows.append((p["region"], c, p["q"] - used, f"[derived] {p['region']} 2024 output {p['q']:.0f} t less its own plants' use {used:.0f} t; other uses at the source (not shipped)", g, gsrc))
        elif prof is None:
            region = top[c][0]
            rows.append((region, c, rest, f"{bal}; other uses and stock change (assumption: placed with the largest producer {region})", g, gsrc))
        else:
            for region, share in PROFILES[prof].items():
                rows.append((region, c, rest * share, f"{bal}; x {share} {PROFILE_SRC[prof]}", g, gsrc))
    return rows


# Tariffs in force at 2026Q1 (issue 20): MFN and US Section 301 rates on the world's lines,
# FTA partners' zero rows (a (USA, CAN, *) row would tie with (USA, *, c) and be ambiguous),
# China's retained 10% on US goods. Sources P41-P54 of
# tools/world/research/policies_2023_2025.md (listed in scenarios/world/SOURCES.md).
# ad_valorem is a fraction; specific_usd_per_t per t of the commodity.
TARIFFS_CSV = """\
USA,CHN,graphite_flake,0.25,0,"P41 Section 301 natural graphite (HTS 2504.10.10/.50) 0% -> 25% from 1 Jan 2026; MFN Free (P44, P45)"
USA,CHN,graphite_battery,0.25,0,"P41, P43 Section 301 25% (2504.10.50 from 1 Jan 2026; 3801.10.50 earlier 301 list); MFN Free (P43, P44); AD/CVD on active anode material NOT imposed: ITC final negative 12 Mar 2026 (P47, P48)"
USA,CHN,ndfeb_magnet,0.271,0,"[derived] MFN 2.1% HTS 8505.11.00.70 (P43, P44) + Section 301 permanent magnets 25% from 1 Jan 2026 (P41)"
USA,CHN,li_carbonate,0.287,0,"[derived] MFN 3.7% HTS 2836.91 + Section 301 25% (earlier list, P43)"
USA,CHN,li_hydroxide,0.287,0,"[derived] MFN 3.7% HTS 2825.20 + Section 301 25% (earlier list, P43)"
USA,CHN,w_apt,0.305,0,"[derived] MFN 5.5% HTS 2841.80 (P44) + Section 301 tungstates 25% from 27 Sep 2024 (P41)"
USA,CHN,w_concentrate,0.25,375,"MFN 37.5 cents/kg W content HTS 2611.00.60 = 375 USD/t W (P46) + Section 301 tungsten concentrates 25% from 27 Sep 2024 (P41)"
USA,*,ndfeb_magnet,0.021,0,"P43, P44 MFN 2.1% HTS 8505.11"
USA,*,li_carbonate,0.037,0,"P43, P44 MFN 3.7% HTS 2836.91"
USA,*,li_hydroxide,0.037,0,"P43, P44 MFN 3.7% HTS 2825.20"
USA,*,w_apt,0.055,0,"P44 MFN 5.5% HTS 2841.80"
USA,*,w_concentrate,0,375,"P46 MFN 37.5 cents/kg W content HTS 2611.00.60"
USA,CAN,ndfeb_magnet,0,0,"USMCA Free (special column S, P44, P54); assumption: origin rules met"
USA,MEX,ndfeb_magnet,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,AUS,ndfeb_magnet,0,0,"AUSFTA Free (AU, P44, P54)"
USA,KOR,ndfeb_magnet,0,0,"KORUS Free (KR, P44, P54)"
USA,CHL,ndfeb_magnet,0,0,"US-Chile FTA Free (CL, P44, P54)"
USA,PER,ndfeb_magnet,0,0,"US-Peru TPA Free (PE, P44, P54)"
USA,CAN,li_carbonate,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,MEX,li_carbonate,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,AUS,li_carbonate,0,0,"AUSFTA Free (P44, P54)"
USA,KOR,li_carbonate,0,0,"KORUS Free (P44, P54)"
USA,CHL,li_carbonate,0,0,"US-Chile FTA Free (P44, P54)"
USA,PER,li_carbonate,0,0,"US-Peru TPA Free (P44, P54)"
USA,CAN,li_hydroxide,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,MEX,li_hydroxide,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,AUS,li_hydroxide,0,0,"AUSFTA Free (P44, P54)"
USA,KOR,li_hydroxide,0,0,"KORUS Free (P44, P54)"
USA,CHL,li_hydroxide,0,0,"US-Chile FTA Free (P44, P54)"
USA,PER,li_hydroxide,0,0,"US-Peru TPA Free (P44, P54)"
USA,CAN,w_apt,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,MEX,w_apt,0,0,"USMCA Free (P44, P54); assumption: origin rules met"
USA,AUS,w_apt,0,0,"AUSFTA Free (P44, P54)"
USA,KOR,w_apt,0,0,"KORUS Free (P44, P54)"
USA,CHL,w_apt,0,0,"US-Chile FTA Free (P44, P54)"
USA,PER,w_apt,0,0,"US-Peru TPA Free (P44, P54)"
USA,CAN,w_concentrate,0,0,"USMCA Free (P46, P54); assumption: origin rules met"
USA,MEX,w_concentrate,0,0,"USMCA Free (P46, P54); assumption: origin rules met"
USA,AUS,w_concentrate,0,0,"AUSFTA Free (P46, P54)"
USA,KOR,w_concentrate,0,0,"KORUS Free (P54)"
USA,CHL,w_concentrate,0,0,"US-Chile FTA Free (P46, P54)"
USA,PER,w_concentrate,0,0,"US-Peru TPA Free (P54)"
EU,CHN,ndfeb_magnet,0.022,0,"P44 EU TARIC third-country duty 2.2% CN 8505 11; assumption: no autonomous suspension applies (P53)"
EU,CHN,li_hydroxide,0.053,0,"P44 EU TARIC 5.3% CN 2825 20; assumption: no autonomous suspension applies (P53)"
EU,CHN,li_carbonate,0.055,0,"P44 EU TARIC 5.5% CN 2836 91; assumption: no autonomous suspension applies (P53)"
EU,CHN,w_apt,0.055,0,"P44 EU TARIC 5.5% CN 2841 80; assumption: no autonomous suspension applies (P53)"
EU,CHN,ndpr_oxide,0.032,0,"P44 EU TARIC 3.2% CN 2846 90; assumption: no autonomous suspension applies (P53)"
EU,CHN,dy_oxide,0.032,0,"P44 EU TARIC 3.2% CN 2846 90; assumption: no autonomous suspension applies (P53)"
EU,CHN,tb_oxide,0.032,0,"P44 EU TARIC 3.2% CN 2846 90; assumption: no autonomous suspension applies (P53)"
GBR,CHN,li_hydroxide,0.04,0,"P44 UK Global Tariff 4% 2825 20"
GBR,CHN,li_carbonate,0.04,0,"P44 UK Global Tariff 4% 2836 91"
GBR,CHN,w_apt,0.04,0,"P44 UK Global Tariff 4% 2841 80"
CHN,USA,*,0.10,0,"P52 China's additional 10% on all US-origin goods retained from 10 Nov 2025 (24% suspended to 10 Nov 2026); China's own MFN rates not added (not checked)"
"""
TARIFF_HEADER = ["importer", "exporter", "commodity", "ad_valorem", "specific_usd_per_t", "source"]


def write_tariffs():
    rows = list(csv.reader(io.StringIO(TARIFFS_CSV)))
    write_csv("tariffs.csv", TARIFF_HEADER, rows)
    # The 2024 calibration is fitted without today's tariffs (see calibration-2024.toml).
    write_csv("calibration/tariffs-none.csv", TARIFF_HEADER, [])


def write_csv(name, header, rows):
    path = os.path.join(WORLD, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def fmt(x):
    return f"{x:.6g}" if abs(x) < 1e6 else f"{x:.0f}"


def write_tables(procs, dem, prices, scale):
    write_csv("regions.csv", ["id", "name"], REGIONS)
    write_csv("commodities.csv", ["id", "family", "stage", "name", "disposal_usd_per_t", "note_disposal_source"],
              [list(c) + list(DISPOSAL.get(c[0], (0, "assumption: default, no disposal cost (not a co-product in glut)"))) for c in COMMODITIES])
    rows = []
    for p in procs:
        price_src = PRICES[p["output"]][2]
        rows.append([
            p["id"], p["region"], p["output"], fmt(capacity(p)), fmt(max(p["cost"], 0.0)), fmt(p["rise"]), "", "",
            f"{p['src']}; {RECOVERY_CAP_SRC if p['id'] in FEED_OF else U_SRC}; unit cost and rise calibrated so the 2024 run makes the sourced output at the published prices (tools/world/build_world.py; price: {price_src})",
        ])
    write_csv("processes.csv", ["id", "region", "output", "capacity_t_per_yr", "unit_cost_usd_per_t", "cost_rise_usd_per_t", "online", "offline", "source"], rows)
    rows = []
    for p in procs:
        for (i, k, src) in inputs_of(p):
            rows.append([p["id"], i, fmt(k), src])
    write_csv("inputs.csv", ["process", "commodity", "t_per_t_output", "source"], rows)
    rows = []
    for p in procs:
        for (c, y, src) in outputs_of(p):
            rows.append([p["id"], c, fmt(y), src])
    write_csv("outputs.csv", ["process", "commodity", "t_per_t_output", "source"], rows)
    rows = []
    for (region, c, q, src, g, gsrc) in dem:
        q *= scale.get(c, 1.0)
        es, el, rate, esrc = elasticity(c)
        rows.append([region, c, fmt(q), fmt(prices[c]), es, g, "" if el is None else el, "" if rate is None else rate,
                     f"quantity: {src}{' (scaled in calibration)' if scale.get(c, 1.0) != 1.0 else ''}; price: {PRICES[c][2]}; elasticity: {esrc}; growth: {gsrc}"])
    write_csv("demand.csv", ["region", "commodity", "quantity_t_per_yr", "price_usd_per_t", "elasticity", "growth_per_yr",
                             "long_run_elasticity", "adjustment_per_yr", "source"], rows)
    write_csv("transport.csv", ["origin", "destination", "commodity", "cost_usd_per_t", "source"], [
        ["*", "*", "*", 200, "assumption: sources §7.1 (not sourced): ~20-25 t per FEU at Drewry Shanghai-Rotterdam $3,997/FEU (Nov 2024) = ~$160-200/t"],
        ["*", "*", "graphite_flake", 90, "§7.1: bulk mineral freight, spodumene Port Hedland -> China $90/dmt (S&P Platts, Apr 2023)"],
        ["*", "*", "li_spodumene", fmt(90 / SC6_LI), "[derived] §7.1: $90/dmt SC6 Port Hedland -> China / 0.02787 t Li per t SC6 (§7.2)"],
        ["*", "*", "li_brine", 1000000, "assumption: brine is processed at the salar and not shipped; a prohibitive cost stands for no route"],
        ["*", "*", "co_in_leach", 1000000, "assumption: cobalt in leach solution is precipitated at the mine and not shipped; a prohibitive cost stands for no route"],
    ])
    write_tariffs()
    # Calibration targets for the test and `bloc calibrate`.
    rows = []
    for (c, (price, region, src, published)) in PRICES.items():
        if published:
            rows.append([c, region, fmt(price), src])
    write_projects(procs, prices)
    write_csv("calibration/shares.csv", ["stage", "commodities", "region", "share", "source"], share_rows())
    write_csv("calibration/prices.csv", ["commodity", "region", "price_usd_per_t", "source"], rows)


# Projects of earlier issues kept beside the research pipeline (issue 6): the sourced US and
# Lynas decisions (S08/S09, §5.4) and the WA gallium stake (§3.3), with their inputs as any
# process's: (id, region, output, t/yr, capital USD per t/yr, lead yr, ramp yr, earliest_fid,
# fid, source). Unit cost: 60% of the output's 2024 processing margin at reference prices
# (assumption: operating costs of new non-Chinese plants are not sourced). The placeholders of
# issue 6 that were assumptions throughout (Iluka, Arafura, Solvay, Noveon, e-VAC, a US carbonate,
# an Australian hydroxide, a US anode and a Canadian flake project) gave way to the pipeline's
# sourced rows (tools/world/supply.py).
PROJECTS = [
    ("mp_10x_magnets", "USA", "ndfeb_magnet", 10000, 100000, 2.5, 2.0, "2025Q3", "2025Q3",
     "S08/S09: 10X magnet plant, commissioning 2028, MP magnet capacity ~10,000 t/yr, DoD 100% offtake, $1.0B JPMorgan/Goldman commitment; capital [derived] $1.0B / 10,000 t/yr; FID = the Jul 2025 DoD deal; lead 2025Q3 -> 2028Q1 [derived]; ramp-up assumption"),
    ("mp_heavy_re_separation", "USA", "dy_oxide", 200, 750000, 2.0, 1.0, "2025Q3", "2025Q3",
     "S08/S09: $150M DoD loan for heavy-RE separation at Mountain Pass; capacity 200 t/yr Dy oxide equivalent is an assumption (not sourced); capital [derived] $150M / 200 t/yr; lead and ramp assumptions"),
    ("lynas_heavy_re", "MYS", "dy_oxide", 100, 500000, 1.25, 0.5, "2024Q1", "2024Q1",
     "§5.4: Lynas made the first non-Chinese commercial Dy oxide in May 2025 (online 2025Q2 = FID 2024Q1 + 1.25 yr, assumption); capacity 100 t/yr and capital are assumptions (not sourced)"),
    ("wa_gallium", "AUS", "gallium", 50, 4000000, 3.0, 1.0, "2026Q1", "",
     "cmcmarkets.com (§3.3): $200M US equity in a WA gallium plant (Oct 2025 framework); capacity 50 t/yr an assumption; capital [derived] $200M / 50 t/yr"),
]

PROJECT_HEADER = ["id", "region", "output", "capacity_t_per_yr", "unit_cost_usd_per_t", "cost_rise_usd_per_t",
                  "capital_usd_per_t_per_yr", "lead_time_yr", "ramp_up_yr", "earliest_fid", "fid", "after", "source", "note_kind"]


def stage_of(c):
    return next(s for (i, _, s, _) in COMMODITIES if i == c)


def write_projects(procs, prices):
    """projects.csv: the kept projects above, the research pipeline and brownfield expansion
    steps of every incumbent (tools/world/supply.py); their inputs and co-products are appended
    to inputs.csv and outputs.csv (written just before)."""
    rows, inputs, outs = [], [], []
    for (pid, region, out, cap, capex, lead, ramp, efid, fid, src) in PROJECTS:
        q = {"id": pid, "output": out, "feed": None}
        feed = inputs_of(q)
        co = outputs_of(q)
        outs += [[pid, c, fmt(y), ysrc] for (c, y, ysrc) in co]
        margin = prices[out] + sum(y * prices[c] for (c, y, _) in co) - sum(k * prices[i] for (i, k, _) in feed)
        rows.append([pid, region, out, fmt(cap), fmt(0.6 * margin), "", fmt(capex), lead, ramp, efid, fid, "",
                     f"{src}; unit cost: assumption, 60% of the 2024 processing margin at reference prices (costs of new non-Chinese plants not sourced)",
                     "kept"])
        inputs += [[pid, i, fmt(k), isrc] for (i, k, isrc) in feed]
    new = supply.pipeline(procs, inputs_of, outputs_of, UTILISATION)
    new += supply.brownfield(procs, inputs_of, outputs_of, prices, stage_of, capacity)
    for x in new:
        rows.append([x["id"], x["region"], x["output"], fmt(x["cap"]), fmt(x["cost"]), fmt(x["rise"]), fmt(x["capital"]),
                     fmt(x["lead"]), fmt(x["ramp"]), x["earliest"], x["fid"], x.get("after", ""), x["src"], x["kind"]])
        inputs += [[x["id"], i, fmt(k), isrc] for (i, k, isrc) in x["inputs"]]
        outs += [[x["id"], c, fmt(y), ysrc] for (c, y, ysrc) in x["outputs"]]
    write_csv("projects.csv", PROJECT_HEADER, rows)
    with open(os.path.join(WORLD, "inputs.csv"), "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(inputs)
    with open(os.path.join(WORLD, "outputs.csv"), "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(outs)
    # The 2024 fit is of the 2024 fleet: calibration-2024.toml is one yearly period, in which a
    # project deciding comes online only after it; one decided before must not be online in 2024.
    for r in rows:
        if r[10] and supply.online_year(r[10], float(r[7])) <= 2024:
            sys.exit(f"project {r[0]} (fid {r[10]}, lead {r[7]} yr) is online in 2024, the calibration year; it belongs in the base")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def calibrate(procs, dem, prices, bloc, rounds):
    """Runs the engine `rounds` times, correcting costs and demand; keeps the best round."""
    scale = {}
    best = None
    for r in range(rounds):
        state = ([(p["cost"], p["rise"]) for p in procs], dict(scale))
        write_tables(procs, dem, prices, scale)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            subprocess.run([bloc, "run", os.path.join(WORLD, "calibration-2024.toml"), "--out", out, "--quiet"], check=True)
            prod = {row["process"]: float(row["quantity_t"]) for row in read_csv(os.path.join(out, "production.csv"))}
            price = {(row["region"], row["commodity"]): float(row["price_usd_per_t"]) for row in read_csv(os.path.join(out, "prices.csv"))}
        worst = 0.0
        for p in procs:
            x = prod[p["id"]]
            k = capacity(p)
            p["cost"] += DAMP * p["rise"] * (x - p["q"]) / k
            # Anchor the input prices at their references: a lower cost downstream lets the
            # plant bid more for its inputs at the same output.
            for (i, coef, _) in inputs_of(p):
                ref, rg, _, _ = PRICES[i]
                m = price.get((rg, i))
                if m is not None:
                    p["cost"] -= DAMP * coef * (ref - m)
            # Co-products: a co-product cheaper than its reference earns the plant less than
            # at the target, so the cost that meets the target is higher by y x the gap.
            for (c, y, _) in outputs_of(p):
                ref, rg, _, _ = PRICES[c]
                m = price.get((rg, c))
                if m is not None:
                    p["cost"] += DAMP * y * (ref - m)
            worst = max(worst, abs(x - p["q"]) / p["q"])
        worst_p = 0.0
        for (c, (ref, region, _, _)) in PRICES.items():
            m = price.get((region, c))
            if m is None:
                continue
            worst_p = max(worst_p, abs(m / ref - 1))
            scale[c] = scale.get(c, 1.0) * (m / ref) ** (DAMP * elasticity(c)[0])
        bad = sorted(((abs(prod[p["id"]] - p["q"]) / p["q"], p["id"]) for p in procs), reverse=True)[:5]
        badp = sorted(((price.get((rg, c), ref) / ref - 1, c) for (c, (ref, rg, _, _)) in PRICES.items()), key=lambda t: -abs(t[0]))[:5]
        print("  ", [(round(e, 3), i) for e, i in bad], [(round(e, 3), i) for e, i in badp], file=sys.stderr)
        print(f"round {r}: worst output error {worst:.4f}, worst price error {worst_p:.4f}", file=sys.stderr)
        if best is None or worst + worst_p < best[0]:
            best = (worst + worst_p, r, state)
        for p in procs:
            if p["cost"] < 0:
                # Lower cost impossible: raise the rise instead so the curve is not negative at zero.
                p["rise"] += -p["cost"] * capacity(p) / p["q"]
                p["cost"] = 0.0
    _, r, (costs, scale) = best
    for p, (cost, rise) in zip(procs, costs):
        p["cost"], p["rise"] = cost, rise
    print(f"kept round {r}", file=sys.stderr)
    write_tables(procs, dem, prices, scale)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bloc", help="the bloc binary, to calibrate against the engine")
    ap.add_argument("--rounds", type=int, default=6)
    a = ap.parse_args()
    os.makedirs(os.path.join(WORLD, "calibration"), exist_ok=True)
    prices = {c: v[0] for c, v in PRICES.items()}
    procs = build_processes()
    initial_costs(procs, prices)
    dem = demand_rows(procs)
    if a.bloc:
        calibrate(procs, dem, prices, a.bloc, a.rounds)
    else:
        write_tables(procs, dem, prices, {})


if __name__ == "__main__":
    main()
