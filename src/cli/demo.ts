/**
 * `parkir demo` (what `npm start` runs): a generated Palu day replayed through the occupancy engine and
 * the dynamic tariff policy, with a progress bar, a readable summary and the JSON Lines written to a file.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES, vehicleCode } from "../catalog/vehicles.js";
import { formatIssues, ParkirConfigError } from "../errors/index.js";
import { generateTrace, TraceReport } from "../generate/index.js";
import { OccupancyEngine } from "../occupancy/engine.js";
import type { HealthEvent } from "../occupancy/reports.js";
import type { WindowBatch } from "../occupancy/types.js";
import { windowRecordLine } from "../occupancy/windows.js";
import { seedPath } from "../paths.js";
import { decisionLine, type TariffDecision } from "../pricing/decision.js";
import { PricingEngine } from "../pricing/engine.js";
import { formatMoney } from "../pricing/money.js";
import { loadPolicyFile } from "../pricing/policy.js";
import { type DetectedStay, type PaidSession, reconcile } from "../pricing/reconcile.js";
import { EncodeReport, encodeEventBatches } from "../wire/encode.js";
import type { CdsEvent } from "../wire/events.js";
import { parseEventTime } from "../wire/events.js";
import { CliError } from "./errors.js";
import { cityFromFile, writeOutput } from "./io.js";
import { existingFile, isoTime, positiveInt } from "./options.js";

/** Options of the demo. */
export interface DemoOptions {
  /** City catalogue path. Default: the bundled Palu catalogue. */
  readonly city: string;
  /** Policy path (with a `dynamic` variant). Default: the bundled Palu policy. */
  readonly policy: string;
  /** Trace seed. Default 1. */
  readonly seed: number;
  /** Hours of trace. Default 24. */
  readonly hours: number;
  /** Trace start, ms. Default 2026-11-30T00:00:00+08:00. */
  readonly startMs: number;
  /** Where to write the JSON Lines. */
  readonly out: string;
  /** Show a progress bar on stderr. */
  readonly progress: boolean;
}

/** What the demo found, for the summary and for tests. */
export interface DemoResult {
  readonly events: number;
  readonly batches: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly late: number;
  readonly unknown: number;
  /** Events refused by the clock-skew guard plus batches that failed verification (0 for a generated day). */
  readonly refused: number;
  readonly windows: number;
  readonly records: number;
  readonly decisions: readonly TariffDecision[];
  readonly silentSensors: readonly HealthEvent[];
  /** Per local hour 0..23: [busiest zone, its occupancy, emptiest zone, its occupancy] among zones with a figure. */
  readonly byHour: readonly (readonly [string, number, string, number] | null)[];
  readonly revenue: readonly ZoneRevenue[];
  readonly leakageMinor: number;
  readonly unpaidStays: number;
  readonly stays: number;
  readonly outPath: string;
}

/** Revenue of one parking point at the observed demand under the flat and the dynamic policy. */
export interface ZoneRevenue {
  readonly zone: string;
  readonly name: string;
  readonly stays: number;
  readonly flatMinor: number;
  readonly dynamicMinor: number;
}

const DEFAULT_START = "2026-11-30T00:00:00+08:00";
const BATCH_EVENTS = 4096;

/** Registers `parkir demo`. */
export function register(program: Command): void {
  program
    .command("demo")
    .summary("replay a generated Palu day through the occupancy engine and the dynamic tariffs")
    .description(
      "Generate a deterministic day of sensor, attendant, gate and payment events for Palu's 200 parking points, " +
        "replay it through the occupancy engine and the dynamic tariff policy of the 50 digital points, write every " +
        "closed window and tariff decision as JSON Lines to a file, and print a summary: busiest and emptiest points " +
        "by hour, late/duplicate/unknown counts, silent sensors, tariff decisions with their reasons, and each point's " +
        "revenue under the flat and the dynamic policy at the observed demand.",
    )
    .option("--city <file>", "city catalogue JSON (default: bundled seeds/palu/city.json)", existingFile)
    .option(
      "--policy <file>",
      "tariff policy JSON with a dynamic variant (default: bundled seeds/palu/policy.json)",
      existingFile,
    )
    .option("--seed <n>", "trace seed", positiveInt, 1)
    .option("--hours <n>", "hours of trace", positiveInt, 24)
    .option("--start <iso>", `trace start (default ${DEFAULT_START})`, isoTime)
    .option("--out <file>", "where to write the JSON Lines (default: out/palu-demo-seed<N>.jsonl)")
    .option("--no-progress", "do not draw a progress bar")
    .action(
      (o: {
        city?: string;
        policy?: string;
        seed: number;
        hours: number;
        start?: number;
        out?: string;
        progress: boolean;
      }) => {
        if (o.hours > 24 * 31) throw new CliError("--hours must be at most 744 (31 days)");
        const options: DemoOptions = {
          city: o.city ?? seedPath("palu", "city.json"),
          policy: o.policy ?? seedPath("palu", "policy.json"),
          seed: o.seed,
          hours: o.hours,
          startMs: o.start ?? Date.parse(DEFAULT_START),
          out: o.out ?? `out/palu-demo-seed${o.seed}.jsonl`,
          progress: o.progress && process.stderr.isTTY === true,
        };
        const result = runDemo(options);
        writeOutput(undefined, formatSummary(result, cityFromFile(options.city)));
      },
    );
}

/** Runs the demo and writes its JSON Lines; returns what the summary prints. Deterministic for given options. */
export function runDemo(options: DemoOptions): DemoResult {
  const city = cityFromFile(options.city);
  let flat: PricingEngine;
  let dynamic: PricingEngine;
  try {
    flat = new PricingEngine(city, loadPolicyFile(options.policy));
    dynamic = new PricingEngine(city, loadPolicyFile(options.policy, { variant: "dynamic" }));
  } catch (e) {
    if (e instanceof ParkirConfigError)
      throw new CliError(`${options.policy}: ${formatIssues(e.issues, "\n  ")}`, 2);
    throw e;
  }

  const trace = generateTrace(
    city,
    { seed: options.seed, startMs: options.startMs, hours: options.hours },
    new TraceReport(),
  );
  const encodeReport = new EncodeReport();
  const batches = encodeEventBatches(trace, city, BATCH_EVENTS, encodeReport);

  const engine = new OccupancyEngine(city);
  const lines: string[] = [];
  const decisions: TariffDecision[] = [];
  const silent: HealthEvent[] = [];
  const hourly = new HourlyOccupancy(city);
  let windows = 0;
  let records = 0;
  engine.windows$.subscribe((batch: WindowBatch) => {
    windows++;
    for (const r of batch.records) lines.push(windowRecordLine(r));
    records += batch.records.length;
    hourly.add(batch);
    for (const d of dynamic.onWindows(batch)) {
      decisions.push(d);
      lines.push(decisionLine(d).trimEnd());
    }
  });
  engine.health$.subscribe((h) => {
    for (const e of h.events) if (e.status === "silent") silent.push(e);
  });

  const bar = options.progress
    ? new SingleBar({
        format: "replaying {bar} {percentage}% | {value}/{total} batches | {eta}s",
        clearOnComplete: true,
      })
    : null;
  bar?.start(batches.length, 0);
  let accepted = 0;
  let duplicate = 0;
  let late = 0;
  let unknown = encodeReport.unknownBay + encodeReport.unknownZone;
  let refused = 0;
  for (let i = 0; i < batches.length; i++) {
    const r = engine.ingest(batches[i]!);
    accepted += r.accepted;
    duplicate += r.duplicate;
    late += r.late;
    unknown += r.unknownBay;
    refused += r.clockSkew + r.rejected;
    bar?.update(i + 1);
  }
  engine.close();
  bar?.stop();

  const outPath = resolve(options.out);
  try {
    mkdirSync(dirname(outPath), { recursive: true });
  } catch (e) {
    throw new CliError(`cannot write ${options.out}: ${(e as Error).message}`, 1);
  }
  writeOutput(outPath, lines.length === 0 ? "" : `${lines.join("\n")}\n`);

  const { stays, payments } = observedStays(trace, city);
  const revenue = revenueByZone(city, stays, flat, dynamic);
  const rec = reconcile(dynamic.table, stays, payments, { prices: dynamic.prices });
  const total = rec.totals;
  return {
    events: trace.length,
    batches: batches.length,
    accepted,
    duplicate,
    late,
    unknown,
    refused,
    windows,
    records,
    decisions,
    silentSensors: silent,
    byHour: hourly.extremes(),
    revenue,
    leakageMinor: total.leakageMinor,
    unpaidStays: total.unpaidStays,
    stays: stays.length,
    outPath,
  };
}

/** Mean occupancy per zone and local hour of day, weighted by each class's capacity. */
class HourlyOccupancy {
  private readonly sum: Float64Array;
  private readonly weight: Float64Array;
  private readonly hourOf = new Map<number, number>();
  private readonly fmt: Intl.DateTimeFormat;
  constructor(private readonly city: City) {
    this.sum = new Float64Array(city.zoneCount * 24);
    this.weight = new Float64Array(city.zoneCount * 24);
    this.fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: city.timeZone,
      hour: "numeric",
      hourCycle: "h23",
    });
  }
  add(batch: WindowBatch): void {
    const hourStart = Math.floor(batch.windowStart / 3_600_000) * 3_600_000;
    let hour = this.hourOf.get(hourStart);
    if (hour === undefined) {
      hour =
        Number(this.fmt.formatToParts(batch.windowStart).find((p) => p.type === "hour")?.value ?? 0) % 24;
      this.hourOf.set(hourStart, hour);
    }
    for (const r of batch.records) {
      if (r.occupancy === null) continue;
      const zone = this.city.zoneIndex(r.zone);
      const cap = this.city.capacity[zone * VEHICLE_CODES + vehicleCode(r.vehicleType)]!;
      this.sum[zone * 24 + hour]! += r.occupancy * cap;
      this.weight[zone * 24 + hour]! += cap;
    }
  }
  extremes(): ([string, number, string, number] | null)[] {
    const out: ([string, number, string, number] | null)[] = [];
    for (let h = 0; h < 24; h++) {
      let best = -1;
      let worst = -1;
      let bestOcc = -1;
      let worstOcc = 2;
      for (let z = 0; z < this.city.zoneCount; z++) {
        const w = this.weight[z * 24 + h]!;
        if (w === 0) continue;
        const occ = this.sum[z * 24 + h]! / w;
        if (occ > bestOcc) [best, bestOcc] = [z, occ];
        if (occ < worstOcc) [worst, worstOcc] = [z, occ];
      }
      out.push(best < 0 ? null : [this.city.zones[best]!.id, bestOcc, this.city.zones[worst]!.id, worstOcc]);
    }
    return out;
  }
}

/**
 * Stays the sensors saw (park_start then park_end on the same bay, in event time, duplicates dropped)
 * and the paid sessions (payment_end with its session's start). Cold path: the demo's reporting.
 */
function observedStays(
  trace: readonly CdsEvent[],
  city: City,
): { stays: DetectedStay[]; payments: PaidSession[] } {
  const seen = new Set<string>();
  const events = trace
    .filter((e) => !seen.has(e.event_id) && seen.add(e.event_id) !== undefined)
    .map((e) => ({ e, t: parseEventTime(e.event_time) }))
    .sort((a, b) => a.t - b.t || (a.e.event_id < b.e.event_id ? -1 : 1));
  const open = new Map<string, number>();
  const sessions = new Map<string, number>();
  const stays: DetectedStay[] = [];
  const payments: PaidSession[] = [];
  for (const { e, t } of events) {
    const bayId =
      e.curb_space_id ??
      (e.data_source_device_id === undefined
        ? undefined
        : city.bayId(city.deviceIndex(e.data_source_device_id)));
    if (e.event_type === "park_start" && bayId) open.set(bayId, t);
    else if (e.event_type === "park_end" && bayId) {
      const start = open.get(bayId);
      open.delete(bayId);
      const bay = city.bayIndex(bayId);
      if (start !== undefined && bay >= 0) {
        stays.push({
          zone: city.zones[city.bayZone[bay]!]!.id,
          vehicleType: "car",
          startMs: start,
          endMs: t,
        });
      }
    } else if (e.event_type === "payment_start" && e.event_session_id) sessions.set(e.event_session_id, t);
    else if (e.event_type === "payment_end" && e.event_session_id && e.curb_zone_id) {
      const payment: PaidSession = {
        zone: e.curb_zone_id,
        sessionId: e.event_session_id,
        startMs: sessions.get(e.event_session_id) ?? t,
        endMs: t,
        amountMinor: e.actual_cost ?? 0,
      };
      payments.push(e.vehicle_type === undefined ? payment : { ...payment, vehicleType: e.vehicle_type });
    }
  }
  return { stays, payments };
}

function revenueByZone(
  city: City,
  stays: readonly DetectedStay[],
  flat: PricingEngine,
  dynamic: PricingEngine,
): ZoneRevenue[] {
  const n = stays.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const zones = new Uint32Array(n);
  const vehicles = new Uint8Array(n);
  stays.forEach((s, i) => {
    starts[i] = s.startMs;
    ends[i] = s.endMs;
    zones[i] = city.zoneIndex(s.zone);
    vehicles[i] = vehicleCode(s.vehicleType);
  });
  const flatOut = new Float64Array(n);
  const dynOut = new Float64Array(n);
  flat.billBatch(starts, ends, zones, vehicles, flatOut);
  dynamic.billBatch(starts, ends, zones, vehicles, dynOut, "integrated");
  const byZone = new Map<number, { stays: number; flat: number; dyn: number }>();
  for (let i = 0; i < n; i++) {
    const z = byZone.get(zones[i]!) ?? { stays: 0, flat: 0, dyn: 0 };
    z.stays++;
    z.flat += Math.max(0, flatOut[i]!);
    z.dyn += Math.max(0, dynOut[i]!);
    byZone.set(zones[i]!, z);
  }
  return [...byZone.entries()]
    .sort(([a], [b]) => a - b)
    .map(([z, r]) => ({
      zone: city.zones[z]!.id,
      name: city.zones[z]!.name,
      stays: r.stays,
      flatMinor: r.flat,
      dynamicMinor: r.dyn,
    }));
}

/** The human summary printed after the demo. */
export function formatSummary(r: DemoResult, city: City): string {
  const pct = (x: number) => `${(x * 100).toFixed(0).padStart(3)} %`;
  const name = (id: string) => city.zones[city.zoneIndex(id)]?.name ?? id;
  const money = (minor: number) => formatMoney(minor, city.currency);
  const out: string[] = [];
  out.push(
    `parkir demo — ${city.name}: ${city.zoneCount} parking points, ${city.bayCount} bays with sensors${city.synthetic ? " (synthetic catalogue)" : ""}`,
  );
  out.push("");
  out.push(`events      ${r.events} generated in ${r.batches} FlatBuffers batches`);
  out.push(`accepted    ${r.accepted}`);
  out.push(`duplicate   ${r.duplicate}  (retransmissions dropped)`);
  out.push(`late        ${r.late}  (older than the watermark: counted, not applied)`);
  out.push(`unknown     ${r.unknown}  (ids or classes the catalogue does not have)`);
  if (r.refused > 0) out.push(`refused     ${r.refused}  (clock skew, or batches that failed verification)`);
  out.push(`windows     ${r.windows} closed, ${r.records} zone×class records`);
  out.push("");
  out.push("Busiest and emptiest points by local hour (mean occupancy over the hour):");
  r.byHour.forEach((e, h) => {
    if (e === null) return;
    const [busy, busyOcc, empty, emptyOcc] = e;
    out.push(
      `  ${String(h).padStart(2, "0")}:00  busiest ${pct(busyOcc)} ${name(busy).padEnd(34).slice(0, 34)}  emptiest ${pct(emptyOcc)} ${name(empty)}`,
    );
  });
  out.push("");
  out.push(`Sensors that went silent (no message for 4 h): ${r.silentSensors.length}`);
  for (const s of r.silentSensors.slice(0, 8))
    out.push(`  ${s.device} (${s.zone}) silent from ${new Date(s.atMs).toISOString()}`);
  if (r.silentSensors.length > 8) out.push(`  … and ${r.silentSensors.length - 8} more`);
  out.push("");
  out.push(`Tariff decisions (dynamic policy, digital points): ${r.decisions.length}`);
  for (const d of r.decisions.slice(0, 10)) {
    out.push(
      `  ${new Date(d.effectiveMs).toISOString()} ${d.zone} ${d.vehicleType} ${d.band}: ${money(d.oldPrice)} → ${money(d.newPrice)} — ${d.rule}`,
    );
  }
  if (r.decisions.length > 10) out.push(`  … and ${r.decisions.length - 10} more in the JSON Lines`);
  out.push("");
  out.push("Revenue by point from the car stays the sensors saw, flat vs dynamic tariff.");
  out.push("At the observed demand: drivers here did not react to prices, so this is not a forecast.");
  const top = [...r.revenue]
    .sort((a, b) => b.dynamicMinor - a.dynamicMinor || a.zone.localeCompare(b.zone))
    .slice(0, 12);
  out.push(`  ${"point".padEnd(44)} ${"stays".padStart(6)} ${"flat".padStart(12)} ${"dynamic".padStart(12)}`);
  for (const z of top) {
    out.push(
      `  ${`${z.zone} ${z.name}`.padEnd(44).slice(0, 44)} ${String(z.stays).padStart(6)} ${money(z.flatMinor).padStart(12)} ${money(z.dynamicMinor).padStart(12)}`,
    );
  }
  const flatTotal = r.revenue.reduce((s, z) => s + z.flatMinor, 0);
  const dynTotal = r.revenue.reduce((s, z) => s + z.dynamicMinor, 0);
  out.push(
    `  ${`all ${r.revenue.length} points`.padEnd(44)} ${String(r.stays).padStart(6)} ${money(flatTotal).padStart(12)} ${money(dynTotal).padStart(12)}`,
  );
  out.push(
    `Unpaid sensor-detected stays: ${r.unpaidStays}; estimated leakage ${money(r.leakageMinor)} (dynamic tariff).`,
  );
  out.push("");
  out.push(`JSON Lines (windows and tariff decisions): ${r.outPath}`);
  return `${out.join("\n")}\n`;
}
