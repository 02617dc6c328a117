/**
 * Claims: "does this path run at most once, whoever else runs it?" — a path claims a guard when it wins a
 * compare-and-swap, or tests a flag and sets it within one hold of a mutex (`mu.Lock(); was := c.closing;
 * if !was { c.closing = true }; mu.Unlock()`): of all the callers, only one finds it unset. The path
 * condition alone loses a claim at the first join with a path that made none (the `else` of that `if`), though
 * a later test on the same values brings the claiming branch back (`if was { return }` before the close): so
 * each claim keeps the atoms that decided the branch making it, and holds again wherever all of them hold.
 */
import type { Atom } from './conditions/atoms.js';

/** Each claim (a flag's id, or the winning atom of a compare-and-swap) with the atoms that hold wherever it was made. */
export type Claims = ReadonlyMap<string, ReadonlySet<Atom>>;

export const NO_CLAIMS: Claims = new Map();

export interface ClaimState {
  conds: ReadonlySet<Atom>;
  claims: Claims;
  /** Every path here made a claim. */
  claimed: boolean;
}

/** Whether every path here made a claim: each did on its own, or one claim's deciding atoms all hold here again. */
export function claimedOn(s: ClaimState): boolean {
  if (s.claimed) return true;
  for (const when of s.claims.values()) if (when.size > 0 && [...when].every((a) => s.conds.has(a))) return true;
  return false;
}

/** The claims of either side, each with its own deciding atoms: a claim holds again wherever they do. */
export function joinClaims(a: Claims, b: Claims): Claims {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  let out: Map<string, ReadonlySet<Atom>> | undefined;
  for (const [k, w] of b) {
    if (a.has(k)) continue;
    out ??= new Map(a);
    out.set(k, w);
  }
  return out ?? a;
}

export function sameClaims(a: Claims, b: Claims): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

/** One more claim made here, deciding atoms `when` (none when the branches deciding it are not all atoms). */
export function claiming<S extends ClaimState>(s: S, key: string, when: ReadonlySet<Atom>): S {
  if (s.claimed && s.claims.has(key)) return s;
  return { ...s, claimed: true, claims: s.claims.has(key) ? s.claims : new Map(s.claims).set(key, when) };
}
