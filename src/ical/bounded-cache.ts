// A cache for what is worked out once per text (a VTIMEZONE block, a zone
// definition) and asked for again by every message that carries the same
// text. The texts come from mail, so anyone can send new ones: the cache keeps
// the most recently used entries within a number of entries and within a total
// weight (about the characters of the texts it holds), and never keeps one
// entry that would take more than its share of that weight.

export class BoundedCache<K extends string | number, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private weight = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number,
    /** The heaviest single entry kept; a heavier one is worked out each time it comes. */
    readonly maxEntryWeight = Math.floor(maxWeight / 16),
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Used again: it goes to the end, the last to be dropped.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps a value; `weight` defaults to the length of a text key. */
  set(key: K, value: V, weight = typeof key === 'string' ? key.length : 1): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.weight -= old.weight;
    }
    if (weight > this.maxEntryWeight) return;
    // Drop the least recently used until the new entry fits.
    while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.weight + weight > this.maxWeight)) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.weight -= oldest.weight;
    }
    this.entries.set(key, { value, weight });
    this.weight += weight;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the weights kept. */
  get totalWeight(): number {
    return this.weight;
  }

  clear(): void {
    this.entries.clear();
    this.weight = 0;
  }
}
