/**
 * Revenue reconciliation: sensor-detected stays against paid sessions, per zone — how many stays
 * were paid, what the policy says they should have paid, what was collected, and the estimated
 * leakage (the e-parking goal is to stop it).
 *
 * Matching rule (deterministic, documented in docs/PRICING.md):
 * 1. Only a stay and a payment of the same zone can match, and only when their vehicle classes
 *    agree (a payment without a class agrees with any stay).
 * 2. A payment is a candidate for a stay when it overlaps the stay widened by `toleranceMs` on
 *    both sides ([start − tol, end + tol)); an instantaneous payment must fall inside that span.
 * 3. As many stays as possible are paired (a maximum bipartite matching, `maximumMatching`), a
 *    payment paying for at most one stay. Which maximum: stays in order of (start, end, class, input
 *    index) first take the free candidate with the largest overlap with the stay itself (ties:
 *    earlier payment start, then session id, then input index), and Hopcroft–Karp then adds the
 *    pairs this greedy pass missed by re-pairing along augmenting paths.
 * Expected revenue is the `locked` quote of every stay under the table's policy; leakage is the
 * expected amount of unpaid stays plus any shortfall of matched payments below their stay's amount.
 */
import { vehicleCode } from "../catalog/vehicles.js";
import { billKernel } from "./kernel.js";
import type { PriceBook } from "./pricebook.js";
import type { TariffTable } from "./table.js";

/** A stay seen by sensors (or counts). */
export interface DetectedStay {
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class name or alias. */
  readonly vehicleType: string;
  /** Arrival, ms. */
  readonly startMs: number;
  /** Departure, ms. */
  readonly endMs: number;
}

/** A paid session (QRIS payment, prepaid ticket, …). */
export interface PaidSession {
  /** Zone id. */
  readonly zone: string;
  /** Session id from the payment system. */
  readonly sessionId: string;
  /** Session start, ms. */
  readonly startMs: number;
  /** Session end, ms (equal to start for a one-off payment). */
  readonly endMs: number;
  /** Amount paid, minor units. */
  readonly amountMinor: number;
  /** Vehicle class, when the payment records one. */
  readonly vehicleType?: string;
}

/** Options of `reconcile`. */
export interface ReconcileOptions {
  /** How far a payment may lie outside a stay and still match it, ms. Default 10 min. */
  readonly toleranceMs?: number;
  /** Dynamic price history for expected amounts. Default: the static tariff. */
  readonly prices?: PriceBook | null;
}

/** Reconciliation of one zone (or of all zones, for totals). */
export interface ZoneReconciliation {
  /** Zone id ("*" for totals). */
  readonly zone: string;
  /** Detected stays. */
  readonly stays: number;
  /** Stays matched to a payment. */
  readonly paidStays: number;
  /** Stays without a payment. */
  readonly unpaidStays: number;
  /** Payments. */
  readonly payments: number;
  /** Payments matched to no stay (e.g. vehicles the sensors do not see). */
  readonly unmatchedPayments: number;
  /** What the detected stays should have paid under the policy, minor units. */
  readonly expectedMinor: number;
  /** What was paid (all payments of the zone), minor units. */
  readonly collectedMinor: number;
  /** Estimated leakage: expected amount of unpaid stays + shortfall of matched payments. */
  readonly leakageMinor: number;
}

/** A reconciliation report. */
export interface ReconciliationReport {
  /** Currency of every amount. */
  readonly currency: string;
  /** Zones with any stay or payment, in catalogue order. */
  readonly zones: readonly ZoneReconciliation[];
  /** Sums over all zones. */
  readonly totals: ZoneReconciliation;
  /** Stays refused (unknown zone or class, end before start). */
  readonly invalidStays: number;
  /** Payments refused (unknown zone, end before start, bad amount). */
  readonly invalidPayments: number;
}

interface Acc {
  stays: number;
  paidStays: number;
  payments: number;
  matchedPayments: number;
  expected: number;
  collected: number;
  leakage: number;
}

/**
 * Reconciles detected stays with paid sessions (see the file comment for the matching rule).
 *
 * @example
 * const r = reconcile(table, stays, payments);
 * r.totals.leakageMinor; // rupiah the city did not collect
 */
export function reconcile(
  table: TariffTable,
  stays: readonly DetectedStay[],
  payments: readonly PaidSession[],
  options: ReconcileOptions = {},
): ReconciliationReport {
  const tol = options.toleranceMs ?? 600_000;
  const city = table.city;
  const zc = city.zoneCount;
  // Valid stays, billed in one batch.
  const sIdx: number[] = [];
  const sZone: number[] = [];
  const sCode: number[] = [];
  let invalidStays = 0;
  stays.forEach((s, i) => {
    const z = city.zoneIndex(s.zone);
    const c = vehicleCode(s.vehicleType);
    if (z < 0 || c < 0 || !Number.isFinite(s.startMs) || !(s.endMs >= s.startMs)) invalidStays++;
    else {
      sIdx.push(i);
      sZone.push(z);
      sCode.push(c);
    }
  });
  const n = sIdx.length;
  const starts = Float64Array.from(sIdx, (i) => stays[i]!.startMs);
  const ends = Float64Array.from(sIdx, (i) => stays[i]!.endMs);
  const expected = new Float64Array(n);
  const p = options.prices && options.prices.size > 0 ? options.prices.flatten() : null;
  billKernel(table, p, starts, ends, Uint32Array.from(sZone), Uint8Array.from(sCode), expected, true);

  const acc: Acc[] = Array.from({ length: zc }, () => ({
    stays: 0,
    paidStays: 0,
    payments: 0,
    matchedPayments: 0,
    expected: 0,
    collected: 0,
    leakage: 0,
  }));
  const stayByZone: number[][] = Array.from({ length: zc }, () => []);
  for (let k = 0; k < n; k++) {
    const amount = Math.max(expected[k]!, 0);
    if (expected[k]! < 0) invalidStays++;
    else stayByZone[sZone[k]!]!.push(k);
    expected[k] = amount;
  }
  const payByZone: number[][] = Array.from({ length: zc }, () => []);
  const payCode: number[] = [];
  let invalidPayments = 0;
  payments.forEach((q, i) => {
    const z = city.zoneIndex(q.zone);
    const c = q.vehicleType === undefined ? 0 : vehicleCode(q.vehicleType);
    payCode.push(c);
    if (z < 0 || c < 0 || !Number.isFinite(q.startMs) || !(q.endMs >= q.startMs) || !(q.amountMinor >= 0))
      invalidPayments++;
    else payByZone[z]!.push(i);
  });

  for (let z = 0; z < zc; z++) {
    const a = acc[z]!;
    const ss = stayByZone[z]!.sort(
      (x, y) =>
        starts[x]! - starts[y]! || ends[x]! - ends[y]! || sCode[x]! - sCode[y]! || sIdx[x]! - sIdx[y]!,
    );
    const ps = payByZone[z]!.sort((x, y) => {
      const px = payments[x]!;
      const py = payments[y]!;
      return px.startMs - py.startMs || px.endMs - py.endMs || cmp(px.sessionId, py.sessionId) || x - y;
    });
    let maxDur = 0;
    for (const i of ps) {
      const q = payments[i]!;
      a.payments++;
      a.collected += q.amountMinor;
      maxDur = Math.max(maxDur, q.endMs - q.startMs);
    }
    const pStart = Float64Array.from(ps, (i) => payments[i]!.startMs);
    // Candidates of each stay (CSR), in preference order: largest overlap, then payment order.
    const adjStart = new Int32Array(ss.length + 1);
    const adj: number[] = [];
    const score: number[] = [];
    ss.forEach((k, u) => {
      const s0 = starts[k]!;
      const e0 = ends[k]!;
      const from = adj.length;
      for (let j = lowerBound(pStart, s0 - tol - maxDur); j < ps.length && pStart[j]! <= e0 + tol; j++) {
        const q = payments[ps[j]!]!;
        const qc = payCode[ps[j]!]!;
        if (qc !== 0 && qc !== sCode[k]) continue;
        const inside =
          q.startMs === q.endMs
            ? q.startMs >= s0 - tol && q.startMs <= e0 + tol
            : q.startMs < e0 + tol && q.endMs > s0 - tol;
        if (!inside) continue;
        adj.push(j);
        score.push(Math.min(e0, q.endMs) - Math.max(s0, q.startMs));
      }
      // Stable sort of this stay's candidates by overlap, largest first (payment order breaks ties).
      const order = adj.slice(from).map((j, x) => [j, score[from + x]!] as const);
      order.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
      order.forEach(([j], x) => {
        adj[from + x] = j;
      });
      adjStart[u + 1] = adj.length;
    });
    const matchOf = maximumMatching(ss.length, ps.length, adjStart, Int32Array.from(adj));
    ss.forEach((k, u) => {
      a.stays++;
      a.expected += expected[k]!;
      const j = matchOf[u]!;
      if (j < 0) a.leakage += expected[k]!;
      else {
        a.paidStays++;
        a.matchedPayments++;
        const paid = payments[ps[j]!]!.amountMinor;
        if (paid < expected[k]!) a.leakage += expected[k]! - paid;
      }
    });
  }

  const zones: ZoneReconciliation[] = [];
  const total: Acc = {
    stays: 0,
    paidStays: 0,
    payments: 0,
    matchedPayments: 0,
    expected: 0,
    collected: 0,
    leakage: 0,
  };
  acc.forEach((a, z) => {
    if (a.stays === 0 && a.payments === 0) return;
    zones.push(row(city.zones[z]!.id, a));
    for (const k of Object.keys(total) as (keyof Acc)[]) total[k] += a[k];
  });
  return { currency: table.currency, zones, totals: row("*", total), invalidStays, invalidPayments };
}

function row(zone: string, a: Acc): ZoneReconciliation {
  return {
    zone,
    stays: a.stays,
    paidStays: a.paidStays,
    unpaidStays: a.stays - a.paidStays,
    payments: a.payments,
    unmatchedPayments: a.payments - a.matchedPayments,
    expectedMinor: a.expected,
    collectedMinor: a.collected,
    leakageMinor: a.leakage,
  };
}

/**
 * A maximum matching of a bipartite graph (left vertices 0…nLeft−1 with candidates
 * `adj[adjStart[u] … adjStart[u + 1] − 1]` among right vertices 0…nRight−1): the right vertex of
 * each left one, or −1. Deterministic: it starts from the greedy pairing (left vertices in order,
 * each taking its first free candidate) and then augments it with Hopcroft–Karp (BFS layers, then
 * iterative DFS along candidates in order), so the greedy preference survives wherever it does not
 * cost a pair. O(E·√V) time and O(V) extra memory for E candidate pairs and V vertices; no recursion.
 */
export function maximumMatching(
  nLeft: number,
  nRight: number,
  adjStart: Int32Array,
  adj: Int32Array,
): Int32Array {
  const matchL = new Int32Array(nLeft).fill(-1);
  const matchR = new Int32Array(nRight).fill(-1);
  for (let u = 0; u < nLeft; u++) {
    for (let x = adjStart[u]!; x < adjStart[u + 1]!; x++) {
      const v = adj[x]!;
      if (matchR[v]! < 0) {
        matchR[v] = u;
        matchL[u] = v;
        break;
      }
    }
  }
  const INF = 0x7fffffff;
  const dist = new Int32Array(nLeft);
  const queue = new Int32Array(nLeft);
  const it = new Int32Array(nLeft);
  const stack = new Int32Array(nLeft);
  for (;;) {
    // BFS from every free left vertex over alternating paths.
    let head = 0;
    let tail = 0;
    for (let u = 0; u < nLeft; u++) {
      if (matchL[u]! < 0) {
        dist[u] = 0;
        queue[tail++] = u;
      } else dist[u] = INF;
    }
    let found = false;
    while (head < tail) {
      const u = queue[head++]!;
      for (let x = adjStart[u]!; x < adjStart[u + 1]!; x++) {
        const w = matchR[adj[x]!]!;
        if (w < 0) found = true;
        else if (dist[w] === INF) {
          dist[w] = dist[u]! + 1;
          queue[tail++] = w;
        }
      }
    }
    if (!found) return matchL;
    // DFS along the layers from each free left vertex; augment at a free right vertex.
    for (let u = 0; u < nLeft; u++) it[u] = adjStart[u]!;
    for (let root = 0; root < nLeft; root++) {
      if (matchL[root]! >= 0) continue;
      let top = 0;
      stack[0] = root;
      while (top >= 0) {
        const u = stack[top]!;
        if (it[u]! >= adjStart[u + 1]!) {
          dist[u] = INF; // dead end for this phase
          top--;
          continue;
        }
        const v = adj[it[u]!]!;
        it[u]!++;
        const w = matchR[v]!;
        if (w < 0) {
          // Flip the path: each vertex on the stack takes the candidate it descended through.
          for (let i = top; i >= 0; i--) {
            const uu = stack[i]!;
            const vv = adj[it[uu]! - 1]!;
            matchR[vv] = uu;
            matchL[uu] = vv;
          }
          break;
        }
        if (dist[w] === dist[u]! + 1) stack[++top] = w;
      }
    }
  }
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
