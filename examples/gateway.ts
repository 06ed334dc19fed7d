/**
 * A gateway's loop that survives restarts: uplinks arrive as JSON Lines of CDS events (from an MQTT bridge, a
 * LoRaWAN network server's integration, a file), are encoded straight into the engine's batch memory and
 * ingested; closed windows go to an output file. Every few batches the gateway commits: it flushes the output,
 * then writes one state file (input position, output length, engine checkpoint) and renames it into place.
 * After a crash or power cut it restores that state, cuts the output back to the committed length and reads on
 * from the committed input line, so the output ends up byte-identical to a run that never stopped.
 *
 * Run: npm run build && node dist/examples/gateway.js --input events.jsonl --state out/gw --output out/gw/windows.jsonl
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  type CdsEvent,
  type City,
  EncodeReport,
  encodeEventBatches,
  encodeEvents,
  loadCityFile,
  OccupancyEngine,
  type OccupancyOptions,
  ParkirWireError,
  parseEventLines,
  seedPath,
  windowRecordLine,
} from "../src/index.js";

/** Options of runGateway. */
export interface GatewayOptions {
  /** JSON Lines of CDS events, in delivery order. */
  readonly input: string;
  /** Directory for the committed state (created if missing). */
  readonly stateDir: string;
  /** JSON Lines of closed windows, one line per zone and vehicle class. */
  readonly output: string;
  /** Input lines per batch. Default 4096. */
  readonly batchLines?: number;
  /** Batches between commits. Default 8. */
  readonly commitEvery?: number;
  /** Stop after this many batches without committing or closing: a crash, for tests. */
  readonly crashAfterBatches?: number;
  readonly log?: (line: string) => void;
}

/** What one run did. */
export interface GatewayRun {
  /** Input line the run started from (0: a fresh start). */
  readonly resumedFromLine: number;
  readonly batches: number;
  readonly windows: number;
  /** Input lines that were not valid events (each logged with its line number; the rest is kept). */
  readonly badLines: number;
  /** Whether the run reached the end of the input and closed the engine. */
  readonly finished: boolean;
}

const ENGINE_OPTIONS: OccupancyOptions = { windowMs: 5 * 60_000, allowedLatenessMs: 2 * 60_000 };
const STATE_FILE = "state.bin";
/** State file header: input line (f64), output bytes (f64). */
const HEADER_BYTES = 16;

/** Replays `o.input` through an occupancy engine for the Palu catalogue, resuming from the committed state. */
export function runGateway(o: GatewayOptions): GatewayRun {
  const log = o.log ?? console.log;
  const batchLines = o.batchLines ?? 4096;
  const commitEvery = o.commitEvery ?? 8;
  const city = loadCityFile(seedPath("palu", "city.json"));
  mkdirSync(o.stateDir, { recursive: true });
  mkdirSync(dirname(o.output), { recursive: true });
  const statePath = join(o.stateDir, STATE_FILE);

  // Restore: the engine from its checkpoint, the output cut back to what that checkpoint covers.
  let line = 0;
  let outBytes = 0;
  let engine: OccupancyEngine;
  if (existsSync(statePath)) {
    const state = readFileSync(statePath);
    const header = new DataView(state.buffer, state.byteOffset, HEADER_BYTES);
    line = header.getFloat64(0, true);
    outBytes = header.getFloat64(8, true);
    engine = OccupancyEngine.restore(city, state.subarray(HEADER_BYTES), ENGINE_OPTIONS);
    log(`restored at input line ${line}, output ${outBytes} bytes`);
  } else engine = new OccupancyEngine(city, ENGINE_OPTIONS);
  const out = openSync(o.output, existsSync(o.output) ? "r+" : "w");
  ftruncateSync(out, outBytes);

  let windows = 0;
  engine.windows$.subscribe((w) => {
    windows++;
    const text = `${w.records.map(windowRecordLine).join("\n")}\n`;
    outBytes += writeSync(out, text, outBytes);
  });
  engine.late$.subscribe((late) =>
    log(`${late.count} late events (first at input index ${late.events[0]?.index})`),
  );

  const commit = () => {
    fsyncSync(out);
    const checkpoint = engine.checkpoint();
    const state = new Uint8Array(HEADER_BYTES + checkpoint.byteLength);
    const header = new DataView(state.buffer);
    header.setFloat64(0, line, true);
    header.setFloat64(8, outBytes, true);
    state.set(checkpoint, HEADER_BYTES);
    writeFileSync(`${statePath}.tmp`, state);
    renameSync(`${statePath}.tmp`, statePath); // atomic: a crash leaves the old state or the new one
  };

  const resumedFromLine = line;
  const lines = readFileSync(o.input, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  let batches = 0;
  let badLines = 0;
  try {
    while (line < lines.length) {
      const chunk = lines.slice(line, line + batchLines);
      const { events, errors } = parseEventLines(chunk.join("\n"));
      for (const e of errors) {
        const what = e.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ");
        log(`input line ${line + e.line}: ${what}`);
      }
      badLines += errors.length;
      ingest(engine, city, events, log);
      line += chunk.length;
      batches++;
      if (batches === o.crashAfterBatches)
        return { resumedFromLine, batches, windows, badLines, finished: false };
      if (batches % commitEvery === 0) commit();
    }
    engine.close(); // end of input: the watermark moves to the newest event, the last windows close
    commit();
  } finally {
    closeSync(out);
  }
  return { resumedFromLine, batches, windows, badLines, finished: true };
}

/** Encodes events into the engine's batch memory (no copy at ingest) and ingests them. */
function ingest(
  engine: OccupancyEngine,
  city: City,
  events: readonly CdsEvent[],
  log: (line: string) => void,
): void {
  const report = new EncodeReport();
  let batches: Uint8Array[];
  try {
    batches = [encodeEvents(events, city, report, { into: (n) => engine.batchBuffer(n) })];
  } catch (e) {
    // Events more than ~49 days apart do not fit one batch: split them (each batch then copied once at ingest).
    if (!(e instanceof ParkirWireError)) throw e;
    batches = encodeEventBatches(events, city, undefined, report);
  }
  if (report.unknownIds.length > 0) log(`unknown ids left out: ${report.unknownIds.join(", ")}`);
  for (const b of batches) {
    const r = engine.ingest(b);
    if (r.error !== undefined) log(`batch refused: ${r.error.message}`);
  }
}

if (process.argv[1]?.endsWith("gateway.js")) {
  const { values } = parseArgs({
    options: {
      input: { type: "string" },
      state: { type: "string" },
      output: { type: "string" },
    },
  });
  if (values.input === undefined || values.state === undefined || values.output === undefined) {
    console.error(
      "usage: node dist/examples/gateway.js --input EVENTS.jsonl --state DIR --output WINDOWS.jsonl",
    );
    process.exitCode = 2;
  } else {
    const r = runGateway({ input: values.input, stateDir: values.state, output: values.output });
    console.log(`${r.batches} batches, ${r.windows} windows, ${r.badLines} bad lines`);
  }
}
