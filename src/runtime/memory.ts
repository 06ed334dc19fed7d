/**
 * One shared `WebAssembly.Memory` for kernels, workers and the main thread, carved into regions by a
 * bump allocator. Regions are never freed one by one (engines allocate their state once, at start);
 * `mark`/`release` recycle scratch space such as staged batches. Typed-array views are cached and
 * re-created when the memory has grown, so a view is never shorter than the memory.
 */
import { ParkirRuntimeError } from "./errors.js";
import { KERNEL_PAGES_MAX } from "./wasm.js";

/** Bytes in one WebAssembly page. */
export const PAGE_BYTES = 65536;

/**
 * Bytes at the start of the memory that are never handed out: address 0 stays a null pointer and
 * kernels may use this space as fixed per-call scratch (documented per kernel). 64 KiB.
 */
export const RESERVED_BYTES = PAGE_BYTES;

/** Options of SharedArena. */
export interface ArenaOptions {
  /** Initial size in bytes (rounded up to pages). Default 16 MiB; costs that much address space and, once touched, RAM. */
  readonly initialBytes?: number;
  /**
   * Maximum size in bytes (rounded up to pages). Default 1 GiB. Shared memories reserve their maximum
   * as virtual address space up front (not RAM), and can never grow beyond it.
   */
  readonly maximumBytes?: number;
}

const INITIAL_BYTES_DEFAULT = 16 << 20;
const MAXIMUM_BYTES_DEFAULT = 1 << 30;

let nextArenaId = 1;

/**
 * A shared wasm memory with a bump allocator and cached views.
 *
 * @example
 * const arena = new SharedArena();
 * const at = arena.alloc(1024);          // byte offset, 64-byte aligned
 * arena.u32().fill(7, at >> 2, (at >> 2) + 256);
 */
export class SharedArena {
  /** The memory every kernel instance imports as `env.memory`. */
  readonly memory: WebAssembly.Memory;
  /** Identifies this memory in worker caches (unique within the process). */
  readonly id: string;
  /** Maximum size in bytes. */
  readonly maximumBytes: number;
  private top = RESERVED_BYTES;
  /** Highest allocation point so far: memory past it was never handed out, so it is still zero. */
  private fresh = RESERVED_BYTES;
  private buffer: SharedArrayBuffer;
  private u8View: Uint8Array;
  private u32View: Uint32Array;
  private i32View: Int32Array;
  private f64View: Float64Array;
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(options: ArenaOptions = {}) {
    const initialPages = pages(options.initialBytes ?? INITIAL_BYTES_DEFAULT);
    const maximumPages = Math.min(pages(options.maximumBytes ?? MAXIMUM_BYTES_DEFAULT), KERNEL_PAGES_MAX);
    if (!(initialPages >= 2 && initialPages <= maximumPages))
      throw new RangeError(`arena sizes: need 2 pages ≤ initial ≤ maximum ≤ ${KERNEL_PAGES_MAX} pages`);
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
    this.maximumBytes = maximumPages * PAGE_BYTES;
    this.id = `arena-${process.pid}-${nextArenaId++}`;
    this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.u8View = new Uint8Array(this.buffer);
    this.u32View = new Uint32Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.buffers.add(this.buffer);
  }

  /** Current size in bytes. */
  get byteLength(): number {
    return this.refresh().byteLength;
  }

  /** Bytes handed out so far (including the reserved first page). */
  get usedBytes(): number {
    return this.top;
  }

  /**
   * Reserves `bytes` (zero-filled on first use of fresh memory; recycled space is not cleared) and
   * returns the byte offset. Grows the memory when needed.
   *
   * @throws ParkirRuntimeError("memory-exhausted") beyond `maximumBytes`.
   */
  alloc(bytes: number, align = 64): number {
    if (!(Number.isInteger(bytes) && bytes >= 0)) throw new RangeError(`alloc: bad size ${bytes}`);
    if (!(Number.isInteger(align) && align > 0 && (align & (align - 1)) === 0))
      throw new RangeError(`alloc: alignment ${align} is not a power of two`);
    const at = Math.ceil(this.top / align) * align;
    this.ensure(at + bytes);
    this.top = at + bytes;
    return at;
  }

  /**
   * `alloc`, zeroed: only the part of it that was handed out before (recycled by `release`) is cleared, as fresh
   * memory is zero already (so a large allocation does not touch, and fault in, pages nobody uses yet).
   */
  allocZeroed(bytes: number, align = 64): number {
    const fresh = this.fresh;
    const at = this.alloc(bytes, align);
    if (at < fresh) this.u8().fill(0, at, Math.min(at + bytes, fresh));
    this.fresh = Math.max(fresh, this.top);
    return at;
  }

  /** Makes the memory at least `bytes` long. @throws ParkirRuntimeError("memory-exhausted"). */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    if (bytes > this.maximumBytes)
      throw new ParkirRuntimeError(
        "memory-exhausted",
        `need ${bytes} bytes of shared memory, maximum is ${this.maximumBytes} (ArenaOptions.maximumBytes)`,
      );
    this.memory.grow(pages(bytes) - have / PAGE_BYTES);
  }

  /**
   * Touches `bytes` of memory past the allocation point (growing it as needed), so that allocations there
   * take no page faults later. For engines that must not stall on the operating system once running.
   *
   * @throws ParkirRuntimeError("memory-exhausted") beyond `maximumBytes`.
   */
  prefault(bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError(`prefault: bad size ${bytes}`);
    const end = this.top + bytes;
    this.ensure(end);
    const u8 = this.u8();
    for (let p = this.top; p < end; p += 4096) u8[p] = 0;
  }

  /** The allocation point, to pass to `release` later (scratch use). */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated after `mark` (the caller guarantees nothing uses it any more). */
  release(mark: number): void {
    if (!(mark >= RESERVED_BYTES && mark <= this.top)) throw new RangeError(`release: bad mark ${mark}`);
    this.fresh = Math.max(this.fresh, this.top);
    this.top = mark;
  }

  /** Whether `view` lies in this memory (then kernels can read it in place, without a copy). */
  owns(view: ArrayBufferView): boolean {
    this.refresh();
    return this.buffers.has(view.buffer);
  }

  /** Bytes of the whole memory (re-created after growth). */
  u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
  /** u32 words of the whole memory: word i is at byte 4 i. */
  u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }
  /** i32 words of the whole memory. */
  i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
  /** f64 words of the whole memory: word i is at byte 8 i. */
  f64(): Float64Array {
    this.refresh();
    return this.f64View;
  }

  private refresh(): SharedArrayBuffer {
    // memory.buffer of a shared memory returns a new SharedArrayBuffer object once the memory grew
    // (possibly in another thread); old views stay valid but only cover the old length.
    const buf = this.memory.buffer as unknown as SharedArrayBuffer;
    if (buf.byteLength !== this.buffer.byteLength) {
      this.buffer = buf;
      this.u8View = new Uint8Array(buf);
      this.u32View = new Uint32Array(buf);
      this.i32View = new Int32Array(buf);
      this.f64View = new Float64Array(buf);
    }
    this.buffers.add(buf);
    return this.buffer;
  }
}

function pages(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_BYTES));
}
