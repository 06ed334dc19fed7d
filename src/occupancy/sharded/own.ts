/**
 * Own admission: which batches the shards of a sharded engine may admit by zone, each only its own zones'
 * events, with results identical to one engine.
 *
 * Admission couples the zones through the watermark (an event is late relative to the watermark at that event,
 * which every accepted event of any zone raises) and through de-duplication keys that can repeat across zones.
 * A batch is split by zone when every key it holds belongs to the zone of its event, and none of them can make a
 * copy with a newer time a duplicate:
 * - it carries no `event_id` strings (an id key can repeat in any zone), and no event whose sequence word is an
 *   event-id hash (a hash key has no time, so a copy newer than every accepted event would be a duplicate that
 *   must not raise the watermark: only its own shard could tell);
 * - every event with a device names a device of a zone of the same shard as its bay or zone (its sequence key
 *   is held per device);
 * - the pending events before it plus its events fit `pendingMax` (past it the watermark is forced from every
 *   shard's pending times).
 * Then a sequence-key duplicate has the time of the event it copies, a late event is older than the watermark,
 * and an unknown-class event is refused by every shard alike: none of them raises the watermark, so at every
 * event the watermark is the running maximum of the other events' times less the lateness, which each shard
 * computes from the batch alone. Each shard de-duplicates, checks and keeps pending only its own events (and
 * every payment, which every shard applies: a paid session may end in another zone). Payments are
 * de-duplicated by their payment keys, which every shard holds alike.
 *
 * A batch that is not splittable is admitted by every shard in full (the sharded engine turns its shards to
 * that mode first: see ShardedOccupancyEngine).
 */
import {
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "../../wire/layout.js";
import type { EventBatchView } from "../../wire/view.js";

/** What a shard needs to decide whether a batch is splittable; the same in every shard. */
export interface OwnAdmission {
  /** Shard owning each record (devices, then zones: recordOwners); bay b is device b. */
  readonly owners: Uint8Array;
  readonly deviceCount: number;
  /** Upper bound of the engine's pending events before the batch (all shards). */
  readonly pendingTotal: number;
  readonly pendingMax: number;
}

/** Whether the verified batch (its event words) may be admitted by zone (see the file comment). */
export function splittable(view: EventBatchView, words: Uint32Array, o: OwnAdmission): boolean {
  const n = view.length;
  if (view.eventIdsOffset >= 0 || o.pendingTotal + n > o.pendingMax) return false;
  const owners = o.owners;
  const deviceCount = o.deviceCount;
  for (let i = 0; i < n; i++) {
    const at = i * 6;
    const flags = (words[at + 4]! >>> 16) & 0xff;
    if ((flags & FLAG_SEQ_IS_ID_HASH) !== 0) return false;
    const device = words[at + 5]!;
    const target = words[at + 1]!;
    // A bay's own sensor (bay b is device b: most events) needs no look-up.
    if (device === target && (flags & FLAG_TARGET_ZONE) === 0) continue;
    if ((flags & FLAG_SEQ_IS_SESSION_HASH) !== 0 || device === NO_DEVICE) continue;
    const record = (flags & FLAG_TARGET_ZONE) !== 0 ? deviceCount + target : target;
    if (owners[device] !== owners[record]) return false;
  }
  return true;
}
