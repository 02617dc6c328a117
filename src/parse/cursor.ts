import type Parser from 'tree-sitter';
import { MAX_NESTING, pos as packPos, type Pos } from '../ir.js';

type Cursor = Parser.TreeCursor;

/** Names by id, filled on first sight (ids are the grammar's, so they hold across files). */
const TYPE_NAMES: string[] = [];
const NAMED: boolean[] = [];
const FIELD_NAMES: string[] = [];

function learnType(c: Cursor, id: number): string {
  NAMED[id] = c.nodeIsNamed;
  return (TYPE_NAMES[id] = c.nodeType);
}

function learnField(c: Cursor, id: number): string {
  return (FIELD_NAMES[id] = c.currentFieldName);
}

/**
 * The walk every part of the summarizer shares: one TreeCursor over the file, and the helpers that read it.
 * Native getters cost a call each and dominate summarizing time, so the helpers ask the binding as little
 * as they can: type ids instead of names, positions from start indexes, text sliced from the source.
 */
export abstract class CursorReader {
  protected readonly c: Cursor;
  protected readonly ascii: boolean;
  /** String index of each line's start: a node's line comes from its start index (see posOf). */
  private readonly lineStarts: number[] = [0];
  /** Error recovery makes zero-width MISSING nodes, whose text is not what follows them: no shortcuts then. */
  protected readonly sound: boolean;
  /** Statements, expressions and types being summarized, nested; see MAX_NESTING. */
  protected depth = 0;
  /**
   * The type of the node under the cursor when the walk already read it (eachChild reads every child's),
   * so that kind() need not cross into the binding again; undefined after a move that did not read it.
   */
  protected here: string | undefined;
  protected tooDeep: Pos | undefined;

  constructor(
    protected readonly tree: Parser.Tree,
    protected readonly src: string,
  ) {
    this.c = tree.walk();
    this.ascii = !/[^\x00-\x7f]/.test(src);
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.sound = !tree.rootNode.hasError;
  }

  /**
   * The current node's type. Native getters cost a call and often a fresh string per node, and
   * dominate summarizing time: the numeric id is the cheapest getter, and its name is learned once.
   */
  protected kind(): string {
    return (this.here ??= this.nativeKind());
  }

  protected nativeKind(): string {
    const c = this.c;
    const id = c.nodeTypeId;
    return TYPE_NAMES[id] ?? learnType(c, id);
  }

  /** Calls fn with the cursor on each named child of the current node; restores the cursor. */
  protected eachChild(fn: (type: string) => void): void {
    const c = this.c;
    if (!c.gotoFirstChild()) return;
    const parent = this.here;
    do {
      const id = c.nodeTypeId;
      const type = TYPE_NAMES[id] ?? learnType(c, id);
      if (NAMED[id] && type !== 'comment') {
        this.here = type;
        fn(type);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    this.here = parent;
  }

  /** As eachChild, also passing the child's field name: for callers that need it, as it costs a native call. */
  protected eachField(fn: (field: string | null, type: string) => void): void {
    this.eachChild((type) => fn(this.field(), type));
  }


  /**
   * Named children by position, for nodes whose grammar fixes the order of their named parts
   * (`x[i]`: operand then index): cheaper than asking each child's field. ERROR nodes from error
   * recovery are skipped so that they do not shift the parts after them.
   */
  protected eachInOrder(fn: (i: number) => void): void {
    let i = 0;
    this.eachChild((type) => {
      if (type !== 'ERROR') fn(i++);
    });
  }

  protected field(): string | null {
    const c = this.c;
    const id = c.currentFieldId;
    return id === 0 ? null : (FIELD_NAMES[id] ?? learnField(c, id));
  }

  /** Calls fn on the first named child of the current node (if any); restores the cursor. */
  protected firstChild<T>(fn: (type: string) => T): T | undefined {
    const c = this.c;
    if (!c.gotoFirstChild()) return undefined;
    const parent = this.here;
    let out: T | undefined;
    do {
      const id = c.nodeTypeId;
      const type = TYPE_NAMES[id] ?? learnType(c, id);
      if (NAMED[id] && type !== 'comment') {
        this.here = type;
        out = fn(type);
        break;
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    this.here = parent;
    return out;
  }

  protected text(): string {
    return this.src.slice(this.c.startIndex, this.c.endIndex);
  }

  protected pos(): Pos {
    return this.posOf(this.c.startIndex);
  }

  /**
   * The position of a string index, its line found in lineStarts: the binding's startPosition costs
   * the same native call as startIndex plus a point object, and positions are asked of most nodes.
   */
  protected posOf(index: number): Pos {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return packPos(lo + 1, this.byteCol(index, index - starts[lo]!));
  }

  /** tree-sitter's columns count UTF-16 units for a JS string; Go tools count bytes. */
  protected byteCol(index: number, column: number): number {
    if (this.ascii) return column + 1;
    return Buffer.byteLength(this.src.slice(index - column, index)) + 1;
  }

  /** Summarizes one more level of nesting with `fn`, or, past MAX_NESTING, gives `tooDeep` instead. */
  protected nested<T>(fn: () => T, tooDeep: (pos: Pos) => T): T {
    if (this.depth >= MAX_NESTING) {
      const pos = this.pos();
      this.tooDeep ??= pos;
      return tooDeep(pos);
    }
    this.depth++;
    try {
      return fn.call(this);
    } finally {
      this.depth--;
    }
  }
}

/** The identifier starting at `i`: Go identifiers are letters (any script), digits and `_`. */
export function identAt(src: string, i: number): string {
  let j = i;
  for (;;) {
    const ch = src.charCodeAt(j);
    if ((ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 95 || ch > 127) j++;
    else break;
  }
  return src.slice(i, j);
}
