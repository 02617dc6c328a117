/**
 * Path conditions: what the branches taken on the way to an operation establish, as atoms named by
 * instance root (`@recv.ev.ch`, `@0`, a local, `global:pkg.name`), so that a callee's conditions can be
 * re-read in its caller (a parameter becomes the argument) and checked against the caller's own.
 *
 * An atom is `kind:payload`, negated by a leading `!`:
 * - `nil:<root>`        the value is nil
 * - `bool:<root>`       a boolean (or an atomic boolean's `Load()`) is true
 * - `eq:<root>=<const>` the value equals a named constant (`pkg.StateClosed`, `true`) or the literal `0`
 * - `same:<a>=<b>`      two values (typically channels) are the same
 * - `cas:<root>`        a compare-and-swap on the value succeeded: whoever gets here is the only one
 * - `closed:<root>`     the channel is closed (a select probe answered so: `if w.isClosed() { return }`)
 * - `cmp:<root>`        the path depends on the value (compared with a literal the IR keeps no value of):
 *                       the same atom on both branches, so it never contradicts anything; enough to say
 *                       that a function tests state it changes itself
 */
export type Atom = string;

export function negate(a: Atom): Atom {
  return a.startsWith('!') ? a.slice(1) : `!${a}`;
}

export interface Parsed {
  negated: boolean;
  kind: string;
  roots: string[];
  /** The constant of an `eq` atom. */
  value?: string;
}

/** Atoms repeat across every call of a function: parse each once. */
const parsed = new Map<Atom, Parsed>();

export function parseAtom(a: Atom): Parsed {
  let p = parsed.get(a);
  if (!p) parsed.set(a, (p = parse(a)));
  return p;
}

function parse(a: Atom): Parsed {
  const negated = a.startsWith('!');
  const body = negated ? a.slice(1) : a;
  const colon = body.indexOf(':');
  const kind = body.slice(0, colon);
  const payload = body.slice(colon + 1);
  if (kind === 'eq') {
    const eq = payload.lastIndexOf('=');
    return { negated, kind, roots: [payload.slice(0, eq)], value: payload.slice(eq + 1) };
  }
  if (kind === 'same') return { negated, kind, roots: payload.split('=') };
  return { negated, kind, roots: [payload] };
}

export function formatAtom(p: Parsed): Atom {
  const body =
    p.kind === 'eq' ? `eq:${p.roots[0]}=${p.value}` : p.kind === 'same' ? `same:${[...p.roots].sort().join('=')}` : `${p.kind}:${p.roots[0]}`;
  return p.negated ? `!${body}` : body;
}

/** Whether an atom is about a root or something below it (`@recv.ev` covers `@recv.ev.ch`). */
export function mentions(a: Atom, root: string): boolean {
  return parseAtom(a).roots.some((r) => r === root || r.startsWith(`${root}.`));
}

/**
 * Whether two sets of atoms cannot both hold: an atom and its negation, or one value equal to two
 * different constants. Cheap on the common case of no atoms at all.
 */
export function contradicts(a: readonly Atom[] | ReadonlySet<Atom>, b: ReadonlySet<Atom>): boolean {
  if (b.size === 0) return false;
  for (const x of a) {
    if (b.has(negate(x))) return true;
    if (x.startsWith('eq:')) {
      const px = parseAtom(x);
      for (const y of b) {
        if (!y.startsWith('eq:')) continue;
        const py = parseAtom(y);
        if (py.roots[0] === px.roots[0] && py.value !== px.value && literal(px.value!) === literal(py.value!)) return true;
      }
    }
  }
  return false;
}

/** A literal's value (`0`), not a declared constant's name: a constant declared as 0 (`iota`'s first) is the same value. */
const literal = (value: string) => /^[0-9]/.test(value);

/** Atoms that make an operation run at most once whoever calls it: a successful compare-and-swap. */
export function isExclusive(a: Atom): boolean {
  return a.startsWith('cas:');
}
