// parkir live dashboard: a map of the city's parking points drawn from their coordinates (no tiles),
// one point's day as a chart, tariff decisions with their reasons, silent sensors and what is
// published. Data from the open-data handler (api/state, api/zones/<id>/series); live through SSE.
/* global uPlot */

const TEXT = {
  id: {
    title: "Parkir tepi jalan",
    map: "Peta titik parkir",
    detail: "Titik terpilih",
    pick: "Pilih titik di peta.",
    decisions: "Keputusan tarif",
    time: "Waktu",
    point: "Titik",
    vehicle: "Kendaraan",
    price: "Tarif",
    reason: "Alasan",
    health: "Sensor diam",
    publication: "Data yang dipublikasikan",
    dataset: "Dataset",
    access: "Status",
    decision: "Keputusan PPID",
    switchTo: "English",
    public: "publik",
    excluded: "dikecualikan",
    occupancy: "Keterisian",
    coverage: "Cakupan data",
    capacity: "Kapasitas",
    detection: "Cara deteksi",
    priceCar: "Tarif mobil",
    priceMoto: "Tarif sepeda motor",
    unknown: "tidak diketahui",
    updated: "Data sampai",
    live: "langsung",
    offline: "terputus",
    none: "Tidak ada.",
    noDecisions: "Belum ada keputusan tarif.",
    sensors: "sensor",
    sensor: "sensor",
    car: "mobil",
    motorcycle: "sepeda motor",
    three_wheeler: "roda tiga",
    heavy: "kendaraan berat",
    per_visit: "per kunjungan",
    per_hour: "per jam",
    per_minute: "per menit",
    per_day: "per hari",
    per_stay: "per parkir",
    legendLow: "< 60 %",
    legendMid: "60–85 %",
    legendHigh: "> 85 %",
    legendUnknown: "tidak diketahui",
    legendSize: "ukuran = kapasitas",
    up: "naik",
    down: "turun",
    held: "ditahan",
    reasonUp: "keterisian rata-rata {occ} di atas batas → tarif {dir} {delta}",
    reasonDown: "keterisian rata-rata {occ} di bawah batas → tarif {dir} {delta}",
    reasonFrozen: "keterisian rata-rata {occ}; tarif dibekukan, tidak berubah",
    reasonOverride: "ditetapkan petugas",
    bounded: "dibatasi batas tarif",
    coverageNote: "cakupan {cov}",
    chartOcc: "Keterisian %",
    fieldExcluded: "kolom dikecualikan",
    band: { morning: "pagi", afternoon: "siang", evening: "malam", always: "sepanjang hari" },
    det: {
      singleSpaceDetection: "sensor per petak",
      balancing: "penghitung gerbang",
      manual: "hitungan juru parkir",
      modelBased: "model",
    },
    feedsLabel: "Umpan data:",
    synthetic: "data sintetis",
  },
  en: {
    title: "On-street parking",
    map: "Map of parking points",
    detail: "Selected point",
    pick: "Pick a point on the map.",
    decisions: "Tariff decisions",
    time: "Time",
    point: "Point",
    vehicle: "Vehicle",
    price: "Price",
    reason: "Reason",
    health: "Silent sensors",
    publication: "Published data",
    dataset: "Dataset",
    access: "Status",
    decision: "PPID decision",
    switchTo: "Bahasa Indonesia",
    public: "public",
    excluded: "excluded",
    occupancy: "Occupancy",
    coverage: "Data coverage",
    capacity: "Capacity",
    detection: "Detection",
    priceCar: "Car price",
    priceMoto: "Motorcycle price",
    unknown: "unknown",
    updated: "Data until",
    live: "live",
    offline: "disconnected",
    none: "None.",
    noDecisions: "No tariff decisions yet.",
    sensors: "sensors",
    sensor: "sensor",
    car: "car",
    motorcycle: "motorcycle",
    three_wheeler: "three-wheeler",
    heavy: "heavy vehicle",
    per_visit: "per visit",
    per_hour: "per hour",
    per_minute: "per minute",
    per_day: "per day",
    per_stay: "per stay",
    legendLow: "< 60 %",
    legendMid: "60–85 %",
    legendHigh: "> 85 %",
    legendUnknown: "unknown",
    legendSize: "size = capacity",
    up: "up",
    down: "down",
    held: "held",
    reasonUp: "mean occupancy {occ} above the band → price {dir} {delta}",
    reasonDown: "mean occupancy {occ} below the band → price {dir} {delta}",
    reasonFrozen: "mean occupancy {occ}; price frozen, unchanged",
    reasonOverride: "set by an operator",
    bounded: "limited by the tariff bounds",
    coverageNote: "coverage {cov}",
    chartOcc: "Occupancy %",
    fieldExcluded: "field excluded",
    band: { morning: "morning", afternoon: "afternoon", evening: "evening", always: "all day" },
    det: {
      singleSpaceDetection: "bay sensors",
      balancing: "gate counters",
      manual: "attendant counts",
      modelBased: "model",
    },
    feedsLabel: "Feeds:",
    synthetic: "synthetic data",
  },
};

const state = { lang: "id", data: null, selected: null, series: null, chart: null, connected: false };
const SVG = "http://www.w3.org/2000/svg";

function t(key) {
  return TEXT[state.lang][key] ?? key;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

function money(minor) {
  if (minor === null || minor === undefined) return "—";
  return `Rp ${Math.round(minor).toLocaleString("id-ID")}`;
}

function pct(x) {
  return x === null || x === undefined ? t("unknown") : `${Math.round(x * 100)} %`;
}

function zoneLabel(tz) {
  return tz === "Asia/Makassar"
    ? "WITA"
    : tz === "Asia/Jakarta"
      ? "WIB"
      : tz === "Asia/Jayapura"
        ? "WIT"
        : tz;
}

function clock(ms) {
  const tz = state.data.city.timeZone;
  const f = new Intl.DateTimeFormat(state.lang === "id" ? "id-ID" : "en-GB", {
    timeZone: tz,
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  return `${f.format(new Date(ms))} ${zoneLabel(tz)}`;
}

function colour(occ) {
  if (occ === null || occ === undefined) return "#9aa3a6";
  if (occ > 0.85) return "#c62828";
  if (occ >= 0.6) return "#f0a202";
  return "#2e9e5b";
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

// Equirectangular projection around the points' centre, with x scaled by cos(latitude).
function projection(points, width, height, pad) {
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const minLat = Math.min(...lats);
  const maxLat = Math.max(...lats);
  const minLon = Math.min(...lons);
  const maxLon = Math.max(...lons);
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const s = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const ox = (width - spanX * s) / 2;
  const oy = (height - spanY * s) / 2;
  return {
    x: (lon) => ox + (lon - minLon) * k * s,
    y: (lat) => oy + (maxLat - lat) * s,
    metresPerPx: 111320 / s,
  };
}

function drawMap() {
  const map = document.getElementById("map");
  const points = state.data.points;
  while (map.lastChild && map.lastChild.nodeName !== "title") map.removeChild(map.lastChild);
  if (points.length === 0) return;
  const W = 800;
  const H = 600;
  const p = projection(points, W, H, 40);
  map.appendChild(svg("rect", { x: 0, y: 0, width: W, height: H, class: "land" }));
  for (let i = 1; i < 8; i++)
    map.appendChild(svg("line", { x1: (W / 8) * i, y1: 0, x2: (W / 8) * i, y2: H, class: "grid" }));
  for (let i = 1; i < 6; i++)
    map.appendChild(svg("line", { x1: 0, y1: (H / 6) * i, x2: W, y2: (H / 6) * i, class: "grid" }));
  const maxCap = Math.max(1, ...points.map((q) => q.capacity ?? 1));
  const sorted = [...points].sort((a, b) => (b.capacity ?? 0) - (a.capacity ?? 0));
  for (const q of sorted) {
    const r = 3 + 9 * Math.sqrt((q.capacity ?? 1) / maxCap);
    const c = svg("circle", {
      cx: p.x(q.lon).toFixed(1),
      cy: p.y(q.lat).toFixed(1),
      r: r.toFixed(1),
      fill: colour(q.occupancy),
      class: q.id === state.selected ? "pt sel" : "pt",
      "data-zone": q.id,
      "data-occupancy": q.occupancy === null || q.occupancy === undefined ? "unknown" : String(q.occupancy),
      tabindex: 0,
    });
    const title = svg("title", {});
    title.textContent = `${q.id} ${q.name ?? ""} — ${pct(q.occupancy)}`;
    c.appendChild(title);
    c.addEventListener("click", () => select(q.id));
    c.addEventListener("keydown", (e) => {
      if (e.key === "Enter") select(q.id);
    });
    map.appendChild(c);
  }
  // Scale bar: the round length closest to a fifth of the width.
  const target = (W / 5) * p.metresPerPx;
  const steps = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
  const metres = steps.reduce(
    (best, s) => (Math.abs(s - target) < Math.abs(best - target) ? s : best),
    steps[0],
  );
  const len = metres / p.metresPerPx;
  const y = H - 20;
  map.appendChild(svg("path", { d: `M20 ${y - 6} V${y} H${20 + len} V${y - 6}`, class: "scale" }));
  const label = svg("text", { x: 20, y: y - 10 });
  label.textContent = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
  map.appendChild(label);
  const north = svg("text", { x: W - 24, y: 24 });
  north.textContent = "U/N ↑";
  map.appendChild(north);
}

function drawLegend() {
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  for (const [key, occ] of [
    ["legendLow", 0.3],
    ["legendMid", 0.7],
    ["legendHigh", 0.9],
    ["legendUnknown", null],
  ]) {
    const span = el("span");
    const dot = el("i");
    dot.style.background = colour(occ);
    span.append(dot, t(key));
    legend.append(span);
  }
  legend.append(el("span", {}, t("legendSize")));
}

function priceText(amount, per) {
  if (amount === null || amount === undefined) return "—";
  return `${money(amount)} ${per ? t(`per_${per}`) : ""}`.trim();
}

function drawDetail() {
  const q = state.data.points.find((x) => x.id === state.selected);
  document.getElementById("detail-empty").hidden = q !== undefined;
  document.getElementById("detail-body").hidden = q === undefined;
  if (q === undefined) return;
  document.getElementById("zone-name").textContent = `${q.id} — ${q.name ?? ""}`;
  const facts = document.getElementById("zone-facts");
  facts.replaceChildren();
  const add = (k, v) => facts.append(el("dt", {}, t(k)), el("dd", {}, v));
  if ("occupancy" in q) add("occupancy", pct(q.occupancy));
  if ("coverage" in q) add("coverage", pct(q.coverage));
  if ("capacity" in q) add("capacity", String(q.capacity));
  if ("detection" in q) add("detection", TEXT[state.lang].det[q.detection] ?? q.detection);
  if ("price_car" in q) add("priceCar", priceText(q.price_car, q.price_per_car));
  if ("price_motorcycle" in q) add("priceMoto", priceText(q.price_motorcycle, q.price_per_motorcycle));
  if ("sensors_unhealthy" in q) add("health", String(q.sensors_unhealthy));
  drawChart();
}

function drawChart() {
  const box = document.getElementById("chart");
  if (state.chart) {
    state.chart.destroy();
    state.chart = null;
  }
  box.replaceChildren();
  const s = state.series;
  if (!s || s.zone !== state.selected || s.endMs.length === 0) return;
  const xs = s.endMs.map((ms) => ms / 1000);
  const data = [xs];
  const series = [{}];
  if (s.occupancy) {
    data.push(s.occupancy.map((v) => (v === null ? null : Math.round(v * 1000) / 10)));
    series.push({ label: t("chartOcc"), stroke: "#0b6e4f", width: 2, scale: "%", spanGaps: false });
  }
  if (s.priceCar) {
    data.push(s.priceCar);
    series.push({
      label: t("priceCar"),
      stroke: "#c62828",
      width: 1.5,
      scale: "Rp",
      value: (_, v) => money(v),
    });
  }
  if (s.priceMotorcycle) {
    data.push(s.priceMotorcycle);
    series.push({
      label: t("priceMoto"),
      stroke: "#3559c7",
      width: 1.5,
      scale: "Rp",
      dash: [4, 3],
      value: (_, v) => money(v),
    });
  }
  const tz = state.data.city.timeZone;
  const width = Math.max(300, box.clientWidth || 420);
  state.chart = new uPlot(
    {
      width,
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
      series,
      scales: {
        "%": { range: [0, 100] },
        Rp: { range: (_u, _min, max) => [0, Math.max(1000, max ?? 0) * 1.15] },
      },
      axes: [
        { values: "{HH}:{mm}", label: zoneLabel(tz), labelSize: 18 },
        { scale: "%", values: (_, vals) => vals.map((v) => `${v} %`), size: 60 },
        {
          scale: "Rp",
          side: 1,
          grid: { show: false },
          values: (_, vals) => vals.map((v) => money(v)),
          size: 80,
        },
      ],
      legend: { live: false },
    },
    data,
    box,
  );
}

function reasonText(d) {
  const T = TEXT[state.lang];
  if (d.controller === "override") return T.reasonOverride;
  const occ = d.occupancy === null ? T.unknown : `${Math.round(d.occupancy * 100)} %`;
  let text;
  if (d.frozen) text = fill(T.reasonFrozen, { occ });
  else {
    const delta = d.newPrice - d.oldPrice;
    const dir = delta > 0 ? T.up : delta < 0 ? T.down : T.held;
    text = fill(delta >= 0 ? T.reasonUp : T.reasonDown, { occ, dir, delta: money(Math.abs(delta)) });
  }
  if (d.bounded) text += `; ${T.bounded}`;
  if (d.coverage !== null && d.coverage < 0.999)
    text += ` (${fill(T.coverageNote, { cov: `${Math.round(d.coverage * 100)} %` })})`;
  return text;
}

function drawDecisions() {
  const body = document.querySelector("#decisions tbody");
  body.replaceChildren();
  const ds = state.data.decisions;
  if (ds === null || ds.length === 0) {
    const tr = el("tr");
    tr.append(el("td", { colspan: 5 }, ds === null ? t("fieldExcluded") : t("noDecisions")));
    body.append(tr);
    return;
  }
  const names = new Map(state.data.points.map((p) => [p.id, p.name]));
  for (const d of [...ds].reverse().slice(0, 200)) {
    const tr = el("tr");
    const cls = d.newPrice > d.oldPrice ? "up" : d.newPrice < d.oldPrice ? "down" : "held";
    const band = TEXT[state.lang].band[d.band] ?? d.band;
    const reason = el("td", d.rule ? { title: d.rule } : {}, reasonText(d));
    tr.append(
      el("td", {}, clock(d.effectiveMs)),
      el("td", {}, `${d.zone} ${names.get(d.zone) ?? ""}`),
      el("td", {}, `${t(d.vehicleType)} · ${band}`),
      el(
        "td",
        { class: cls },
        `${money(d.oldPrice)} → ${money(d.newPrice)}${d.per ? ` ${t(`per_${d.per}`)}` : ""}`,
      ),
      reason,
    );
    body.append(tr);
  }
}

function drawHealth() {
  const list = document.getElementById("health");
  list.replaceChildren();
  const bad = state.data.points.filter((p) => (p.sensors_unhealthy ?? 0) > 0);
  if (!state.data.points.some((p) => "sensors_unhealthy" in p)) list.append(el("li", {}, t("fieldExcluded")));
  else if (bad.length === 0) list.append(el("li", {}, t("none")));
  for (const p of bad) {
    const li = el(
      "li",
      { "data-zone": p.id },
      `${p.id} ${p.name ?? ""}: ${p.sensors_unhealthy} ${t(p.sensors_unhealthy === 1 ? "sensor" : "sensors")}`,
    );
    li.addEventListener("click", () => select(p.id));
    list.append(li);
  }
}

function drawPublication() {
  const body = document.querySelector("#publication tbody");
  body.replaceChildren();
  for (const d of state.data.publication) {
    const tr = el("tr", { "data-dataset": d.dataset });
    const fields = d.fields
      .filter((f) => f.access !== d.access)
      .map((f) => `${f.field}: ${t(f.access)} (${f.reference})`);
    tr.append(
      el("td", {}, d.title[state.lang]),
      el("td", { class: d.access }, t(d.access)),
      el("td", {}, [d.reference, ...fields].join("; ")),
    );
    body.append(tr);
  }
  const feeds = document.getElementById("feeds");
  feeds.replaceChildren(t("feedsLabel"), " ");
  for (const [label, href] of [
    ["DCAT", "catalog"],
    ["GeoJSON", "geojson/points"],
    ["CDS Curbs", "curbs/zones"],
    ["CDS Events", "events/events"],
    ["CDS Metrics", "metrics/aggregates"],
    ["NGSI-LD", "ngsi-ld/v1/entities?type=OnStreetParking"],
  ])
    feeds.append(el("a", { href }, label));
}

function drawStatus() {
  const d = state.data;
  const when = d.updatedMs === null ? "—" : clock(d.updatedMs);
  document.getElementById("status").textContent =
    `${t("updated")} ${when} · ${state.connected ? t("live") : t("offline")}`;
  document.getElementById("city").textContent = d.city.synthetic
    ? `${d.city.name} (${t("synthetic")})`
    : d.city.name;
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.getAttribute("data-i18n"));
  document.getElementById("lang").textContent = t("switchTo");
  document.title = `${t("title")} — ${state.data?.city.name ?? ""}`;
}

function render() {
  if (!state.data) return;
  applyLanguage();
  drawStatus();
  drawMap();
  drawLegend();
  drawDetail();
  drawDecisions();
  drawHealth();
  drawPublication();
}

async function loadSeries() {
  if (!state.selected) return;
  try {
    state.series = await getJson(`api/zones/${encodeURIComponent(state.selected)}/series`);
  } catch {
    state.series = null;
  }
}

async function select(id) {
  state.selected = id;
  await loadSeries();
  drawMap();
  drawDetail();
}

async function refresh() {
  state.data = await getJson("api/state");
  await loadSeries();
  render();
  document.body.dataset.version = String(state.data.version);
}

let pending = null;
function scheduleRefresh() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    refresh().catch(() => {});
  }, 200);
}

function connect() {
  const es = new EventSource("api/stream");
  es.addEventListener("open", () => {
    state.connected = true;
    if (state.data) drawStatus();
  });
  es.addEventListener("error", () => {
    state.connected = false;
    if (state.data) drawStatus();
  });
  es.addEventListener("update", scheduleRefresh);
}

document.getElementById("lang").addEventListener("click", () => {
  state.lang = state.lang === "id" ? "en" : "id";
  render();
});

refresh()
  .then(() => {
    document.body.dataset.ready = "true";
    connect();
  })
  .catch((e) => {
    document.getElementById("status").textContent = String(e.message ?? e);
  });
