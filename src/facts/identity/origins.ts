/**
 * Field origins: "which `make` may this field hold?" — every store into a type's field traced back to the
 * `make` calls that produced the value: through locals, through a constructor's parameters to what its
 * callers pass (a few calls up), and through other fields (`newInflight(r.leader.commitCh)` stores in
 * `inflight.commitCh` whatever `leader.commitCh` holds). Two fields of different types that may hold one
 * made channel are one channel to a rule that compares channels by field: a pool's `errorsCh` and its
 * reactor's, both given the one channel the reactor's constructor made.
 */
import type { Expr } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import type { Dispatch } from '../dispatch.js';
import type { SourcesOf } from './fresh.js';
import type { ChanId } from './ids.js';
import { storesOfField } from './stores.js';

/** How far a value is followed up through the parameters it came in by. */
const MAX_DEPTH = 3;
/** A field stored from more places than this is a general-purpose slot, not one channel's. */
const MAX_ORIGINS = 16;

const NONE: ReadonlySet<string> = new Set();

export class FieldOrigins {
  constructor(
    private readonly graph: CallGraph,
    private readonly dispatch: Dispatch,
    private readonly sourcesOf: SourcesOf,
  ) {}

  private readonly byField = new Map<ChanId, ReadonlySet<string>>();

  /** Whether two fields (`field:<pkg>.<Type>.<name>` ids) may hold one channel made by one `make`. */
  shareOrigin(a: ChanId, b: ChanId): boolean {
    if (a === b) return true;
    const of = this.made(b);
    for (const o of this.made(a)) if (of.has(o)) return true;
    return false;
  }

  private readonly reached = new Map<ChanId, ReadonlySet<string>>();

  /** The `make` calls (by file and position) whose channel a field may hold, following other fields. */
  private made(id: ChanId): ReadonlySet<string> {
    const known = this.reached.get(id);
    if (known) return known;
    const out = new Set<string>();
    const seen = new Set<ChanId>();
    const visit = (f: ChanId) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const o of this.direct(f)) if (o.startsWith('field:')) visit(o);
      else out.add(o);
    };
    visit(id);
    this.reached.set(id, out);
    return out;
  }

  /** A field's origins from its own stores: `make` sites and the fields the stored value was read from. */
  private direct(id: ChanId): ReadonlySet<string> {
    const known = this.byField.get(id);
    if (known) return known;
    this.byField.set(id, NONE);
    const out = new Set<string>();
    for (const s of storesOfField(this.graph, id)) {
      if (!s.value) continue;
      this.originsOf(s.node, s.value, 0, out);
      if (out.size > MAX_ORIGINS) break;
    }
    const result = out.size > MAX_ORIGINS ? NONE : out;
    this.byField.set(id, result);
    return result;
  }

  private originsOf(node: FuncNode, e: Expr, depth: number, out: Set<string>): void {
    if (out.size > MAX_ORIGINS) return;
    if (e.k === 'call' && e.fn.k === 'id' && e.fn.name === 'make') {
      out.add(`make:${node.file.path}:${e.pos}`);
      return;
    }
    if (e.k === 'sel') {
      const st = this.graph.storageOf(node, e);
      if (st?.kind === 'field') out.add(`field:${st.owner}.${st.field}`);
      return;
    }
    if (e.k !== 'id') return;
    const st = this.graph.storageOf(node, e);
    if (st?.kind === 'local' && st.fn === node.id) {
      for (const src of this.sourcesOf(node).get(st.name) ?? []) this.originsOf(node, src, depth, out);
      return;
    }
    if (st?.kind !== 'param' || st.fn !== node.id || st.index < 0 || depth >= MAX_DEPTH) return;
    for (const edge of this.graph.callers(node)) {
      const arg = this.dispatch.calledAs(edge.call).args[st.index];
      if (arg) this.originsOf(edge.caller, arg, depth + 1, out);
    }
  }
}
