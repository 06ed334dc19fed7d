/**
 * The daily report as one self-contained HTML file (no script, style or font from the network):
 * occupancy heat map point × hour, hours above 85 % and below 60 %, revenue for cars and motorcycles
 * under the flat and the dynamic tariff, every tariff decision with its reason, sensor health, data
 * coverage and a map. Bahasa Indonesia by default, English by a switch; times in the city's zone.
 */
import { VEHICLE_CODES, vehicleCode } from "../catalog/vehicles.js";
import { zoneCapacity } from "../opendata/hub.js";
import type { TariffDecision } from "../pricing/decision.js";
import { dayNumberOfDate } from "../pricing/localtime.js";
import type { DayData } from "./day.js";
import { dateTime, hhmm, money, percent, zoneLabel } from "./format.js";

/** Occupancy above which a point counts as full (the report's upper band). */
export const HIGH = 0.85;
/** Occupancy below which a point counts as under-used (the report's lower band). */
export const LOW = 0.6;

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
/** Bilingual text: both spans are written, CSS shows the one of the page's language. */
const L = (id: string, en: string) => `<span lang="id">${id}</span><span lang="en">${en}</span>`;

/** Per-point figures of the report's day. */
export interface PointDay {
  readonly zone: number;
  /** Occupancy per local hour 0..23, NaN where the source was offline or nothing was known. */
  readonly hourly: Float64Array;
  /** Coverage per local hour. */
  readonly coverage: Float64Array;
  readonly hoursHigh: number;
  readonly hoursLow: number;
  readonly hoursKnown: number;
  readonly meanOccupancy: number;
  /** Occupancy of the busiest hour with data, NaN when no hour had data. */
  readonly peakOccupancy: number;
  readonly meanCoverage: number;
}

/** The local date the report covers: the date of the last event by default. */
export function reportDate(day: DayData): string {
  return day.hub.localHour(day.lastEventMs).date;
}

/** Per-point hourly figures for `date`. */
export function pointDays(day: DayData, date: string): PointDay[] {
  const { hub, city } = day;
  const rows = hub.hourRows().filter((h) => h.date === date);
  const out: PointDay[] = [];
  for (let z = 0; z < city.zoneCount; z++) {
    const hourly = new Float64Array(24).fill(Number.NaN);
    const coverage = new Float64Array(24);
    let high = 0;
    let low = 0;
    let known = 0;
    let sum = 0;
    let cov = 0;
    let peak = Number.NaN;
    for (const h of rows) {
      const f = hub.hourFigures(h.startMs, z);
      if (f === null) continue;
      hourly[h.hour] = f.occupancy;
      coverage[h.hour] = f.coverage;
      cov += f.coverage;
      if (Number.isNaN(f.occupancy)) continue;
      known++;
      sum += f.occupancy;
      if (!(peak >= f.occupancy)) peak = f.occupancy;
      if (f.occupancy > HIGH) high++;
      if (f.occupancy < LOW) low++;
    }
    out.push({
      zone: z,
      hourly,
      coverage,
      hoursHigh: high,
      hoursLow: low,
      hoursKnown: known,
      meanOccupancy: known > 0 ? sum / known : Number.NaN,
      peakOccupancy: peak,
      meanCoverage: rows.length > 0 ? cov / rows.length : 0,
    });
  }
  return out;
}

function heatColour(occ: number): string {
  if (Number.isNaN(occ)) return "#d9dcdd";
  // White → amber → red, in steps a printer keeps apart.
  const stops = [
    [0, [240, 247, 242]],
    [0.6, [253, 224, 140]],
    [0.85, [240, 120, 60]],
    [1, [178, 24, 43]],
  ] as const;
  let i = 0;
  while (i < stops.length - 2 && occ > stops[i + 1]![0]) i++;
  const [a, ca] = stops[i]!;
  const [b, cb] = stops[i + 1]!;
  const k = Math.min(1, Math.max(0, (occ - a) / (b - a)));
  const c = ca.map((v, j) => Math.round(v + (cb[j]! - v) * k));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function pointColour(occ: number): string {
  if (Number.isNaN(occ)) return "#9aa3a6";
  if (occ > HIGH) return "#c62828";
  if (occ >= LOW) return "#f0a202";
  return "#2e9e5b";
}

const VEHICLE_ID: Readonly<Record<string, string>> = {
  car: "mobil",
  motorcycle: "sepeda motor",
  three_wheeler: "roda tiga",
  heavy: "kendaraan berat",
};
const BAND_ID: Readonly<Record<string, string>> = { morning: "pagi", afternoon: "siang", evening: "malam" };
const PER: Readonly<Record<string, [string, string]>> = {
  visit: ["per kunjungan", "per visit"],
  hour: ["per jam", "per hour"],
  minute: ["per menit", "per minute"],
  day: ["per hari", "per day"],
  stay: ["per parkir", "per stay"],
};
const HEALTH: Readonly<Record<string, [string, string]>> = {
  silent: ["diam (tanpa pesan)", "silent (no message)"],
  lost: ["komunikasi putus", "communication lost"],
  decommissioned: ["dinonaktifkan", "decommissioned"],
  recovered: ["pulih", "recovered"],
};
const DETECTION: Readonly<Record<string, [string, string]>> = {
  singleSpaceDetection: ["sensor per petak", "bay sensors"],
  balancing: ["penghitung gerbang", "gate counters"],
  manual: ["hitungan juru parkir", "attendant counts"],
  modelBased: ["model", "model"],
};

/** The reason of a decision in words, in both languages. */
export function decisionReason(d: TariffDecision, currency: string): string {
  if (d.controller === "override")
    return L(`ditetapkan petugas: ${esc(d.rule)}`, `set by an operator: ${esc(d.rule)}`);
  const occ = d.occupancy === null ? "—" : percent(d.occupancy);
  const delta = d.newPrice - d.oldPrice;
  const amount = money(Math.abs(delta), currency);
  let id: string;
  let en: string;
  if (d.frozen) {
    id = `keterisian rata-rata ${occ}; tarif dibekukan, tidak berubah`;
    en = `mean occupancy ${occ}; price frozen, unchanged`;
  } else if (delta >= 0) {
    id = `keterisian rata-rata ${occ} di atas batas → tarif naik ${amount}`;
    en = `mean occupancy ${occ} above the band → price up ${amount}`;
  } else {
    id = `keterisian rata-rata ${occ} di bawah batas → tarif turun ${amount}`;
    en = `mean occupancy ${occ} below the band → price down ${amount}`;
  }
  if (d.bounded) {
    id += "; dibatasi batas tarif";
    en += "; limited by the tariff bounds";
  }
  if (d.coverage !== null && d.coverage < 0.999) {
    id += ` (cakupan data ${percent(d.coverage)})`;
    en += ` (data coverage ${percent(d.coverage)})`;
  }
  return L(esc(id), `${esc(en)} <small>[${esc(d.rule)}]</small>`);
}

/** Renders the report. */
export function renderReport(day: DayData, date = reportDate(day)): string {
  const { city, hub } = day;
  const clock = hub.clock;
  const tz = zoneLabel(city.timeZone);
  const cur = city.currency;
  const points = pointDays(day, date);
  const dayRec = clock.day(dayNumberOfDate(date));
  const inDay = (t: number) => t >= dayRec.startMs && t < dayRec.endMs;
  const name = (id: string) => city.zones[city.zoneIndex(id)]?.name ?? id;
  const out: string[] = [];
  out.push(`<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Laporan harian parkir ${esc(city.name)} ${date}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>${L(`Laporan harian parkir ${esc(city.name)}`, `${esc(city.name)} daily parking report`)} — ${date}</h1>
<button id="lang" type="button">${L("English", "Bahasa Indonesia")}</button></header>
<main>`);
  // Summary.
  const decisionsToday = day.decisions.filter((d) => inDay(d.effectiveMs));
  const healthToday = day.health.filter((h) => inDay(h.atMs));
  const totals = { carFlat: 0, carDyn: 0, carVisits: 0, motoFlat: 0, motoDyn: 0, motoVisits: 0 };
  for (const r of day.revenue) {
    totals.carFlat += r.car.flatMinor;
    totals.carDyn += r.car.dynamicMinor;
    totals.carVisits += r.car.visits;
    totals.motoFlat += r.motorcycle.flatMinor;
    totals.motoDyn += r.motorcycle.dynamicMinor;
    totals.motoVisits += r.motorcycle.visits;
  }
  const zoneHours = points.reduce((s, p) => s + (zoneCapacity(city, p.zone) > 0 ? 24 : 0), 0);
  const knownHours = points.reduce((s, p) => s + p.hoursKnown, 0);
  out.push(`<section id="summary"><h2>${L("Ringkasan", "Summary")}</h2>
<p>${L(
    `${city.zoneCount} titik parkir, ${city.bayCount} petak bersensor. Semua waktu dalam ${tz} (${esc(city.timeZone)}).`,
    `${city.zoneCount} parking points, ${city.bayCount} bays with sensors. All times in ${tz} (${esc(city.timeZone)}).`,
  )}${city.synthetic ? ` <strong>${L("Data sintetis, bukan survei.", "Synthetic data, not a survey.")}</strong>` : ""}</p>
<dl>
<dt>${L("Periode data", "Data period")}</dt><dd>${dateTime(clock, day.firstEventMs)} – ${dateTime(clock, day.lastEventMs)} ${tz}</dd>
<dt>${L("Kejadian", "Events")}</dt><dd>${day.events} (${L("diterima", "accepted")} ${day.accepted}, ${L("duplikat", "duplicate")} ${day.duplicate}, ${L("terlambat", "late")} ${day.late}, ${L("tak dikenal", "unknown")} ${day.unknown})</dd>
<dt>${L("Jendela 5 menit", "5-minute windows")}</dt><dd>${day.windows}</dd>
<dt>${L("Keputusan tarif hari ini", "Tariff decisions today")}</dt><dd>${decisionsToday.length}</dd>
<dt>${L("Cakupan data", "Data coverage")}</dt><dd>${zoneHours > 0 ? percent(knownHours / zoneHours) : "—"} ${L("jam-titik dengan data", "of point-hours with data")}</dd>
<dt>${L("Pendapatan mobil", "Car revenue")}</dt><dd>${L("tarif tetap", "flat")} ${money(totals.carFlat, cur)} · ${L("dinamis", "dynamic")} ${money(totals.carDyn, cur)} (${totals.carVisits} ${L("kunjungan", "visits")})</dd>
<dt>${L("Pendapatan sepeda motor", "Motorcycle revenue")}</dt><dd>${L("tarif tetap", "flat")} ${money(totals.motoFlat, cur)} · ${L("dinamis", "dynamic")} ${money(totals.motoDyn, cur)} (${totals.motoVisits} ${L("kunjungan", "visits")})</dd>
<dt>${L("Parkir tak dibayar (sensor)", "Unpaid stays (sensors)")}</dt><dd>${day.unpaidStays}; ${L("perkiraan kebocoran", "estimated leakage")} ${money(day.leakageMinor, cur)}</dd>
</dl></section>`);
  // Map.
  out.push(`<section id="map-section"><h2>${L("Peta: keterisian pada jam tersibuk tiap titik", "Map: occupancy in each point's busiest hour")}</h2>${mapSvg(day, points)}
<p class="legend"><i style="background:${pointColour(0.3)}"></i>&lt; 60 % <i style="background:${pointColour(0.7)}"></i>60–85 % <i style="background:${pointColour(0.9)}"></i>&gt; 85 % <i style="background:${pointColour(Number.NaN)}"></i>${L("tidak diketahui", "unknown")} · ${L("ukuran = kapasitas", "size = capacity")}</p></section>`);
  // Heat map with hours above/below and coverage.
  const hours = Array.from({ length: 24 }, (_, h) => `<th>${String(h).padStart(2, "0")}</th>`).join("");
  out.push(`<section id="heatmap-section"><h2>${L("Keterisian per titik dan jam", "Occupancy by point and hour")} (${tz})</h2>
<p>${L(`Sel abu-abu: sumber data terputus lebih dari separuh jam. Jam &gt; 85 % dan &lt; 60 % dihitung dari jam yang datanya ada.`, `Grey cells: the source was offline for most of the hour. Hours &gt; 85 % and &lt; 60 % count hours with data.`)}</p>
<div class="scroll"><table id="heatmap"><thead><tr><th>${L("Titik", "Point")}</th>${hours}<th>${L("Jam &gt; 85 %", "Hours &gt; 85 %")}</th><th>${L("Jam &lt; 60 %", "Hours &lt; 60 %")}</th><th>${L("Cakupan", "Coverage")}</th><th>${L("Deteksi", "Detection")}</th></tr></thead><tbody>`);
  for (const p of points) {
    const zone = city.zones[p.zone]!;
    const cells: string[] = [];
    for (let h = 0; h < 24; h++) {
      const v = p.hourly[h]!;
      const txt = Number.isNaN(v) ? "" : String(Math.round(v * 100));
      cells.push(
        `<td style="background:${heatColour(v)}" title="${esc(zone.id)} ${String(h).padStart(2, "0")}:00 ${Number.isNaN(v) ? "—" : percent(v)}">${txt}</td>`,
      );
    }
    const det = hub.zoneNow(p.zone).detection;
    out.push(
      `<tr data-zone="${esc(zone.id)}"><th>${esc(zone.id)} <small>${esc(zone.name)}</small></th>${cells.join("")}<td class="num">${p.hoursHigh}</td><td class="num">${p.hoursLow}</td><td class="num">${percent(p.meanCoverage)}</td><td>${L(...(DETECTION[det] ?? [det, det]))}</td></tr>`,
    );
  }
  out.push("</tbody></table></div></section>");
  // Revenue.
  out.push(`<section id="revenue-section"><h2>${L("Pendapatan per titik: tarif tetap dan dinamis", "Revenue per point: flat and dynamic tariff")}</h2>
<p>${L(
    "Pada permintaan yang teramati: pengemudi di data ini tidak bereaksi pada harga, jadi ini bukan ramalan. Mobil di titik bersensor: setiap parkir yang dilihat sensor; lainnya (terutama sepeda motor): sesi yang dibayar.",
    "At the observed demand: drivers in this data did not react to prices, so this is not a forecast. Cars at points with bay sensors: every stay the sensors saw; others (mostly motorcycles): the paid sessions.",
  )}</p>
<div class="scroll"><table id="revenue"><thead><tr><th rowspan="2">${L("Titik", "Point")}</th><th colspan="3">${L("Mobil", "Cars")}</th><th colspan="3">${L("Sepeda motor", "Motorcycles")}</th></tr>
<tr><th>${L("kunjungan", "visits")}</th><th>${L("tetap", "flat")}</th><th>${L("dinamis", "dynamic")}</th><th>${L("kunjungan", "visits")}</th><th>${L("tetap", "flat")}</th><th>${L("dinamis", "dynamic")}</th></tr></thead><tbody>`);
  for (const r of day.revenue) {
    out.push(
      `<tr data-zone="${esc(r.zone)}"><th>${esc(r.zone)} <small>${esc(r.name)}</small></th><td class="num">${r.car.visits}</td><td class="num">${money(r.car.flatMinor, cur)}</td><td class="num">${money(r.car.dynamicMinor, cur)}</td><td class="num">${r.motorcycle.visits}</td><td class="num">${money(r.motorcycle.flatMinor, cur)}</td><td class="num">${money(r.motorcycle.dynamicMinor, cur)}</td></tr>`,
    );
  }
  out.push(
    `</tbody><tfoot><tr><th>${L("Semua titik", "All points")}</th><td class="num">${totals.carVisits}</td><td class="num">${money(totals.carFlat, cur)}</td><td class="num">${money(totals.carDyn, cur)}</td><td class="num">${totals.motoVisits}</td><td class="num">${money(totals.motoFlat, cur)}</td><td class="num">${money(totals.motoDyn, cur)}</td></tr></tfoot></table></div></section>`,
  );
  // Decisions.
  out.push(
    `<section id="decisions-section"><h2>${L("Keputusan tarif dan alasannya", "Tariff decisions and their reasons")}</h2>`,
  );
  if (!day.hasDynamic)
    out.push(
      `<p>${L("Kebijakan ini tidak punya varian dinamis.", "This policy has no dynamic variant.")}</p>`,
    );
  out.push(
    `<div class="scroll"><table id="decisions"><thead><tr><th>${L("Waktu", "Time")} (${tz})</th><th>${L("Titik", "Point")}</th><th>${L("Kendaraan", "Vehicle")}</th><th>${L("Tarif", "Price")}</th><th>${L("Alasan", "Reason")}</th></tr></thead><tbody>`,
  );
  for (const d of decisionsToday) {
    const z = city.zoneIndex(d.zone);
    const per = PER[hub.priceAt(z, vehicleCode(d.vehicleType), d.effectiveMs)?.per ?? "hour"] ?? PER.hour!;
    out.push(
      `<tr data-zone="${esc(d.zone)}"><td>${hhmm(clock, d.effectiveMs)}</td><td>${esc(d.zone)} <small>${esc(name(d.zone))}</small></td><td>${L(`${VEHICLE_ID[d.vehicleType] ?? d.vehicleType} · ${BAND_ID[d.band] ?? esc(d.band)}`, `${d.vehicleType.replace("_", "-")} · ${esc(d.band)}`)}</td><td class="${d.newPrice > d.oldPrice ? "up" : d.newPrice < d.oldPrice ? "down" : "held"}">${money(d.oldPrice, cur)} → ${money(d.newPrice, cur)} ${L(per[0], per[1])}</td><td>${decisionReason(d, cur)}</td></tr>`,
    );
  }
  if (decisionsToday.length === 0)
    out.push(`<tr><td colspan="5">${L("Tidak ada keputusan tarif.", "No tariff decisions.")}</td></tr>`);
  out.push("</tbody></table></div></section>");
  // Sensor health.
  out.push(
    `<section id="health-section"><h2>${L("Kesehatan sensor", "Sensor health")}</h2><div class="scroll"><table id="health"><thead><tr><th>${L("Waktu", "Time")} (${tz})</th><th>${L("Status", "Status")}</th><th>${L("Sensor", "Sensor")}</th><th>${L("Titik", "Point")}</th></tr></thead><tbody>`,
  );
  for (const h of healthToday) {
    const s = HEALTH[h.status] ?? [h.status, h.status];
    out.push(
      `<tr data-zone="${esc(h.zone)}"><td>${hhmm(clock, h.atMs)}</td><td>${L(s[0], s[1])}</td><td>${esc(h.device)} (${esc(h.bay)})</td><td>${esc(h.zone)} <small>${esc(name(h.zone))}</small></td></tr>`,
    );
  }
  if (healthToday.length === 0)
    out.push(`<tr><td colspan="4">${L("Semua sensor sehat.", "Every sensor healthy.")}</td></tr>`);
  out.push("</tbody></table></div></section>");
  // Coverage by detection method.
  const byDet = new Map<string, { known: number; all: number }>();
  for (const p of points) {
    for (let c = 0; c < VEHICLE_CODES; c++) {
      if (city.capacity[p.zone * VEHICLE_CODES + c] === 0) continue;
      const det = hub.classNow(p.zone, c).detection;
      const e = byDet.get(det) ?? { known: 0, all: 0 };
      e.known += p.hoursKnown;
      e.all += 24;
      byDet.set(det, e);
    }
  }
  out.push(
    `<section id="coverage-section"><h2>${L("Cakupan data menurut cara deteksi", "Data coverage by detection method")}</h2><table><thead><tr><th>${L("Cara deteksi", "Detection")}</th><th>${L("Jam dengan data", "Hours with data")}</th></tr></thead><tbody>`,
  );
  for (const [det, e] of byDet)
    out.push(
      `<tr><td>${L(...(DETECTION[det] ?? [det, det]))}</td><td class="num">${percent(e.known / e.all)}</td></tr>`,
    );
  out.push("</tbody></table></section>");
  out.push(`</main>
<footer>${L("Dibuat oleh parkir dari kejadian sensor, juru parkir, gerbang dan pembayaran. Data pembayaran perorangan tidak ditampilkan.", "Made by parkir from sensor, attendant, gate and payment events. No individual payment data is shown.")}</footer>
<script>${SCRIPT}</script>
</body>
</html>
`);
  return out.join("\n");
}

function mapSvg(day: DayData, points: readonly PointDay[]): string {
  const { city } = day;
  const W = 800;
  const H = 560;
  const pad = 30;
  const lats = city.zones.map((z) => z.location.lat);
  const lons = city.zones.map((z) => z.location.lon);
  const [minLat, maxLat, minLon, maxLon] = [
    Math.min(...lats),
    Math.max(...lats),
    Math.min(...lons),
    Math.max(...lons),
  ];
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const s = Math.min(
    (W - 2 * pad) / Math.max((maxLon - minLon) * k, 1e-6),
    (H - 2 * pad) / Math.max(maxLat - minLat, 1e-6),
  );
  const ox = (W - (maxLon - minLon) * k * s) / 2;
  const oy = (H - (maxLat - minLat) * s) / 2;
  const maxCap = Math.max(1, ...city.zones.map((_, z) => zoneCapacity(city, z)));
  const parts = [
    `<svg id="map" viewBox="0 0 ${W} ${H}" role="img" aria-label="map"><rect width="${W}" height="${H}" class="land"/>`,
  ];
  const order = [...points].sort((a, b) => zoneCapacity(city, b.zone) - zoneCapacity(city, a.zone));
  for (const p of order) {
    const zone = city.zones[p.zone]!;
    const x = ox + (zone.location.lon - minLon) * k * s;
    const y = oy + (maxLat - zone.location.lat) * s;
    const r = 3 + 9 * Math.sqrt(zoneCapacity(city, p.zone) / maxCap);
    parts.push(
      `<circle data-zone="${esc(zone.id)}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r.toFixed(1)}" fill="${pointColour(p.peakOccupancy)}"><title>${esc(zone.id)} ${esc(zone.name)}: ${Number.isNaN(p.peakOccupancy) ? "—" : percent(p.peakOccupancy)}</title></circle>`,
    );
  }
  const metresPerPx = 111_320 / s;
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000];
  const target = (W / 5) * metresPerPx;
  const metres = steps.reduce((b, x) => (Math.abs(x - target) < Math.abs(b - target) ? x : b), steps[0]!);
  const len = metres / metresPerPx;
  parts.push(
    `<path class="scale" d="M20 ${H - 26} V${H - 20} H${(20 + len).toFixed(1)} V${H - 26}"/><text x="20" y="${H - 30}">${metres >= 1000 ? `${metres / 1000} km` : `${metres} m`}</text><text x="${W - 40}" y="22">U/N ↑</text></svg>`,
  );
  return parts.join("");
}

const STYLE = `
:root{--ink:#1f2a2e;--muted:#5d6b70;--line:#d5dbd6;--accent:#0b6e4f}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f7f4}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1rem;background:var(--accent);color:#fff}
header h1{font-size:1.15rem;margin:0;flex:1}
button{font:inherit;border:1px solid #fff;background:transparent;color:inherit;border-radius:4px;padding:.25rem .7rem;cursor:pointer}
main{padding:.8rem;display:grid;gap:.8rem;max-width:1400px;margin:auto}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;min-width:0}
h2{font-size:1rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0}
table{border-collapse:collapse;font-size:.8rem}
th,td{padding:.15rem .35rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{color:var(--muted);position:sticky;top:0;background:#fff}
td.num{text-align:right;white-space:nowrap}
#heatmap td{width:1.9rem;text-align:center;font-size:.7rem;border:1px solid #fff;padding:.1rem}
#heatmap tbody th{white-space:nowrap;font-weight:500}
small{color:var(--muted)}
.scroll{max-height:560px;overflow:auto}
#map{width:100%;max-width:800px;height:auto;display:block}
#map .land{fill:#f3f1e8;stroke:#c9c3ae}
#map circle{stroke:#1f2a2e;stroke-width:.6;fill-opacity:.85}
#map .scale{stroke:#1f2a2e;stroke-width:2;fill:none}
#map text{font-size:11px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 10px;border:1px solid #555;vertical-align:middle}
.up{color:#b3261e}.down{color:#0b6e4f}.held{color:var(--muted)}
td:nth-child(4){white-space:nowrap}
#heatmap td:last-child{white-space:nowrap}
footer{padding:1rem;color:var(--muted);font-size:.8rem;text-align:center}
html[lang=id] [lang=en],html[lang=en] [lang=id]{display:none}
@media print{.scroll{max-height:none;overflow:visible}button{display:none}}
`;

const SCRIPT = `document.getElementById("lang").addEventListener("click",function(){var h=document.documentElement;h.lang=h.lang==="id"?"en":"id";});`;
