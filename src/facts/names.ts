/** Names for messages: how a function and a sync object read to a person. */
import type { FuncNode } from '../resolve/callgraph.js';
import type { ChanId } from './identity/ids.js';

/** The last component of a qualified function name, readable in a message: `Engine.Close`, `flush`. */
export function shortName(node: FuncNode): string {
  // Cut at the import path, not at a dot: `gopkg.in/yaml.v3.(*Decoder).Decode` is `Decoder.Decode`.
  const path = node.pkg.importPath;
  const local = node.id.startsWith(`${path}.`) ? node.id.slice(path.length + 1) : node.id.slice(node.id.lastIndexOf('/') + 1);
  return local.replace(/[()*]/g, '');
}

/** How a channel id reads in a message: `Engine.metaCh` for a field, the variable name otherwise. */
export function displayId(id: ChanId, fallback: string): string {
  if (id.startsWith('field:') || id.startsWith('global:')) {
    const path = id.slice(id.indexOf(':') + 1);
    const tail = path.slice(path.lastIndexOf('/') + 1);
    return id.startsWith('field:') ? tail.slice(tail.indexOf('.') + 1) : tail.slice(tail.indexOf('.') + 1);
  }
  return fallback;
}

/** `func main()` of a program (function literals have no name): returning from it ends the program. */
export function isProgramMain(fn: FuncNode): boolean {
  return fn.file.packageName === 'main' && fn.decl.name === 'main' && !fn.decl.recv;
}
