// The dashboard: reads the public API of the same service; no external scripts.
"use strict";

// Figures for people: money in whole dollars (cents below 100), tonnes to one decimal,
// shares as percentages. The API keeps the exact values.
const usd = (x) => Number(x).toLocaleString("en-US",
  { maximumFractionDigits: Math.abs(Number(x)) < 100 ? 2 : 0 });
const tonnes = (x) => Number(x).toLocaleString("en-US", { maximumFractionDigits: 1 });
// The duty calculator's figures keep their cents (a duty is owed to the cent).
const cents = (x) => {
  const whole = Math.round(Number(x) * 100) % 100 === 0;
  return Number(x).toLocaleString("en-US", { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
};
const pct = (x) => `${(Number(x) * 100).toLocaleString("en-US", { maximumFractionDigits: 1 })}%`;
// Axis labels: 72.5k, 1.2M.
const short = (x) => {
  const a = Math.abs(x);
  const trim = (v, unit) => `${Number(v.toFixed(2)).toLocaleString("en-US", { maximumFractionDigits: 2 })}${unit}`;
  if (a >= 1e9) return trim(x / 1e9, "B");
  if (a >= 1e6) return trim(x / 1e6, "M");
  if (a >= 1e3) return trim(x / 1e3, "k");
  return trim(x, "");
};
// A value written beside the chart: whole dollars, or short when long.
const label = (x) => (Math.abs(x) < 1e6 ? usd(x) : short(x));
// 2026-12-07T15:00:00.123Z → 2026-12-07 15:00 UTC
const when = (s) => (typeof s === "string" && s.length >= 16 ? `${s.slice(0, 10)} ${s.slice(11, 16)} UTC` : String(s ?? ""));

async function getJson(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || r.statusText);
  return body;
}

function fill(tbody, rows) {
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = document.createElement("td");
    td.colSpan = tbody.parentElement.querySelectorAll("thead th").length;
    td.textContent = "none yet";
    tr.appendChild(td);
    tbody.replaceChildren(tr);
    return;
  }
  tbody.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }));
}

function options(select, values) {
  select.replaceChildren(...values.map((v) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = v;
    return o;
  }));
}

// Round steps (1, 2, 2.5, 5 × 10^k) from lo to hi, about `n` of them.
function ticks(lo, hi, n) {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.05 || 1;
    lo -= pad; hi += pad;
  }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const start = Math.floor(lo / step) * step, end = Math.ceil(hi / step) * step;
  const out = [];
  for (let v = start; v <= end + step / 2; v += step) out.push(Math.round(v / step) * step);
  return out;
}

const NS = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// The reference price of one commodity by period (points), and the floor of the schedule in
// force in each period that has one (floors: period → USD/t).
function chart(svg, points, floors) {
  const W = 720, H = 280, L = 64, R = 112, T = 34, B = 46;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  if (points.length === 0) {
    svg.appendChild(el("text", { x: 20, y: 40 }, "no reference prices published yet"));
    return;
  }
  const fl = points.filter((p) => floors.has(p.period)).map((p) => ({ period: p.period, value: floors.get(p.period) }));
  const all = points.map((p) => p.value).concat(fl.map((f) => f.value));
  // A margin above and below the data, so that no point sits on an axis.
  const dlo = Math.min(...all), dhi = Math.max(...all), pad = (dhi - dlo) * 0.08;
  const ys = ticks(dlo - pad, dhi + pad, 4);
  const lo = ys[0], hi = ys[ys.length - 1];
  const n = points.length;
  const IN = 28; // the first and last periods stand clear of the axes
  const xi = (i) => L + IN + (n === 1 ? (W - L - R - 2 * IN) / 2 : i * (W - L - R - 2 * IN) / (n - 1));
  const y = (v) => H - B - (v - lo) / (hi - lo) * (H - T - B);
  const index = new Map(points.map((p, i) => [p.period, i]));

  // y axis: gridlines, ticks, values, unit.
  const axes = el("g", { class: "axis", "font-size": 12, fill: "#444" });
  for (const v of ys) {
    axes.appendChild(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6e6e6" }));
    axes.appendChild(el("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end", class: "tick y" }, short(v)));
  }
  axes.appendChild(el("line", { x1: L, x2: L, y1: T - 6, y2: H - B, stroke: "#888" }));
  axes.appendChild(el("text", { x: L - 8, y: T - 14, "text-anchor": "end", class: "unit" }, "USD/t"));
  // x axis: one tick per period, labels thinned to fit.
  axes.appendChild(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#888" }));
  const every = Math.max(1, Math.ceil(n / 8));
  points.forEach((p, i) => {
    axes.appendChild(el("line", { x1: xi(i), x2: xi(i), y1: H - B, y2: H - B + 4, stroke: "#888" }));
    if (i % every === 0 || i === n - 1) {
      axes.appendChild(el("text", { x: xi(i), y: H - B + 17, "text-anchor": "middle", class: "tick x" }, p.period));
    }
  });
  axes.appendChild(el("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", class: "unit" }, "delivery period"));
  svg.appendChild(axes);

  // The reference price.
  svg.appendChild(el("polyline", {
    class: "reference", fill: "none", stroke: "#2463a6", "stroke-width": 2,
    points: points.map((p, i) => `${xi(i)},${y(p.value)}`).join(" "),
  }));
  points.forEach((p, i) => {
    const c = el("circle", { class: "point", cx: xi(i), cy: y(p.value), r: 4, fill: p.fallback ? "#d08000" : "#2463a6" });
    c.appendChild(el("title", {}, `${p.period}: ${usd(p.value)} USD/t (${p.method})`));
    svg.appendChild(c);
  });
  // The floor, over the reference (they coincide where the ratio is 100%): dashed, across
  // the plot when only one period has a schedule.
  if (fl.length > 0) {
    const pts = fl.length === 1
      ? [[L + IN, y(fl[0].value)], [W - R - IN, y(fl[0].value)]]
      : fl.map((f) => [xi(index.get(f.period)), y(f.value)]);
    svg.appendChild(el("polyline", {
      class: "floor", fill: "none", stroke: "#c0392b", "stroke-width": 2, "stroke-dasharray": "6 4",
      points: pts.map((q) => q.join(",")).join(" "),
    }));
  }
  // Value labels right of the last period: the floor's and the reference's, one above the
  // other where they would overlap.
  const lastP = points[n - 1];
  const yr = y(lastP.value);
  let ref = yr + 4, flo = null;
  if (fl.length > 0) {
    const f = fl[fl.length - 1], fx = fl.length === 1 ? W - R - IN : xi(index.get(f.period));
    const yf = y(f.value);
    flo = yf + 4;
    if (Math.abs(yf - yr) < 16) {
      const mid = (yf + yr) / 2;
      // The higher value above (the reference, when they are equal).
      [ref, flo] = lastP.value >= f.value ? [mid - 4, mid + 12] : [mid + 12, mid - 4];
    }
    svg.appendChild(el("text", { x: fx + 8, y: flo, fill: "#c0392b", "font-size": 12, class: "floor-label" },
      `floor ${label(f.value)}`));
  }
  svg.appendChild(el("text", { x: xi(n - 1) + 8, y: ref, fill: "#2463a6", "font-size": 12, class: "ref-label" },
    label(lastP.value)));

  // Legend.
  const lg = el("g", { "font-size": 12, fill: "#333", class: "legend" });
  lg.appendChild(el("line", { x1: L + 4, x2: L + 28, y1: 12, y2: 12, stroke: "#2463a6", "stroke-width": 2 }));
  lg.appendChild(el("text", { x: L + 34, y: 16 }, "reference price"));
  lg.appendChild(el("line", { x1: L + 150, x2: L + 174, y1: 12, y2: 12, stroke: "#c0392b", "stroke-width": 2, "stroke-dasharray": "6 4" }));
  lg.appendChild(el("text", { x: L + 180, y: 16 }, fl.length > 0 ? "floor (schedule in force)" : "floor: no schedule published"));
  if (points.some((p) => p.fallback)) {
    lg.appendChild(el("circle", { cx: L + 380, cy: 12, r: 4, fill: "#d08000" }));
    lg.appendChild(el("text", { x: L + 388, y: 16 }, "fallback"));
  }
  svg.appendChild(lg);
}

// Every published schedule in force, by period (filled once by main).
const schedules = new Map();

async function loadPrices(commodity) {
  const all = await getJson(`/v1/reference-prices?commodity=${encodeURIComponent(commodity)}`);
  const points = all.map((r) => ({ period: r.period, value: r.value_usd_per_t, method: r.method, fallback: r.fallback }));
  const floors = new Map();
  for (const [period, s] of schedules) {
    const f = s.floors.find((x) => x.commodity === commodity);
    if (f) floors.set(period, f.floor_usd_per_t);
  }
  chart(document.getElementById("price-chart"), points, floors);
  fill(document.querySelector("#price-table tbody"),
    all.map((r) => [r.period, usd(r.value_usd_per_t), floors.has(r.period) ? usd(floors.get(r.period)) : "–",
      r.method, `${r.used_count}/${r.inputs_count}`]));
}

async function loadSchedules() {
  const list = await getJson("/v1/schedule");
  const got = await Promise.all(list.map((s) => getJson(`/v1/schedule/${encodeURIComponent(s.period)}`)));
  for (const s of got) schedules.set(s.period, s);
  if (got.length === 0) {
    document.getElementById("schedule-period").textContent = "(none published)";
    return null;
  }
  const s = got[got.length - 1];
  document.getElementById("schedule-period").textContent = `${s.period} v${s.version}`;
  document.getElementById("schedule-note").textContent =
    `published ${when(s.published_at)}${s.reason ? ` — ${s.reason}` : ""}`;
  fill(document.querySelector("#floor-table tbody"),
    s.floors.map((f) => [f.commodity, usd(f.reference_usd_per_t), pct(f.ratio), usd(f.floor_usd_per_t), usd(f.cap_usd_per_t)]));
  fill(document.querySelector("#levy-table tbody"),
    s.rows.map((r) => [r.commodity, r.importer, r.origin, usd(r.origin_price_usd_per_t), r.origin_price_method,
      usd(r.transport_usd_per_t), usd(r.tariff_usd_per_t), usd(r.levy_usd_per_t)]));
  return s.period;
}

async function loadLedger() {
  const b = await getJson("/v1/ledger/balances");
  fill(document.querySelector("#holdings-table tbody"),
    b.holdings.map((h) => [h.vault, h.commodity, tonnes(h.inventory_t), usd(h.book_value_usd), tonnes(h.max_inventory_t)]));
  fill(document.querySelector("#money-table tbody"),
    b.money.map((m) => [m.vault, usd(m.budget_usd), usd(m.spent_usd), usd(m.budget_left_usd), usd(m.proceeds_usd)]));
  const txs = await getJson("/v1/ledger/transactions");
  fill(document.querySelector("#tx-table tbody"),
    txs.map((t) => [t.id, t.kind, t.actor, when(t.created_at),
      [t.body.vault, t.body.to_vault ? `→ ${t.body.to_vault}` : "", t.body.commodity,
        t.body.quantity_t !== undefined ? `${tonnes(t.body.quantity_t)} t` : "",
        t.body.price_usd_per_t !== undefined ? `at ${usd(t.body.price_usd_per_t)} USD/t` : "",
        t.body.initial_inventory_t !== undefined ? `opening inventory ${tonnes(t.body.initial_inventory_t)} t` : "",
        t.body.counterparty ? `(${t.body.counterparty})` : ""].filter(Boolean).join(" ")]));
}

async function calculate(form) {
  const out = document.getElementById("duty-result");
  const q = new URLSearchParams(new FormData(form)).toString();
  out.className = "";
  out.textContent = "…";
  const r = await fetch(`/v1/duty?${q}`);
  const d = await r.json();
  if (!r.ok) {
    out.className = "error";
    out.textContent = `${d.field ? d.field + ": " : ""}${d.message}`;
    return;
  }
  out.replaceChildren();
  const lines = [
    ["duty-total", `Total: ${cents(d.total_usd_per_t)} USD/t (${cents(d.total_usd)} USD for ${tonnes(d.quantity_t)} t)`],
    ["duty-tariff", `Tariff (${d.tariff.kind}): ${cents(d.tariff.usd_per_t)} USD/t — ${d.tariff.rule}`],
    ["duty-levy", `Levy: ${cents(d.levy.usd_per_t)} USD/t — ${d.levy.rule}`],
  ];
  for (const [id, text] of lines) {
    const p = document.createElement("p");
    p.id = id;
    p.textContent = text;
    out.appendChild(p);
  }
  out.dataset.total = String(d.total_usd_per_t);
}

// The first day of a period label (2026Q3 → 2026-07-01; 2026 → 2026-01-01).
function firstDay(period) {
  const m = /^(\d{4})(?:Q([1-4]))?$/.exec(period || "");
  if (!m) return "";
  const month = m[2] ? (Number(m[2]) - 1) * 3 + 1 : 1;
  return `${m[1]}-${String(month).padStart(2, "0")}-01`;
}

async function main() {
  const cfg = await getJson("/v1/config");
  document.getElementById("bloc-name").textContent = cfg.bloc;
  const sel = document.getElementById("price-commodity");
  options(sel, cfg.commodities);
  sel.addEventListener("change", () => loadPrices(sel.value));
  options(document.getElementById("duty-importer"), cfg.regions);
  options(document.getElementById("duty-exporter"), cfg.regions);
  options(document.getElementById("duty-commodity"), cfg.commodities);
  // A link may pre-fill the calculator (/?importer=USA&exporter=CHN&…&calculate=1) and pick
  // the chart's commodity (/?chart=li2co3).
  const params = new URLSearchParams(location.search);
  if (cfg.commodities.includes(params.get("chart"))) sel.value = params.get("chart");
  const form = document.getElementById("duty-form");
  for (const [k, v] of params) {
    if (form.elements[k]) form.elements[k].value = v;
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    calculate(form);
  });
  const [latest] = await Promise.all([loadSchedules(), loadLedger()]);
  // The calculator's date defaults to the start of the latest published schedule's period.
  if (!params.has("date") && latest) form.elements.date.value = firstDay(latest);
  await loadPrices(sel.value);
  if (params.get("calculate") === "1") form.requestSubmit();
  document.body.dataset.ready = "1";
}

main().catch((e) => {
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = `dashboard failed: ${e.message}`;
  document.body.prepend(p);
  console.error(e);
});
