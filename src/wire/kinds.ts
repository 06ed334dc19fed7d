/**
 * Event kinds: CDS `event_type` names and their wire codes (`EventKind` in parkir.fbs).
 */

/** CDS-style event type names in wire-code order. */
export const EVENT_TYPES = [
  "park_start",
  "park_end",
  "scheduled_report",
  "comms_lost",
  "comms_restored",
  "decommissioned",
  "enter_area",
  "exit_area",
  "manual_count",
  "payment_start",
  "payment_end",
] as const;

/** A CDS-style event type name. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Wire codes by name. */
export const KIND = {
  park_start: 0,
  park_end: 1,
  scheduled_report: 2,
  comms_lost: 3,
  comms_restored: 4,
  decommissioned: 5,
  enter_area: 6,
  exit_area: 7,
  manual_count: 8,
  payment_start: 9,
  payment_end: 10,
} as const satisfies Record<EventType, number>;

/** Number of kinds; codes are 0..KIND_COUNT-1. */
export const KIND_COUNT = EVENT_TYPES.length;

/** Kinds about one bay's sensor (target is a bay). */
export function isBayKind(code: number): boolean {
  return code <= KIND.decommissioned;
}

/** Kinds about a payment session. */
export function isPaymentKind(code: number): boolean {
  return code === KIND.payment_start || code === KIND.payment_end;
}
