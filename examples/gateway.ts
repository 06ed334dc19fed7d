/**
 * A gateway service in a few lines: LoRaWAN uplinks (The Things Stack or ChirpStack) and CDS events from an MQTT
 * broker into parkir; closed windows to a JSON Lines file and back to the broker (retained per point); sensor
 * health logged; /healthz over HTTP; a checkpoint and a clean stop on SIGTERM. Kill it at any moment (kill -9,
 * power cut) and start it again: it restores its checkpoint, replays its write-ahead log and takes from the
 * broker what it had not acknowledged, so the windows file ends up as if it had never stopped.
 *
 * Run: npm run build && node dist/examples/gateway.js --broker mqtt://127.0.0.1:1883 --state out/gw
 *      (then, in another shell: node dist/lib/cli.js simulate --broker mqtt://127.0.0.1:1883 --speed 60)
 */
import { parseArgs } from "node:util";
import { createGateway, loadCityFile, seedPath, startHttpServer } from "../src/index.js";

const { values } = parseArgs({
  options: {
    broker: { type: "string", default: "mqtt://127.0.0.1:1883" },
    state: { type: "string", default: "out/gw" },
    city: { type: "string", default: seedPath("palu", "city.json") },
    "http-port": { type: "string" },
    "idle-advance-ms": { type: "string", default: "60000" },
  },
});

const gateway = createGateway({
  city: loadCityFile(values.city),
  stateDir: values.state,
  broker: { url: values.broker, username: process.env.MQTT_USERNAME, password: process.env.MQTT_PASSWORD },
  engine: { idleAdvanceMs: Number(values["idle-advance-ms"]) }, // 0: windows close on event time only
});
gateway.windows$.subscribe((w) =>
  console.log(`window ${new Date(w.windowStart).toISOString()}: ${w.records.length} rows`),
);
gateway.health$.subscribe((h) => {
  if (h.kind === "device" && h.device.batteryV !== undefined && h.device.batteryV < 3.0)
    console.log(`battery low: ${h.device.device} ${h.device.batteryV} V`);
  if (h.kind === "engine") for (const e of h.report.events) console.log(`sensor ${e.device}: ${e.status}`);
});

await gateway.start(); // throws ParkirStateError with what to do if the state directory is unusable
const http =
  values["http-port"] === undefined
    ? undefined
    : await startHttpServer(gateway, { port: Number(values["http-port"]) });
process.once("SIGTERM", async () => {
  await gateway.stop(); // checkpoint, "offline" status, disconnect
  http?.close();
  console.log("stopped");
});
console.log(`gateway running; state in ${values.state}`);
