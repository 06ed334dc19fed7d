/** What the gateway tests parse with: the Palu seed catalogue, the default decoders, a fixed clock. */
import { loadCityFile } from "../../src/catalog/index.js";
import { defaultDecoders, type ParseContext } from "../../src/gateway/index.js";
import { seedPath } from "../../src/paths.js";

export const city = loadCityFile(seedPath("palu", "city.json"));
export const NOW = Date.parse("2026-11-30T09:00:00+08:00");
export const cx: ParseContext = {
  city,
  decoders: defaultDecoders(),
  nowMs: NOW,
  maxFutureMs: 600_000,
  maxAgeMs: 7 * 86_400_000,
  cdsTopic: "parkir/palu/in/events",
};
