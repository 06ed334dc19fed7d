/**
 * The gateway's pre-filter of re-delivered messages: the last `max` event ids taken, as a set with a ring that
 * remembers their order (the oldest is forgotten first). Exact de-duplication is the engine's; this only
 * keeps a broker's re-deliveries out of the write-ahead log.
 */
export class RecentIds {
  private readonly set = new Set<string>();
  private readonly ring: string[] = [];
  private next = 0;

  /** @param max ids remembered (an integer ≥ 1). */
  constructor(private readonly max: number) {}

  /** Whether `id` is among the last `max` ids remembered. */
  has(id: string): boolean {
    return this.set.has(id);
  }

  /** Remembers `id` (nothing when it is held), forgetting the oldest id when `max` are held. */
  add(id: string): void {
    if (this.set.has(id)) return;
    if (this.ring.length < this.max) this.ring.push(id);
    else {
      this.set.delete(this.ring[this.next]!);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.max;
    }
    this.set.add(id);
  }

  /** The ids held, oldest first (what a checkpoint keeps; adding them in order restores this filter). */
  list(): string[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
