/**
 * Ids: the name of a sync object relative to the function that holds a fact about it, by where it
 * is stored (a field of a type, a package variable, a local, a parameter).
 */
import type { FuncNode, Storage } from '../../resolve/callgraph.js';

/**
 * Channel identity, relative to the function whose facts hold it:
 * `field:<pkg>.<Type>.<field>`, `global:<pkg>.<name>`, `local:<fn>:<name>`, `param:<i>` (-1 = receiver),
 * or `expr:<fn>:<path>` when only the expression's shape is known.
 */
export type ChanId = string;

export function storageId(st: Storage, node: FuncNode): ChanId {
  switch (st.kind) {
    case 'field':
      return `field:${st.owner}.${st.field}`;
    case 'global':
      return `global:${st.pkg}.${st.name}`;
    case 'local':
      return `local:${st.fn}:${st.name}`;
    case 'param':
      return st.fn === node.id ? `param:${st.index}` : `paramof:${st.fn}:${st.index}`;
  }
}

/** A parameter of an enclosing function, captured by a closure, is that function's own parameter there. */
export function normalizeFor(id: ChanId, node: FuncNode): ChanId {
  if (!id.startsWith('paramof:')) return id;
  const prefix = `paramof:${node.id}:`;
  return id.startsWith(prefix) ? `param:${id.slice(prefix.length)}` : id;
}
