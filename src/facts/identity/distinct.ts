/**
 * Distinct instances: "do these two access paths, in one function, reach one channel?" — decided when the code
 * shows it, undecided otherwise. Two paths that part at two fields of one object (`s.listObjects.done`,
 * `s.listUsers.done`) reach two channels when each field only ever gets a fresh object and the channel's own
 * field only ever a fresh channel; two locals (`a := newReader(); b := newReader()`) when each is only ever
 * bound to a fresh object. One value visibly stored in both fields (`s.b = s.a`, `t := New(); s.a = t; s.b = t`)
 * makes them one. Paths from the receiver or a parameter against another head stay as they were: the caller
 * may pass anything.
 */
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Freshness } from './fresh.js';
import type { ChanId } from './ids.js';
import { CAPTURED, nameable, splitRoot } from './roots.js';
import { fieldStores, storedKey, type Store } from './stores.js';

export type Relation = { k: 'same' } | { k: 'distinct' } | { k: 'undecided'; why: string };

const SAME: Relation = { k: 'same' };
const DISTINCT: Relation = { k: 'distinct' };

/** The fields below a root's head: `@recv.a.done` → [a, done]. */
function fieldsOf(root: string): { head: string; fields: string[] } {
  const { head, path } = splitRoot(root);
  return { head, fields: path === '' ? [] : path.slice(1).split('.') };
}

const isPlainLocal = (head: string) => !head.startsWith('@') && !head.startsWith(CAPTURED);

/** How an access path of `fn` reads in a message: the receiver and parameters by their names. */
function shown(fn: FuncNode, root: string): string {
  const name = (i: number) => (i === -1 ? fn.decl.recv?.name : fn.decl.params[i]?.name) || (i === -1 ? 'the receiver' : `parameter ${i}`);
  return root.replace(/^@recv/, name(-1)).replace(/^@(\d+)/, (_m, i: string) => name(Number(i)));
}

export class Distinct {
  constructor(
    private readonly graph: CallGraph,
    private readonly fresh: Freshness,
  ) {}

  private readonly onlyFresh = new Map<string, boolean>();

  /**
   * Whether two instance roots of `fn` reach one channel `id` (`field:<owner>.<name>` names the channel's own
   * field, whose stores are weighed by that owner).
   */
  relate(fn: FuncNode, a: string | undefined, b: string | undefined, id: ChanId): Relation {
    if (a === undefined || b === undefined || a === b || !nameable(a) || !nameable(b)) return SAME;
    const [x, y] = [fieldsOf(a), fieldsOf(b)];
    if (x.head !== y.head) {
      if (!isPlainLocal(x.head) || !isPlainLocal(y.head) || this.copied(fn, x.head, y.head)) return SAME;
      const made = this.freshLocal(fn, x.head) && this.freshLocal(fn, y.head);
      return made && this.freshBelow(x.fields, id) && this.freshBelow(y.fields, id) ? DISTINCT : { k: 'undecided', why: `\`${a}\` and \`${b}\` reach one object` };
    }
    // Two routes of different shapes through an object graph (`e.opened.backend.mgr.ch`, `e.writer.engine.ch`)
    // are how one object is usually reached from two places: only two fields holding alike objects are weighed.
    const at = x.fields.findIndex((f, i) => f !== y.fields[i]);
    const below = x.fields.slice(at + 1);
    if (at === -1 || x.fields.length !== y.fields.length || below.some((f, i) => f !== y.fields[at + 1 + i])) return SAME;
    const [fa, fb] = [x.fields[at]!, y.fields[at]!];
    if (this.aliased(fa, fb)) return SAME;
    if (this.freshOnly(fa) && this.freshOnly(fb) && this.freshBelow(below, id)) return DISTINCT;
    return { k: 'undecided', why: `\`${shown(fn, a)}\` and \`${shown(fn, b)}\` reach one object` };
  }

  /** `b := a`: one local only ever a copy of the other. */
  private copied(fn: FuncNode, a: string, b: string): boolean {
    const only = (x: string) => {
      const sources = this.fresh.sourcesOf(fn).get(x) ?? [];
      return sources.length === 1 && sources[0]!.k === 'id' ? this.graph.storageOf(fn, sources[0]!) : undefined;
    };
    const [oa, ob] = [only(a), only(b)];
    return (oa?.kind === 'local' && oa.name === b) || (ob?.kind === 'local' && ob.name === a);
  }

  /** A local of `fn` only ever bound to fresh values. */
  private freshLocal(fn: FuncNode, name: string): boolean {
    return this.graph.locals(fn).some((v) => v.storage.name === name) && this.fresh.local(fn, name);
  }

  /** Fields below two distinct objects, down to the channel: each level only ever gets fresh values. */
  private freshBelow(fields: readonly string[], id: ChanId): boolean {
    const owner = id.startsWith('field:') ? id.slice('field:'.length, id.lastIndexOf('.')) : undefined;
    return fields.every((f, i) => this.freshOnly(f, i === fields.length - 1 ? owner : undefined));
  }

  /** Every store of field `name` (of `owner`, when given) writes a fresh value that no other store writes too. */
  private freshOnly(name: string, owner?: string): boolean {
    const key = `${name}\0${owner ?? ''}`;
    let out = this.onlyFresh.get(key);
    if (out === undefined) {
      const { stores, addressed } = fieldStores(this.graph);
      const all = stores.get(name) ?? [];
      const mine = all.filter((s) => owner === undefined || s.owner === undefined || s.owner === owner);
      // A field the program never visibly sets is set where we do not look (tests left out, reflection): not decided.
      out = !addressed.has(name) && mine.length > 0 && mine.every((s) => s.value !== undefined && this.fresh.value(s.node, s.value) && !this.storedTwice(s));
      this.onlyFresh.set(key, out);
    }
    return out;
  }

  private storeCounts: Map<string, number> | undefined;

  /** One local's value stored in two fields: each field's object is the other's. */
  private storedTwice(s: Store): boolean {
    const key = s.value?.k === 'id' ? storedKey(s) : undefined;
    if (key === undefined) return false;
    if (!this.storeCounts) {
      const counts = new Map<string, number>();
      for (const list of fieldStores(this.graph).stores.values()) {
        for (const t of list) {
          const k = t.value?.k === 'id' ? storedKey(t) : undefined;
          if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
        }
      }
      this.storeCounts = counts;
    }
    return (this.storeCounts.get(key) ?? 0) > 1;
  }

  /** A store of one field that reads the other (`s.b = s.a`), or one local stored in both: the two hold one object. */
  private aliased(fa: string, fb: string): boolean {
    const { stores } = fieldStores(this.graph);
    const [sa, sb] = [stores.get(fa) ?? [], stores.get(fb) ?? []];
    const reads = (s: Store, other: string) => s.value?.k === 'sel' && s.value.name === other;
    const locals = new Set(sa.map((s) => (s.value?.k === 'id' ? storedKey(s) : undefined)).filter((k) => k !== undefined));
    return sb.some((s) => reads(s, fa) || (s.value?.k === 'id' && locals.has(storedKey(s) ?? ''))) || sa.some((s) => reads(s, fb));
  }
}
