/**
 * Pricing: tariff policies, quotes and batch billing, demand-responsive controllers with
 * explainable decisions, revenue reconciliation and CDS export. See docs/PRICING.md.
 */
export { type BillBatchOptions, billBatch } from "./batch.js";
export {
  type CdsExport,
  type CdsExportOptions,
  type CdsPolicy,
  type CdsRate,
  type CdsRule,
  type CdsTimeSpan,
  toCds,
} from "./cds.js";
export {
  CONTROLLER_FLAG,
  CONTROLLER_PARAM,
  CONTROLLER_RATIO,
  CONTROLLER_RULE,
  type ControllerArrays,
  controllerPass,
  createControllerArrays,
} from "./controller.js";
export { type DecisionSource, decisionLine, type TariffDecision } from "./decision.js";
export {
  PricingEngine,
  type PricingEngineOptions,
  type PricingEngineStats,
  type SlotPrice,
} from "./engine.js";
export type { BatchBillReport, PriceArrays } from "./kernel.js";
export { LocalClock, type LocalDay } from "./localtime.js";
export { formatMoney, type RoundingRule, roundToStep } from "./money.js";
export type { FreezeRequest, OperatorAction, OverrideRequest } from "./operator.js";
export {
  ALWAYS_BAND,
  type Band,
  type Controller,
  type ControllerThresholds,
  type Dynamic,
  type Freeze,
  type Limit,
  type LoadPolicyOptions,
  loadPolicy,
  loadPolicyFile,
  type Policy,
  type Rate,
  type Surcharge,
  type Tariff,
  type Tier,
} from "./policy.js";
export { CALGARY, LOS_ANGELES, PRESETS, SEATTLE, SFPARK, type StepPreset } from "./presets.js";
export { PriceBook, priceSlot } from "./pricebook.js";
export { type Assurance, type Quote, type QuoteLine, type QuoteRequest, quote } from "./quote.js";
export { compareRatio, decimalRatio, type Ratio } from "./ratio.js";
export {
  type DetectedStay,
  type PaidSession,
  type ReconcileOptions,
  type ReconciliationReport,
  reconcile,
  type ZoneReconciliation,
} from "./reconcile.js";
export { type PolicyDocument, policySchema, type ZoneSelector } from "./schema.js";
export { compileTariffs, DAY_CLASSES, STAY_MS_MAX, TariffTable } from "./table.js";
export { type BillingRows, WasmBilling } from "./wasm-billing.js";
