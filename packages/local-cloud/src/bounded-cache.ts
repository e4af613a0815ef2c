/**
 * A cache bounded by an estimate of the bytes it holds rather than by its entry count, so a few
 * very large entries cannot hold as much memory as thousands of small ones. Least recently used
 * entries go first.
 */
export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly bytes: number }>();
  private total = 0;

  constructor(
    /** Budget for the estimated size of all entries, keys included. */
    readonly maxBytes: number,
    /** Entries above this estimate are never kept (they would evict everything else). */
    readonly maxEntryBytes = maxBytes / 16,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Re-insert: Map iteration order is the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value`, whose size (without the key) is estimated at `bytes`. */
  set(key: string, value: V, bytes: number): void {
    const size = bytes + 2 * key.length;
    this.delete(key);
    if (size > this.maxEntryBytes) return;
    this.entries.set(key, { value, bytes: size });
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}
