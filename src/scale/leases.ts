/**
 * Fair shares of partitions between live workers. Pure functions: the worker's lease loop (worker.ts)
 * applies them to what it reads from the lease bucket.
 */

/**
 * How many of `partitions` the worker `self` should own when `members` are alive: members sorted by id, the
 * first `partitions mod members` get one more than the rest, so the shares always add up to `partitions`.
 * A worker missing from `members` (not registered yet) counts as one more member, last.
 *
 * @example fairShare(["a", "b", "c"], "b", 7) // 2 (a gets 3)
 */
export function fairShare(members: readonly string[], self: string, partitions: number): number {
  const ids = [...new Set(members)].sort();
  if (!ids.includes(self)) ids.push(self);
  const n = ids.length;
  const base = Math.floor(partitions / n);
  return base + (ids.indexOf(self) < partitions % n ? 1 : 0);
}

/**
 * The order in which a worker tries free partitions: starting at a place derived from its id, so workers
 * racing for free partitions mostly try different ones first.
 */
export function probeOrder(self: string, partitions: number): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < self.length; i++) h = Math.imul(h ^ self.charCodeAt(i), 0x01000193) >>> 0;
  const start = h % partitions;
  return Array.from({ length: partitions }, (_, i) => (start + i) % partitions);
}
