/**
 * Exposed types: "can code outside its package hold a value of this unexported type?" An importer calls an
 * exported method of an unexported type only on such a value, and gets one only through what the package exports:
 * an exported function's or method's parameters and results (a callback's too), an exported variable, an exported
 * type made from it (a field, an element, an alias), or a struct that embeds it (which promotes its methods). An
 * unexported type that none of those mention is the package's own: only the package calls its methods, directly
 * or through an interface (which the reached fact asks about by name).
 */
import type { TypeExpr } from '../ir.js';
import type { Package } from '../program.js';

const isExported = (name: string): boolean => /^\p{Lu}/u.test(name);

/** The unexported type names of a package that its exported declarations mention (see the header). */
function exposedNames(pkg: Package): Set<string> {
  const out = new Set<string>();
  const mention = (t: TypeExpr | undefined): void => {
    if (t) namesIn(t, out);
  };
  for (const file of pkg.files) {
    for (const f of file.funcs) {
      if (f.parent !== undefined || !isExported(f.name)) continue;
      for (const p of [...f.params, ...f.results]) mention(p.type);
    }
    for (const v of file.values) {
      if (!v.names.some(isExported)) continue;
      mention(v.type);
      // An exported variable with no written type: whatever its initializer names.
      if (!v.type) for (const e of v.values) namesInValue(e, out);
    }
    for (const t of file.types) {
      if (isExported(t.name)) mention(t.type);
      // Embedded in an unexported struct: its methods are promoted to one that may be exposed in turn.
      else if (t.type.k === 'struct') for (const f of t.type.fields) if (f.embedded) mention(f.type);
    }
  }
  return out;
}

/** Every local type name a type expression mentions, at any depth. */
function namesIn(t: TypeExpr, out: Set<string>): void {
  switch (t.k) {
    case 'name':
      if (!t.pkg) out.add(t.name);
      for (const a of t.args ?? []) namesIn(a, out);
      return;
    case 'ptr':
    case 'slice':
    case 'array':
    case 'chan':
      return namesIn(t.elem, out);
    case 'map':
      namesIn(t.key, out);
      return namesIn(t.elem, out);
    case 'func':
      for (const p of [...t.params, ...t.results]) namesIn(p.type, out);
      return;
    case 'struct':
      for (const f of t.fields) if (f.embedded || (f.name !== undefined && isExported(f.name))) namesIn(f.type, out);
      return;
    case 'iface':
      for (const m of t.methods) for (const p of [...m.params, ...m.results]) namesIn(p.type, out);
      for (const e of t.embeds) namesIn(e, out);
      return;
    case 'other':
      return;
  }
}

/** Every name an expression's tree holds, as an identifier or a written type: a wide net, for what is untyped. */
function namesInValue(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) namesInValue(x, out);
    return;
  }
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if ((o.k === 'id' || o.k === 'name') && typeof o.name === 'string') out.add(o.name);
  for (const x of Object.values(o)) namesInValue(x, out);
}

const byPackage = new WeakMap<Package, Set<string>>();

/** Whether code outside `pkg` can hold a value of its type named `name` (always, for an exported name). */
export function isExposed(pkg: Package, name: string): boolean {
  if (isExported(name)) return true;
  let names = byPackage.get(pkg);
  if (!names) byPackage.set(pkg, (names = exposedNames(pkg)));
  return names.has(name);
}
