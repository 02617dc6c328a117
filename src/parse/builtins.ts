import type Parser from 'tree-sitter';
import { pos, type FileSummary, type Pos } from '../ir.js';

/**
 * tree-sitter-go 0.25 parses `new(...)` and `make(...)` with a type first, as Go did before 1.26; Go 1.26
 * allows `new(expr)` (`p := new(42)`, `new(f())`), and a function declared as `new` or `make` (a generic
 * one, say) takes any arguments. Those calls come out as ERROR nodes, and the statement around them is
 * lost. No grammar with the change can be built here (that takes the tree-sitter CLI, which neither the
 * npm registry nor Debian provides without downloading a binary), so the call is parsed again with the
 * callee renamed to a name of the same length, which makes it an ordinary call, and the name is put back
 * in the summary: `new` and `make` keep meaning what they mean where they are written.
 */
const STANDIN: Record<string, string> = { new: 'nEw', make: 'mAke' };

/** Sites tried per file: a file broken for other reasons is not parsed again without end. */
const MAX_TRIES = 16;

export interface Reparsed {
  tree: Parser.Tree;
  /** The source with the stand-in names: what the tree's text is. */
  src: string;
  /** The positions whose identifier is a stand-in, and the name written there. */
  renamed: Map<Pos, string>;
}

/**
 * The tree of `src` with the `new(...)`/`make(...)` calls on the lines of its syntax errors parsed as
 * ordinary calls, one at a time, each kept only when the parse has fewer errors with it (a `new(T)` on
 * the same line stays as it was); undefined when none helps.
 */
export function reparseBuiltinCalls(src: string, tree: Parser.Tree, parse: (src: string) => Parser.Tree | undefined): Reparsed | undefined {
  let best: Reparsed | undefined;
  let current = { tree, src, errors: errorCount(tree) };
  const tried = new Set<number>();
  for (let tries = 0; tries < MAX_TRIES && current.errors > 0; ) {
    const site = candidates(current.tree, current.src).find((c) => !tried.has(c.index));
    if (!site) break;
    tried.add(site.index);
    tries++;
    const text = current.src.slice(0, site.index) + STANDIN[site.name]! + current.src.slice(site.index + site.name.length);
    const again = parse(text);
    if (!again) break;
    const errors = errorCount(again);
    if (errors >= current.errors) continue;
    const renamed = new Map(best?.renamed ?? []);
    renamed.set(site.pos, site.name);
    best = { tree: again, src: text, renamed };
    current = { tree: again, src: text, errors };
  }
  return best;
}

/** Puts the names back: the summary's identifiers at the renamed positions. */
export function restoreNames(summary: FileSummary, renamed: ReadonlyMap<Pos, string>): void {
  const stack: unknown[] = [summary.funcs, summary.values];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      const o = v as { k?: unknown; name?: unknown; pos?: unknown };
      if (o.k === 'id' && typeof o.pos === 'number' && renamed.has(o.pos)) o.name = renamed.get(o.pos);
      stack.push(...Object.values(o));
    }
  }
}

/** `new(` and `make(` written as identifiers on the lines where the syntax errors start, in order. */
function candidates(tree: Parser.Tree, src: string): { index: number; name: string; pos: Pos }[] {
  const out = new Map<number, { index: number; name: string; pos: Pos }>();
  for (const err of [...tree.rootNode.descendantsOfType('ERROR'), ...missing(tree.rootNode)]) {
    const from = err.startIndex - err.startPosition.column;
    const to = Math.max(err.endIndex, src.indexOf('\n', err.startIndex) === -1 ? src.length : src.indexOf('\n', err.startIndex));
    const re = /\b(new|make)\s*\(/g;
    re.lastIndex = from;
    for (let m = re.exec(src); m && m.index < to; m = re.exec(src)) {
      const node = tree.rootNode.descendantForIndex(m.index);
      if (node.type !== 'identifier' || node.text !== m[1]) continue;
      out.set(m.index, { index: m.index, name: m[1]!, pos: posOf(src, node) });
    }
  }
  return [...out.values()].sort((a, b) => a.index - b.index);
}

/**
 * Zero-width nodes error recovery inserted (a `)` it expected): an error with no ERROR node. A loop, not
 * recursion: a broken file can nest deeper than the stack.
 */
function missing(root: Parser.SyntaxNode): Parser.SyntaxNode[] {
  const out: Parser.SyntaxNode[] = [];
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (!node.hasError) continue;
    if (node.isMissing) out.push(node);
    else stack.push(...node.children);
  }
  return out;
}

function errorCount(tree: Parser.Tree): number {
  return tree.rootNode.descendantsOfType('ERROR').length + missing(tree.rootNode).length;
}

/** The position the summarizer gives the node (line, byte column), the same in both texts. */
function posOf(text: string, node: Parser.SyntaxNode): Pos {
  const { row, column } = node.startPosition;
  return pos(row + 1, Buffer.byteLength(text.slice(node.startIndex - column, node.startIndex)) + 1);
}
