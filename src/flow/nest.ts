/**
 * The syntactic walk of a body: "where does this statement sit?" — every statement, nested ones included,
 * in source order, with its innermost loop and whether it runs on every pass of that loop. Facts that
 * depend on the shape of the code and not on what holds on a path (the statements of a body, the loop a
 * `go` sits in) read it here; what holds on a path is the flow walk's (walk.ts).
 */
import type { Stmt } from '../ir.js';

type ForStmt = Extract<Stmt, { k: 'for' }>;

/** Where a statement sits: its innermost loop in the same function, and whether it runs on every pass of it. */
export interface Place {
  loop?: ForStmt;
  /** Reached from the loop's body (or the function's, outside loops) through plain blocks only: unconditional. */
  direct: boolean;
  /**
   * Under an `if` or a `switch` case since that body: whether it runs depends on data. A `select` case is
   * not such a condition (a case receiving from a closed channel fires every time).
   */
  decided: boolean;
}

/**
 * How a statement is part of its body: `stmt` for a statement of a block; `header` for the init and post
 * statements of an `if`, `for` or `switch` (with the place of the statement they belong to); `case` for a
 * `select` case's send, as a send statement of its own.
 */
export type Role = 'stmt' | 'header' | 'case';

export type NestVisitor = (st: Stmt, place: Place, role: Role) => void;

const TOP: Place = { direct: true, decided: false };

/** Visits every statement of a function body in source order, each with its place and role. */
export function walkNested(body: readonly Stmt[], visit: NestVisitor): void {
  nested(body, TOP, visit);
}

function nested(body: readonly Stmt[], place: Place, visit: NestVisitor): void {
  let branch: Place | undefined;
  let selected: Place | undefined;
  const inBranch = (): Place => (branch ??= { ...place, direct: false, decided: true });
  const inCase = (): Place => (selected ??= { ...place, direct: false });
  for (const s of body) {
    visit(s, place, 'stmt');
    switch (s.k) {
      case 'block':
        nested(s.body, place, visit);
        break;
      case 'labeled':
        if (s.stmt) nested([s.stmt], place, visit);
        break;
      case 'if':
        if (s.init) visit(s.init, place, 'header');
        nested(s.then, inBranch(), visit);
        if (s.else) nested(s.else, inBranch(), visit);
        break;
      case 'for':
        if (s.init) visit(s.init, place, 'header');
        if (s.post) visit(s.post, place, 'header');
        nested(s.body, { loop: s, direct: true, decided: false }, visit);
        break;
      case 'switch':
      case 'typeswitch':
        if (s.init) visit(s.init, place, 'header');
        for (const c of s.cases) nested(c.body, inBranch(), visit);
        break;
      case 'select':
        for (const c of s.cases) {
          if (c.kind === 'send') visit({ k: 'send', ch: c.ch, value: c.value, pos: c.pos }, inCase(), 'case');
          nested(c.body, inCase(), visit);
        }
        break;
    }
  }
}

/**
 * The statement lists directly inside a statement: an if's branches, a loop's or block's body, the cases of a
 * switch or select, and a labeled statement as a list of its own.
 */
export function childBlocks(s: Stmt): Stmt[][] {
  switch (s.k) {
    case 'block':
    case 'for':
      return [s.body];
    case 'if':
      return s.else ? [s.then, s.else] : [s.then];
    case 'switch':
    case 'typeswitch':
    case 'select':
      return s.cases.map((c) => c.body);
    case 'labeled':
      return s.stmt ? [[s.stmt]] : [];
    default:
      return [];
  }
}
