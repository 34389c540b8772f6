// The dashboard: reads the public API of the same service; no external scripts.
"use strict";

const fmt = (x) => Number(x).toLocaleString("en-US", { maximumFractionDigits: 2 });

async function getJson(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || r.statusText);
  return body;
}

function fill(tbody, rows) {
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

function chart(svg, points) {
  const NS = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const W = 640, H = 240, P = 40;
  if (points.length === 0) {
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", 20); t.setAttribute("y", 30);
    t.textContent = "no reference prices published yet";
    svg.appendChild(t);
    return;
  }
  const ys = points.map((p) => p.value);
  const lo = Math.min(...ys) * 0.95, hi = Math.max(...ys) * 1.05 || 1;
  const x = (i) => P + (points.length === 1 ? (W - 2 * P) / 2 : i * (W - 2 * P) / (points.length - 1));
  const y = (v) => H - P - (v - lo) / (hi - lo || 1) * (H - 2 * P);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#2463a6");
  line.setAttribute("stroke-width", "2");
  line.setAttribute("points", points.map((p, i) => `${x(i)},${y(p.value)}`).join(" "));
  svg.appendChild(line);
  points.forEach((p, i) => {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", x(i)); c.setAttribute("cy", y(p.value)); c.setAttribute("r", 4);
    c.setAttribute("fill", p.fallback ? "#d08000" : "#2463a6");
    const title = document.createElementNS(NS, "title");
    title.textContent = `${p.period}: ${fmt(p.value)} USD/t (${p.method})`;
    c.appendChild(title);
    svg.appendChild(c);
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", x(i) - 18); t.setAttribute("y", H - 12);
    t.setAttribute("font-size", "11");
    t.textContent = p.period;
    svg.appendChild(t);
  });
}

async function loadPrices(commodity) {
  const all = await getJson(`/v1/reference-prices?commodity=${encodeURIComponent(commodity)}`);
  const points = all.map((r) => ({ period: r.period, value: r.value_usd_per_t, method: r.method, fallback: r.fallback }));
  chart(document.getElementById("price-chart"), points);
  fill(document.querySelector("#price-table tbody"),
    all.map((r) => [r.period, fmt(r.value_usd_per_t), r.method, `${r.used_count}/${r.inputs_count}`]));
}

async function loadSchedule() {
  const list = await getJson("/v1/schedule");
  if (list.length === 0) {
    document.getElementById("schedule-period").textContent = "(none published)";
    return;
  }
  const latest = list[list.length - 1];
  const s = await getJson(`/v1/schedule/${latest.period}`);
  document.getElementById("schedule-period").textContent = `${s.period} v${s.version}`;
  fill(document.querySelector("#floor-table tbody"),
    s.floors.map((f) => [f.commodity, fmt(f.reference_usd_per_t), f.ratio, fmt(f.floor_usd_per_t), fmt(f.cap_usd_per_t)]));
  fill(document.querySelector("#levy-table tbody"),
    s.rows.map((r) => [r.commodity, r.importer, r.origin, fmt(r.origin_price_usd_per_t), fmt(r.transport_usd_per_t), fmt(r.tariff_usd_per_t), fmt(r.levy_usd_per_t)]));
}

async function loadLedger() {
  const b = await getJson("/v1/ledger/balances");
  fill(document.querySelector("#holdings-table tbody"),
    b.holdings.map((h) => [h.vault, h.commodity, fmt(h.inventory_t), fmt(h.book_value_usd), fmt(h.max_inventory_t)]));
  fill(document.querySelector("#money-table tbody"),
    b.money.map((m) => [m.vault, fmt(m.budget_usd), fmt(m.spent_usd), fmt(m.budget_left_usd), fmt(m.proceeds_usd)]));
  const txs = await getJson("/v1/ledger/transactions");
  fill(document.querySelector("#tx-table tbody"),
    txs.map((t) => [t.id, t.kind, t.actor, t.created_at,
      [t.body.vault, t.body.commodity, t.body.quantity_t !== undefined ? `${t.body.quantity_t} t` : ""].filter(Boolean).join(" ")]));
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
    ["duty-total", `Total: ${fmt(d.total_usd_per_t)} USD/t (${fmt(d.total_usd)} USD for ${fmt(d.quantity_t)} t)`],
    ["duty-tariff", `Tariff (${d.tariff.kind}): ${fmt(d.tariff.usd_per_t)} USD/t — ${d.tariff.rule}`],
    ["duty-levy", `Levy: ${fmt(d.levy.usd_per_t)} USD/t — ${d.levy.rule}`],
  ];
  for (const [id, text] of lines) {
    const p = document.createElement("p");
    p.id = id;
    p.textContent = text;
    out.appendChild(p);
  }
  out.dataset.total = String(d.total_usd_per_t);
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
  // A link may pre-fill the calculator: /?importer=USA&exporter=CHN&…&calculate=1
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("duty-form");
  for (const [k, v] of params) {
    if (form.elements[k]) form.elements[k].value = v;
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    calculate(form);
  });
  await Promise.all([loadPrices(sel.value), loadSchedule(), loadLedger()]);
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
