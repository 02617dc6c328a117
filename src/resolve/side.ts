/**
 * A table from IR objects to values, stored on the objects under a private symbol.
 * Why not a Map: the summaries arrive by structured clone from the parse workers, and the first
 * use of such an object as a Map or WeakMap key costs V8 about 2µs (it gets an identity hash);
 * over the million identifiers of Go's standard library that alone took longer than the rest of
 * resolution. Symbol keys are invisible to JSON and to structured clone, so the IR stays plain data.
 * Each table has its own symbol: two graphs built over one program do not see each other's entries.
 */
export class SideTable<K extends object, V> {
  private readonly key = Symbol('gohazard side table');

  get(k: K): V | undefined {
    return (k as Record<symbol, V | undefined>)[this.key];
  }

  has(k: K): boolean {
    return (k as Record<symbol, V | undefined>)[this.key] !== undefined;
  }

  set(k: K, v: V): void {
    (k as Record<symbol, V>)[this.key] = v;
  }
}
