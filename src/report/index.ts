/** The daily report: a day replayed, and rendered as one self-contained HTML file. */
export { type DayData, type DayInput, replayDay } from "./day.js";
export { money, zoneLabel } from "./format.js";
export { decisionReason, HIGH, LOW, type PointDay, pointDays, renderReport, reportDate } from "./html.js";
export {
  type ClassRevenue,
  type ObservedVisits,
  observedVisits,
  revenueByZone,
  type ZoneRevenue,
} from "./revenue.js";
