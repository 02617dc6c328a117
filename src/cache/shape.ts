/**
 * Cheap structural checks of cache payloads, after their checksum: a checksum proves the bytes are the
 * ones written, not that they are what this build expects (a hand-edited entry, a bug in an older
 * writer). An entry that fails is treated as corrupt: deleted and rebuilt, instead of crashing every
 * later run on `undefined`.
 */

/** A spec: a primitive's typeof, 'object' (any non-null, non-array object), a list of one spec, or required keys. */
export type Shape = 'string' | 'number' | 'boolean' | 'object' | readonly [Shape] | { readonly [key: string]: Shape };

/**
 * Where `value` first departs from `shape` (`findings[3].location.line`), or undefined. Descends only as
 * deep as the spec, so a deeply nested payload costs no deeper recursion than the spec itself.
 */
export function shapeProblem(value: unknown, shape: Shape, at = 'payload'): string | undefined {
  if (typeof shape === 'string') {
    const ok = shape === 'object' ? isObject(value) : typeof value === shape;
    return ok ? undefined : `${at} is not a ${shape}`;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return `${at} is not a list`;
    for (let i = 0; i < value.length; i++) {
      const problem = shapeProblem(value[i], (shape as readonly [Shape])[0], `${at}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isObject(value)) return `${at} is not an object`;
  for (const [key, inner] of Object.entries(shape as Record<string, Shape>)) {
    const problem = shapeProblem(value[key], inner, `${at}.${key}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Whether the JSON text nests arrays and objects at most `max` deep, by one scan of its characters:
 * JSON.parse itself does not recurse, but every later walk of a summary does.
 */
export function jsonNestingWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
