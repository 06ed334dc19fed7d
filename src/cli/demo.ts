/**
 * `parkir demo` (what `npm start` runs): a generated Palu day replayed through the occupancy engine and
 * the flat and dynamic tariffs, with a progress bar, a summary in the city's local time, the JSON Lines
 * written to a file and the day's HTML report written next to it.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { vehicleCode } from "../catalog/vehicles.js";
import { generateTrace, TraceReport } from "../generate/index.js";
import { windowRecordLine } from "../occupancy/closed-window.js";
import { OpenDataHub } from "../opendata/hub.js";
import { seedPath } from "../paths.js";
import { decisionLine } from "../pricing/decision.js";
import { compileTariffs } from "../pricing/table.js";
import { hhmm } from "../report/format.js";
import { type DayData, money, pointDays, replayDay, reportDate, zoneLabel } from "../report/index.js";
import { CliError } from "./errors.js";
import { cityFromFile, writeOutput } from "./io.js";
import { existingFile, isoTime, positiveInt, SEED_MAX, seed } from "./options.js";
import { DEFAULT_DAY_START, readPolicy, writeDayReport } from "./report.js";

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
  /** Where to write the HTML report. */
  readonly report: string;
  /** Show a progress bar on stderr. */
  readonly progress: boolean;
}

/** What the demo found, for the summary and for tests. */
export interface DemoResult {
  /** The replayed day. */
  readonly day: DayData;
  /** Local date of the report. */
  readonly date: string;
  /** Per local hour 0..23: [busiest zone, its occupancy, emptiest zone, its occupancy] among zones with a figure. */
  readonly byHour: readonly (readonly [string, number, string, number] | null)[];
  /** Absolute path of the JSON Lines. */
  readonly outPath: string;
  /** Absolute path of the HTML report. */
  readonly reportPath: string;
}

/** Registers `parkir demo`. */
export function register(program: Command): void {
  program
    .command("demo")
    .summary(
      "replay a generated Palu day through the occupancy engine and the dynamic tariffs, and write its report",
    )
    .description(
      "Generate a deterministic day of sensor, attendant, gate and payment events for Palu's 200 parking points, " +
        "replay it through the occupancy engine and the dynamic tariff policy of the 50 digital points, write every " +
        "closed window and tariff decision as JSON Lines and the day's HTML report (as `parkir report`), and print a " +
        "summary in the city's local time: busiest and emptiest points by hour, late/duplicate/unknown counts, silent " +
        "sensors, tariff decisions with their reasons, and revenue for cars and motorcycles under the flat and the " +
        "dynamic tariff at the observed demand.",
    )
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option(
      "--policy <file>",
      "tariff policy JSON with a dynamic variant (default: the bundled seeds/palu/policy.json)",
      existingFile,
    )
    .option("--seed <n>", `trace seed, 0..${SEED_MAX}`, seed, 1)
    .option("--hours <n>", "hours of trace", positiveInt, 24)
    .option("--start <iso>", `trace start (default: ${DEFAULT_DAY_START})`, isoTime)
    .option("--out <file>", "where to write the JSON Lines (default: out/palu-demo-seed<N>.jsonl)")
    .option("--report <file>", "where to write the HTML report (default: out/palu-report-seed<N>.html)")
    .option("--no-progress", "do not draw a progress bar")
    .action(
      (o: {
        city?: string;
        policy?: string;
        seed: number;
        hours: number;
        start?: number;
        out?: string;
        report?: string;
        progress: boolean;
      }) => {
        if (o.hours > 24 * 31) throw new CliError("--hours must be at most 744 (31 days)");
        const options: DemoOptions = {
          city: o.city ?? seedPath("palu", "city.json"),
          policy: o.policy ?? seedPath("palu", "policy.json"),
          seed: o.seed,
          hours: o.hours,
          startMs: o.start ?? Date.parse(DEFAULT_DAY_START),
          out: o.out ?? `out/palu-demo-seed${o.seed}.jsonl`,
          report: o.report ?? `out/palu-report-seed${o.seed}.html`,
          progress: o.progress && process.stderr.isTTY === true,
        };
        writeOutput(undefined, formatSummary(runDemo(options)));
      },
    );
}

/** Runs the demo and writes its JSON Lines and report; returns what the summary prints. Deterministic for given options. */
export function runDemo(options: DemoOptions): DemoResult {
  const city = cityFromFile(options.city);
  const trace = generateTrace(
    city,
    { seed: options.seed, startMs: options.startMs, hours: options.hours },
    new TraceReport(),
  );
  const lines: string[] = [];
  const bar = options.progress
    ? new SingleBar({
        format: "replaying {bar} {percentage}% | {value}/{total} events | {eta}s",
        clearOnComplete: true,
      })
    : null;
  bar?.start(trace.length, 0);
  const day = replayDay({
    city,
    events: trace,
    policyDocument: readPolicy(options.policy),
    onWindow: (batch, decisions) => {
      for (const r of batch.records) lines.push(windowRecordLine(r));
      for (const d of decisions) lines.push(decisionLine(d).trimEnd());
    },
    onProgress: (done) => bar?.update(done),
  });
  bar?.stop();
  const outPath = resolve(options.out);
  try {
    mkdirSync(dirname(outPath), { recursive: true });
  } catch (e) {
    throw new CliError(`cannot write ${options.out}: ${(e as Error).message}`, 1);
  }
  writeOutput(outPath, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const date = reportDate(day);
  const reportPath = writeDayReport(day, options.report, date);
  return { day, date, byHour: extremesByHour(day, date), outPath, reportPath };
}

function extremesByHour(day: DayData, date: string): ([string, number, string, number] | null)[] {
  const points = pointDays(day, date);
  const out: ([string, number, string, number] | null)[] = [];
  for (let h = 0; h < 24; h++) {
    let best: [number, number] = [-1, -1];
    let worst: [number, number] = [-1, 2];
    for (const p of points) {
      const v = p.hourly[h]!;
      if (Number.isNaN(v)) continue;
      if (v > best[1]) best = [p.zone, v];
      if (v < worst[1]) worst = [p.zone, v];
    }
    out.push(
      best[0] < 0 ? null : [day.city.zones[best[0]]!.id, best[1], day.city.zones[worst[0]]!.id, worst[1]],
    );
  }
  return out;
}

/** The human summary printed after the demo: local times, prices with what they are per, points by id and name. */
export function formatSummary(r: DemoResult): string {
  const { day } = r;
  const { city, hub } = day;
  const clock = hub.clock;
  const tz = zoneLabel(city.timeZone);
  const pct = (x: number) => `${(x * 100).toFixed(0).padStart(3)} %`;
  const point = (id: string) => `${id} ${city.zones[city.zoneIndex(id)]?.name ?? ""}`.trim();
  const cur = (m: number) => money(m, city.currency);
  const out: string[] = [];
  out.push(
    `parkir demo — ${city.name}: ${city.zoneCount} parking points, ${city.bayCount} bays with sensors${city.synthetic ? " (synthetic catalogue)" : ""}`,
  );
  out.push(`All times are local (${tz}, ${city.timeZone}). Day reported: ${r.date}.`);
  out.push("");
  out.push(`events      ${day.events} generated, replayed in batches`);
  out.push(`accepted    ${day.accepted}`);
  out.push(`duplicate   ${day.duplicate}  (retransmissions dropped)`);
  out.push(`late        ${day.late}  (older than the watermark: counted, not applied)`);
  out.push(`unknown     ${day.unknown}  (ids or classes the catalogue does not have)`);
  if (day.refused > 0)
    out.push(`refused     ${day.refused}  (clock skew, or batches that failed verification)`);
  out.push(`windows     ${day.windows} closed, ${day.records} point×class records`);
  out.push("");
  out.push(`Busiest and emptiest points by local hour (${tz}; mean occupancy over the hour):`);
  r.byHour.forEach((e, h) => {
    if (e === null) return;
    const [busy, busyOcc, empty, emptyOcc] = e;
    out.push(
      `  ${String(h).padStart(2, "0")}:00  busiest ${pct(busyOcc)} ${point(busy).padEnd(40).slice(0, 40)}  emptiest ${pct(emptyOcc)} ${point(empty)}`,
    );
  });
  out.push("");
  const silent = day.health.filter((h) => h.status === "silent");
  out.push(`Sensors that went silent (no message for 4 h): ${silent.length}`);
  for (const s of silent.slice(0, 8))
    out.push(`  ${hhmm(clock, s.atMs)} ${tz}  ${s.device} at ${point(s.zone)}`);
  if (silent.length > 8) out.push(`  … and ${silent.length - 8} more (see the report)`);
  out.push("");
  out.push(`Tariff decisions (dynamic policy, digital points): ${day.decisions.length}`);
  for (const d of day.decisions.slice(0, 10)) {
    const per = hub.priceAt(city.zoneIndex(d.zone), vehicleCode(d.vehicleType), d.effectiveMs)?.per ?? "hour";
    out.push(
      `  ${hhmm(clock, d.effectiveMs)} ${tz}  ${point(d.zone)}, ${d.vehicleType}, ${d.band}: ${cur(d.oldPrice)} → ${cur(d.newPrice)} per ${per} — ${d.rule}`,
    );
  }
  if (day.decisions.length > 10)
    out.push(`  … and ${day.decisions.length - 10} more in the JSON Lines and the report`);
  out.push("");
  const flatHub = new OpenDataHub({ city, table: compileTariffs(city, day.flat), seriesMax: 1 });
  const noon = clock.dayOf(day.lastEventMs).startMs + 12 * 3_600_000;
  const flatText = (["car", "motorcycle"] as const)
    .map((v) => {
      const p = flatHub.priceAt(0, vehicleCode(v), noon);
      return p === null ? `${v} free` : `${v} ${cur(p.amountMinor)} per ${p.per}`;
    })
    .join(", ");
  out.push(
    `Revenue by point, cars and motorcycles: flat tariff (${flatText}) vs the dynamic variant (its prices per hour`,
  );
  out.push("or per visit as its bands say; the decisions above give each price's unit).");
  out.push("At the observed demand: drivers here did not react to prices, so this is not a forecast.");
  const top = [...day.revenue]
    .sort(
      (a, b) =>
        b.car.dynamicMinor + b.motorcycle.dynamicMinor - (a.car.dynamicMinor + a.motorcycle.dynamicMinor) ||
        a.zone.localeCompare(b.zone),
    )
    .slice(0, 12);
  const head = (s: string, n: number) => s.padStart(n);
  out.push(
    `  ${"point".padEnd(40)} ${head("car visits", 10)} ${head("flat", 11)} ${head("dynamic", 11)} ${head("moto visits", 11)} ${head("flat", 11)} ${head("dynamic", 11)}`,
  );
  const row = (label: string, cv: number, cf: number, cd: number, mv: number, mf: number, md: number) =>
    `  ${label.padEnd(40).slice(0, 40)} ${head(String(cv), 10)} ${head(cur(cf), 11)} ${head(cur(cd), 11)} ${head(String(mv), 11)} ${head(cur(mf), 11)} ${head(cur(md), 11)}`;
  for (const z of top)
    out.push(
      row(
        point(z.zone),
        z.car.visits,
        z.car.flatMinor,
        z.car.dynamicMinor,
        z.motorcycle.visits,
        z.motorcycle.flatMinor,
        z.motorcycle.dynamicMinor,
      ),
    );
  const sum = (f: (z: DayData["revenue"][number]) => number) => day.revenue.reduce((s, z) => s + f(z), 0);
  out.push(
    row(
      `all ${day.revenue.length} points`,
      sum((z) => z.car.visits),
      sum((z) => z.car.flatMinor),
      sum((z) => z.car.dynamicMinor),
      sum((z) => z.motorcycle.visits),
      sum((z) => z.motorcycle.flatMinor),
      sum((z) => z.motorcycle.dynamicMinor),
    ),
  );
  out.push(
    `Unpaid sensor-detected stays: ${day.unpaidStays}; estimated leakage ${cur(day.leakageMinor)} (dynamic tariff).`,
  );
  out.push("");
  out.push(`JSON Lines (windows and tariff decisions): ${r.outPath}`);
  out.push(`Daily report (HTML, opens offline): ${r.reportPath}`);
  return `${out.join("\n")}\n`;
}
