/**
 * The pricing policy document (JSON), validated with zod so every problem is reported with its
 * JSON path. Field meanings are documented in docs/PRICING.md; cross-references (band ids, zone
 * ids, presets) are checked by `loadPolicy` and `compileTariffs`.
 */
import type { z } from "zod";
import { DETECTION_METHODS, idSchema } from "../catalog/schema.js";
import { VEHICLE_TYPES } from "../catalog/vehicles.js";
import { lazySchema, type Z } from "../catalog/zod.js";
import { DURATION_PATTERN } from "./duration.js";
import { dayNumberOfDate, minuteOfDay } from "./localtime.js";

/** Id of the implicit band that covers all times (used when a rate names no band). */
export const ALWAYS_BAND = "always";

/** Largest amount of money a policy may state, in minor units. */
export const MONEY_MINOR_MAX = 1_000_000_000;

/** "0.85" or "85%" as the decimal number it denotes (the percent sign moves the point two places, in text). */
function decimalText(s: string): number {
  if (!s.endsWith("%")) return Number(s);
  const [int, frac = ""] = s.slice(0, -1).split(".");
  const digits = `${int}${frac}`.padStart(int!.length + 2, "0");
  const point = digits.length - frac.length - 2;
  return Number(`${digits.slice(0, point)}.${digits.slice(point)}`);
}

/** Days of the week as CDS writes them. */
export const DAYS_OF_WEEK = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Controller presets with published bands and steps (see presets.ts). */
export const PRESET_NAMES = ["sfpark", "seattle", "losAngeles", "calgary"] as const;

function build(z: Z) {
  const id = idSchema(z);
  const ids = z
    .union([id, z.array(id).min(1, "must not be empty").max(100_000)])
    .transform((v) => (Array.isArray(v) ? v : [v]));
  const money = z.number().int("must be an integer (minor units)").min(0).max(MONEY_MINOR_MAX);
  const hhmm = z
    .string()
    .refine((s) => !Number.isNaN(minuteOfDay(s)), 'must be local time "HH:MM" (00:00 to 24:00)');
  const localDate = z
    .string()
    .refine((s) => !Number.isNaN(dayNumberOfDate(s)), "must be a local date YYYY-MM-DD");
  const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as "15m", "1h" or "28d"');
  /** A share in [0, 1]: a number, a decimal string ("0.85") or a percentage ("85%", "87.5%"). */
  const occupancy = z
    .union([
      z.number(),
      z
        .string()
        .regex(
          /^(\d{1,3}(\.\d{1,10})?%|\d(\.\d{1,12})?)$/,
          'must be a number, a decimal such as "0.85" or a percentage such as "85%"',
        )
        .transform(decimalText),
    ])
    .pipe(z.number().min(0).max(1));
  const instant = z.union([
    z.number().int().min(0),
    z
      .string()
      .regex(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/,
        "must be ISO-8601 with an offset, e.g. 2026-01-01T00:00:00+08:00",
      )
      .refine((s) => Number.isFinite(Date.parse(s)), "must be a real date and time"),
  ]);
  const vehicleTypes = z.array(z.enum(VEHICLE_TYPES)).min(1, "must name at least one vehicle class");

  /** Which zones a rule applies to: every given field must match (an empty selector matches all zones). */
  const zoneSelector = z
    .object({
      ids: ids.optional(),
      zoneClass: ids.optional(),
      detection: z.enum(DETECTION_METHODS).optional(),
      street: z.enum(["on", "off"]).optional(),
    })
    .strict();

  const designated = z.enum(["any", "only", "except"]);

  const band = z
    .object({
      id,
      label: z.string().max(200).optional(),
      daysOfWeek: z.array(z.enum(DAYS_OF_WEEK)).min(1).max(7).optional(),
      timeOfDayStart: hhmm.optional(),
      timeOfDayEnd: hhmm.optional(),
      holidays: designated.default("any"),
      eventDays: designated.default("any"),
    })
    .strict()
    .superRefine((b, ctx) => {
      const start = minuteOfDay(b.timeOfDayStart ?? "00:00");
      const end = minuteOfDay(b.timeOfDayEnd ?? "24:00");
      if (start === 1440)
        ctx.addIssue({ code: "custom", path: ["timeOfDayStart"], message: "must be before 24:00" });
      if (end === 0 && b.timeOfDayEnd !== undefined && start === 0)
        ctx.addIssue({ code: "custom", path: ["timeOfDayEnd"], message: "an empty time of day; use 24:00" });
      if (start === end)
        ctx.addIssue({ code: "custom", path: ["timeOfDayEnd"], message: "must differ from timeOfDayStart" });
    });

  const tier = z
    .object({
      fromMinutes: z.number().int().min(0).max(527_040),
      unitMinutes: z.number().int().min(1).max(527_040).optional(),
      amountMinor: money,
    })
    .strict();

  const rate = z
    .object({
      band: id.default(ALWAYS_BAND),
      label: z.string().max(200).optional(),
      perVisitMinor: money.optional(),
      tiers: z.array(tier).min(1).max(32).optional(),
    })
    .strict()
    .superRefine((r, ctx) => {
      if (r.perVisitMinor === undefined && r.tiers === undefined)
        ctx.addIssue({ code: "custom", path: [], message: "a rate needs perVisitMinor, tiers or both" });
      const tiers = r.tiers ?? [];
      tiers.forEach((t, i) => {
        if (i === 0 && t.fromMinutes !== 0)
          ctx.addIssue({
            code: "custom",
            path: ["tiers", 0, "fromMinutes"],
            message: "the first tier must start at 0",
          });
        const prev = tiers[i - 1];
        if (prev !== undefined) {
          if (prev.unitMinutes === undefined)
            ctx.addIssue({
              code: "custom",
              path: ["tiers", i - 1, "unitMinutes"],
              message: "only the last tier may omit unitMinutes (one unit for the rest of the stay)",
            });
          else if (t.fromMinutes <= prev.fromMinutes)
            ctx.addIssue({
              code: "custom",
              path: ["tiers", i, "fromMinutes"],
              message: "tiers must start in increasing order",
            });
          else if ((t.fromMinutes - prev.fromMinutes) % prev.unitMinutes !== 0)
            ctx.addIssue({
              code: "custom",
              path: ["tiers", i, "fromMinutes"],
              message: `must lie a whole number of the previous tier's ${prev.unitMinutes}-minute units after ${prev.fromMinutes}`,
            });
        }
      });
    });

  const tariff = z
    .object({
      id,
      label: z.string().max(200).optional(),
      zones: zoneSelector.default({}),
      vehicleTypes,
      graceMinutes: z.number().int().min(0).max(1440).default(0),
      maxFeeMinor: money.optional(),
      dailyCapMinor: money.optional(),
      rates: z.array(rate).min(1, "a tariff needs at least one rate").max(64),
    })
    .strict();

  const surcharge = z
    .object({
      id,
      label: z.string().max(200).optional(),
      band: id,
      multiplier: z.number().positive().max(100),
      zones: zoneSelector.default({}),
      vehicleTypes: vehicleTypes.optional(),
    })
    .strict();

  const limit = z
    .object({
      zoneClass: ids,
      vehicleTypes: vehicleTypes.optional(),
      floorMinor: money.optional(),
      ceilingMinor: money.optional(),
      note: z.string().max(2000).optional(),
    })
    .strict()
    .refine(
      (l) => l.floorMinor === undefined || l.ceilingMinor === undefined || l.floorMinor <= l.ceilingMinor,
      {
        message: "floorMinor must not exceed ceilingMinor",
        path: ["floorMinor"],
      },
    );

  const controller = z
    .object({
      id,
      type: z.enum(["step", "pi"]).optional(),
      preset: z.enum(PRESET_NAMES).optional(),
      scale: z.number().positive().max(1_000_000).optional(),
      zones: zoneSelector.default({}),
      vehicleTypes: vehicleTypes.optional(),
      bands: z.array(id).min(1).optional(),
      every: duration.optional(),
      minInterval: duration.optional(),
      minCoverage: occupancy.default(0),
      minMinor: money.optional(),
      maxMinor: money.optional(),
      // step
      lower: occupancy.optional(),
      upper: occupancy.optional(),
      stepMinor: money.optional(),
      lower2: occupancy.optional(),
      upper2: occupancy.optional(),
      step2Minor: money.optional(),
      // pi
      target: occupancy.optional(),
      kp: z.number().min(0).max(1e9).optional(),
      ki: z.number().min(0).max(1e9).optional(),
      integralLimit: z.number().positive().max(1e9).optional(),
      maxChangeMinor: money.optional(),
      deadBand: occupancy.optional(),
      note: z.string().max(2000).optional(),
    })
    .strict();

  const freeze = z
    .object({
      zones: zoneSelector.default({}),
      vehicleTypes: vehicleTypes.optional(),
      from: instant,
      to: instant,
      reason: z.string().min(1).max(500),
    })
    .strict();

  const dynamic = z
    .object({
      anchor: instant.optional(),
      controllers: z.array(controller).min(1).max(1000),
      freezes: z.array(freeze).max(10_000).default([]),
    })
    .strict();

  const variant = z
    .object({
      note: z.string().max(4000).optional(),
      bands: z.array(band).max(256).optional(),
      tariffs: z.array(tariff).max(1000).optional(),
      surcharges: z.array(surcharge).max(256).optional(),
      dynamic: dynamic.optional(),
    })
    .strict();

  const policySchema = z
    .object({
      id,
      name: z.string().min(1).max(200),
      currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as IDR"),
      note: z.string().max(4000).optional(),
      rounding: z
        .object({
          stepMinor: z.number().int().min(1).max(1_000_000),
          rule: z.enum(["nearest", "up", "down"]),
        })
        .strict(),
      calendar: z
        .object({
          holidays: z.array(localDate).max(10_000).default([]),
          eventDays: z.array(localDate).max(10_000).default([]),
        })
        .strict()
        .default({ holidays: [], eventDays: [] }),
      bands: z.array(band).max(256).default([]),
      tariffs: z.array(tariff).min(1, "a policy needs at least one tariff").max(1000),
      vehicleMultipliers: z
        .object(Object.fromEntries(VEHICLE_TYPES.map((v) => [v, z.number().positive().max(100).optional()])))
        .strict()
        .default({}),
      surcharges: z.array(surcharge).max(256).default([]),
      limits: z.array(limit).max(1000).default([]),
      dynamic: dynamic.optional(),
      variants: z.record(id, variant).optional(),
    })
    .strict();
  return { policySchema, band, tariff, rate, controller, zoneSelector, surcharge, limit, dynamic, freeze };
}

type Schemas = ReturnType<typeof build>;

/** The schemas of a pricing policy document (zod, built at the first call). */
const schemas = lazySchema(build);

/** Schema of a pricing policy document (zod, built at the first call). */
export function policySchema(): Schemas["policySchema"] {
  return schemas().policySchema;
}

/** A policy document as written in JSON (after defaults). */
export type PolicyDocument = z.output<Schemas["policySchema"]>;
/** One band (time span) of a policy document. */
export type BandDocument = z.output<Schemas["band"]>;
/** One tariff of a policy document. */
export type TariffDocument = z.output<Schemas["tariff"]>;
/** One rate (charge in a band) of a tariff. */
export type RateDocument = z.output<Schemas["rate"]>;
/** One controller of the dynamic section. */
export type ControllerDocument = z.output<Schemas["controller"]>;
/** A zone selector. */
export type ZoneSelector = z.output<Schemas["zoneSelector"]>;
/** One surcharge. */
export type SurchargeDocument = z.output<Schemas["surcharge"]>;
/** One legal limit. */
export type LimitDocument = z.output<Schemas["limit"]>;
/** The dynamic section. */
export type DynamicDocument = z.output<Schemas["dynamic"]>;
/** One freeze of the dynamic section. */
export type FreezeDocument = z.output<Schemas["freeze"]>;
