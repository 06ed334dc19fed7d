/**
 * An independent reference pricer for the policy documents of `arbPolicyDoc`, minute by minute, written
 * from docs/PRICING.md and not from the billing kernel: it reads the raw JSON document (not the compiled
 * table), finds local time with `Intl` for every minute of the stay, and walks every unit one by one.
 * Stays and price changes must lie on whole minutes.
 */
import type { PriceBook } from "../../src/pricing/index.js";

const MIN = 60_000;

interface DocTier {
  fromMinutes: number;
  unitMinutes?: number;
  amountMinor: number;
}
interface DocRate {
  band: string;
  perVisitMinor?: number;
  tiers?: DocTier[];
}
interface DocBand {
  id: string;
  timeOfDayStart: string;
  timeOfDayEnd: string;
  daysOfWeek: string[];
  holidays: "any" | "only" | "except";
}
/** The shape `arbPolicyDoc` generates. */
export interface RefPolicyDoc {
  rounding: { stepMinor: number; rule: "nearest" | "up" | "down" };
  calendar: { holidays: string[] };
  bands: DocBand[];
  vehicleMultipliers: { heavy: number };
  surcharges: { band: string; multiplier: number }[];
  tariffs: {
    graceMinutes: number;
    maxFeeMinor?: number;
    dailyCapMinor?: number;
    rates: DocRate[];
  }[];
}

/** A stay to price: zone index, vehicle class, whole-minute start and end (ms). */
export interface RefStay {
  zone: number;
  vehicle: "car" | "heavy";
  vehicleCode: number;
  startMs: number;
  endMs: number;
}

interface Local {
  date: string;
  weekday: string;
  minute: number;
}

const QUARTER = 15 * MIN;
const localCache = new Map<string, Local>();

/**
 * Local date, weekday and minute of the day of the whole minute `ms`. `Intl` is asked once per UTC quarter hour
 * (the offsets of the zones tested are whole hours, so a quarter hour never straddles a local day or a switch).
 */
function localOf(fmt: Intl.DateTimeFormat, ms: number): Local {
  const q = Math.floor(ms / QUARTER) * QUARTER;
  const key = `${fmt.resolvedOptions().timeZone}|${q}`;
  let l = localCache.get(key);
  if (l === undefined) {
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(new Date(q))) parts[p.type] = p.value;
    l = {
      date: `${parts.year}-${parts.month}-${parts.day}`,
      weekday: parts.weekday!.toLowerCase().slice(0, 3),
      minute: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
    };
    localCache.set(key, l);
  }
  return { date: l.date, weekday: l.weekday, minute: l.minute + (ms - q) / MIN };
}

const hm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

function inBand(b: DocBand | undefined, l: Local, holidays: readonly string[]): boolean {
  if (b === undefined) return true; // "always"
  if (!b.daysOfWeek.includes(l.weekday)) return false;
  const holiday = holidays.includes(l.date);
  if (b.holidays === "only" && !holiday) return false;
  if (b.holidays === "except" && holiday) return false;
  const start = hm(b.timeOfDayStart);
  const end = hm(b.timeOfDayEnd);
  return end > start ? l.minute >= start && l.minute < end : l.minute >= start || l.minute < end;
}

/**
 * The amount of one stay under `doc` in `timeZone`, with a price history `book` (slots as in the pricing
 * engine: (zone × 5 + code) × bands + band) read at arrival (`locked`) or at every minute (`integrated`).
 */
export function referencePrice(
  doc: RefPolicyDoc,
  timeZone: string,
  stay: RefStay,
  book: PriceBook | null,
  locked: boolean,
): number {
  const { startMs: s, endMs: e } = stay;
  if (s % MIN !== 0 || e % MIN !== 0 || e < s) throw new Error("reference: whole-minute stays only");
  const tariff = doc.tariffs[0]!;
  if (e - s < tariff.graceMinutes * MIN) return 0;
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  const bandIds = doc.bands.map((b) => b.id);
  const nBands = bandIds.length + (tariff.rates.some((r) => r.band === "always") ? 1 : 0);
  const bandIndex = (id: string) => (id === "always" ? bandIds.length : bandIds.indexOf(id));
  const vehicleMult = stay.vehicle === "heavy" ? doc.vehicleMultipliers.heavy : 1;
  const capped = tariff.dailyCapMinor !== undefined;

  // One key per minute: which rate, multiplier and price are in force, and the local date.
  interface Minute {
    rate: number;
    mult: number;
    delta: number;
    date: string;
  }
  const minutes: Minute[] = [];
  for (let t = s; t < e; t += MIN) {
    const l = localOf(fmt, t);
    const rate = tariff.rates.findIndex((r) =>
      inBand(
        doc.bands.find((b) => b.id === r.band),
        l,
        doc.calendar.holidays,
      ),
    );
    let mult = vehicleMult;
    for (const x of doc.surcharges)
      if (
        inBand(
          doc.bands.find((b) => b.id === x.band),
          l,
          doc.calendar.holidays,
        )
      )
        mult *= x.multiplier;
    let delta = 0;
    if (rate >= 0 && book !== null) {
      const r = tariff.rates[rate]!;
      const slot = (stay.zone * 5 + stay.vehicleCode) * nBands + bandIndex(r.band);
      const price = book.priceAt(slot, locked ? s : t);
      const headline = r.tiers?.[0]?.amountMinor ?? r.perVisitMinor ?? 0;
      if (price !== undefined) delta = price - headline;
    }
    minutes.push({ rate, mult: rate >= 0 ? mult : 0, delta: rate >= 0 ? delta : 0, date: l.date });
  }

  // Segments: runs of equal minutes (and one local date when the tariff has a daily cap).
  const dayCharge = new Map<string, number>();
  let visit = 0;
  let i = 0;
  while (i < minutes.length) {
    const m = minutes[i]!;
    let j = i + 1;
    while (
      j < minutes.length &&
      minutes[j]!.rate === m.rate &&
      minutes[j]!.mult === m.mult &&
      minutes[j]!.delta === m.delta &&
      (!capped || minutes[j]!.date === m.date)
    )
      j++;
    if (m.rate >= 0) {
      const r = tariff.rates[m.rate]!;
      const tiers = r.tiers ?? [];
      const fee = tiers.length === 0 ? Math.max((r.perVisitMinor ?? 0) + m.delta, 0) : (r.perVisitMinor ?? 0);
      visit = Math.max(visit, Math.round(fee * m.mult));
      // Units walked one by one from the segment's start.
      const len = j - i;
      let sum = 0;
      let at = 0;
      while (at < len && tiers.length > 0) {
        let k = 0;
        while (k + 1 < tiers.length && tiers[k + 1]!.fromMinutes <= at) k++;
        sum += Math.round(Math.max(tiers[k]!.amountMinor + m.delta, 0) * m.mult);
        const u = tiers[k]!.unitMinutes;
        at = u === undefined ? len : at + u;
      }
      dayCharge.set(m.date, (dayCharge.get(m.date) ?? 0) + sum);
    }
    i = j;
  }
  let total = visit;
  for (const sum of dayCharge.values()) total += capped ? Math.min(sum, tariff.dailyCapMinor!) : sum;
  if (tariff.maxFeeMinor !== undefined) total = Math.min(total, tariff.maxFeeMinor);
  const step = doc.rounding.stepMinor;
  const down = Math.floor(total / step) * step;
  if (down === total) return total;
  if (doc.rounding.rule === "down") return down;
  if (doc.rounding.rule === "up") return down + step;
  return total - down >= step / 2 ? down + step : down;
}
