/**
 * Quotes: the amount of one stay with a line-by-line breakdown a driver or auditor can follow.
 * The amount comes from the same kernel as batch billing (kernel.ts).
 */
import { VEHICLE_CODES, vehicleCode, vehicleName } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { type BillRecorder, billOne } from "./kernel.js";
import { formatMoney } from "./money.js";
import type { PriceBook } from "./pricebook.js";
import type { TariffTable } from "./table.js";

/** Price-assurance mode: `locked` keeps the prices in force at arrival for the whole stay; `integrated` prices each unit at its start. */
export type Assurance = "locked" | "integrated";

/** What to quote. Times are ms since the epoch or ISO-8601 with an offset. */
export interface QuoteRequest {
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class name or alias (e.g. "car", "motorcycle", "2"). */
  readonly vehicleType: string;
  /** Arrival (or use `startMs`). */
  readonly start?: number | string;
  /** Departure (or use `endMs`). */
  readonly end?: number | string;
  /** Arrival, ms. */
  readonly startMs?: number;
  /** Departure, ms. */
  readonly endMs?: number;
  /** Price-assurance mode. Default "locked". */
  readonly assurance?: Assurance;
}

/** One line of a quote; the amounts of all lines add up to the quote's amount. */
export interface QuoteLine {
  /** Start of what the line charges for (local ISO-8601 with offset). */
  readonly from: string;
  /** End of it. */
  readonly to: string;
  /** What it is, in words. */
  readonly label: string;
  /** Minor units (negative for caps and rounding down). */
  readonly amount: number;
}

/** A priced stay. */
export interface Quote {
  /** Amount due, integer minor units, a multiple of the policy's rounding step. */
  readonly amount: number;
  /** ISO 4217 currency. */
  readonly currency: string;
  /** Zone id. */
  readonly zone: string;
  /** Canonical vehicle class. */
  readonly vehicleType: string;
  /** Arrival, local ISO-8601. */
  readonly start: string;
  /** Departure, local ISO-8601. */
  readonly end: string;
  /** Price-assurance mode used. */
  readonly assurance: Assurance;
  /** Line-by-line breakdown. */
  readonly breakdown: readonly QuoteLine[];
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** ms of a quote time (integer ms or ISO-8601 with an offset), or NaN. */
export function parseQuoteTime(v: unknown): number {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : Number.NaN;
  if (typeof v !== "string" || !ISO_WITH_OFFSET.test(v)) return Number.NaN;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/**
 * Quotes one stay against a compiled table, with dynamic prices from `prices` when given.
 *
 * @throws ParkirConfigError when the zone, vehicle class, times or assurance are invalid.
 * @example
 * quote(table, { zone: "PLU-001", vehicleType: "car", start: "2026-11-30T09:00:00+08:00", end: "2026-11-30T10:30:00+08:00" });
 * // { amount: 4000, currency: "IDR", breakdown: [{ label: "visit fee …", amount: 4000, … }], … }
 */
export function quote(table: TariffTable, req: QuoteRequest, prices: PriceBook | null = null): Quote {
  const issues: Issue[] = [];
  const zone = table.city.zoneIndex(String(req.zone));
  if (zone < 0) issues.push({ path: "zone", message: `unknown zone ${String(req.zone)}` });
  const code = vehicleCode(String(req.vehicleType));
  if (code < 0)
    issues.push({ path: "vehicleType", message: `unknown vehicle class ${String(req.vehicleType)}` });
  const s = parseQuoteTime(req.start ?? req.startMs);
  const e = parseQuoteTime(req.end ?? req.endMs);
  if (Number.isNaN(s))
    issues.push({ path: "start", message: "must be ms since the epoch or ISO-8601 with an offset" });
  if (Number.isNaN(e))
    issues.push({ path: "end", message: "must be ms since the epoch or ISO-8601 with an offset" });
  if (!Number.isNaN(s) && !Number.isNaN(e) && e < s)
    issues.push({ path: "end", message: "must not be before start" });
  const assurance = req.assurance ?? "locked";
  if (assurance !== "locked" && assurance !== "integrated")
    issues.push({ path: "assurance", message: 'must be "locked" or "integrated"' });
  if (prices !== null && prices.slots !== table.priceSlots)
    issues.push({
      path: "prices",
      message: `price book has ${prices.slots} slots; this table needs ${table.priceSlots}`,
    });
  if (issues.length === 0 && e - s > 366 * 86_400_000)
    issues.push({ path: "end", message: "stays longer than 366 days are not billed" });
  if (issues.length > 0) throw new ParkirConfigError("quote request", issues);

  table.ensureRange(s, e);
  const rec = new BreakdownRecorder(table, s, e, table.zoneVehicleGroup[zone * VEHICLE_CODES + code]!);
  const amount = billOne(table, prices?.flatten() ?? null, zone, code, s, e, assurance === "locked", rec);
  const clock = table.clock;
  return {
    amount,
    currency: table.currency,
    zone: table.city.zones[zone]!.id,
    vehicleType: vehicleName(code),
    start: clock.iso(s),
    end: clock.iso(e),
    assurance,
    breakdown: rec.lines(),
  };
}

interface RawLine {
  from: number;
  to: number;
  label: string;
  amount: number;
  key: string;
  count: number;
  unitMs: number;
  priceMinor: number;
  mult: number;
  rateLabel: string;
}

/** Builds breakdown lines, merging consecutive equal units. */
class BreakdownRecorder implements BillRecorder {
  private readonly raw: RawLine[] = [];
  constructor(
    private readonly table: TariffTable,
    private readonly s: number,
    private readonly e: number,
    private readonly group: number,
  ) {}

  private money(a: number): string {
    return formatMoney(a, this.table.currency);
  }

  private push(from: number, to: number, label: string, amount: number): void {
    this.raw.push({
      from,
      to,
      label,
      amount,
      key: "",
      count: 0,
      unitMs: 0,
      priceMinor: 0,
      mult: 1,
      rateLabel: "",
    });
  }

  private rateLabel(rate: number): string {
    const tariff = this.table.policy.tariffs[this.table.rateTariff[rate]!]!;
    const local = rate - firstRateOf(this.table, this.table.rateTariff[rate]!);
    const r = tariff.rates[local]!;
    const band = this.table.policy.bands[r.band]!;
    return `${tariff.label}, ${band.label}`;
  }

  grace(graceMs: number): void {
    this.push(this.s, this.e, `free: stay shorter than the ${humanDuration(graceMs)} grace period`, 0);
  }
  noTariff(): void {
    this.push(this.s, this.e, "free: no tariff applies to this zone and vehicle class", 0);
  }
  visitFee(t: number, amountMinor: number, rate: number, mult: number): void {
    const m = mult !== 1 ? ` × ${mult}` : "";
    // First line: the visit fee is charged once, however long the stay.
    this.raw.unshift({
      from: t,
      to: this.e,
      label: `visit fee${m} (${this.rateLabel(rate)})`,
      amount: amountMinor,
      key: "",
      count: 0,
      unitMs: 0,
      priceMinor: 0,
      mult: 1,
      rateLabel: "",
    });
  }
  units(
    from: number,
    to: number,
    count: number,
    amountMinor: number,
    rate: number,
    tier: number,
    priceMinor: number,
    mult: number,
  ): void {
    const unitMs = this.table.tierUnitMs[tier]!;
    const key = `${rate}|${tier}|${priceMinor}|${mult}|${amountMinor}`;
    const last = this.raw[this.raw.length - 1];
    if (last !== undefined && last.key === key && last.to === from) {
      last.to = to;
      last.count += count;
      last.amount += count * amountMinor;
      return;
    }
    this.raw.push({
      from,
      to,
      label: "",
      amount: count * amountMinor,
      key,
      count,
      unitMs,
      priceMinor,
      mult,
      rateLabel: this.rateLabel(rate),
    });
  }
  dailyCap(from: number, to: number, excessMinor: number): void {
    const cap = this.table.groupDailyCapMinor[this.group]!;
    this.push(from, to, `daily cap ${this.money(cap)} per local day`, -excessMinor);
  }
  maxFee(excessMinor: number): void {
    const cap = this.table.groupMaxFeeMinor[this.group]!;
    this.push(this.s, this.e, `maximum fee ${this.money(cap)} per visit`, -excessMinor);
  }
  rounding(diffMinor: number): void {
    const p = this.table.policy;
    this.push(
      this.s,
      this.e,
      `rounded ${p.roundingRule} to a multiple of ${this.money(p.roundingStepMinor)}`,
      diffMinor,
    );
  }

  lines(): QuoteLine[] {
    const clock = this.table.clock;
    return this.raw.map((l) => {
      let label = l.label;
      if (l.count > 0) {
        const unit = l.unitMs > 0 ? humanDuration(l.unitMs) : "rest of stay";
        const m = l.mult !== 1 ? ` × ${l.mult}` : "";
        label = `${l.count} × ${unit} at ${this.money(l.priceMinor)}${m} (${l.rateLabel})`;
      }
      return { from: clock.iso(l.from), to: clock.iso(l.to), label, amount: l.amount };
    });
  }
}

function firstRateOf(table: TariffTable, tariff: number): number {
  let r = 0;
  for (let t = 0; t < tariff; t++) r += table.policy.tariffs[t]!.rates.length;
  return r;
}

/** "1 h", "30 min", "1 h 30 min", "2 d". */
export function humanDuration(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min % 1440 === 0) return `${min / 1440} d`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
