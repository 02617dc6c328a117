/**
 * The per-file IR: the only thing that leaves a parse worker and the only thing later phases read.
 * Plain data (no classes, no cycles), so it can be structured-cloned between threads and cached as JSON.
 * Bump SUMMARY_FORMAT whenever its shape or meaning changes: cached summaries are keyed by it.
 */
/**
 * 3: positions are packed numbers (see Pos), not `{line, col}` objects.
 * 4: nesting is capped at MAX_NESTING levels, with `tooDeep` saying where.
 * 5: `// gohazard:` directives (with a space) are kept too.
 * 6: an int literal `0` says so (`zero`).
 * 7: a function says whether it sends (`sends`) and writes fields (`writesFields`).
 * 8: `//nolint` and `//lint:` directives are kept too, with `ownLine` and `until`.
 * 9: calls of `new(expr)` and of functions named new/make (Go 1.26) are summarized from a re-parse.
 * 10: a small decimal int literal keeps its value (`value`): channel capacities and WaitGroup counts.
 * 11: a short word-like string literal keeps its text (`text`): the key a value is set and read back under.
 */
export const SUMMARY_FORMAT = 11;

/**
 * How deep statements, expressions and types may nest in a summary, counted together. Deeper parts are
 * left out (only machine-written code has them), so that no later phase has to walk an unbounded
 * depth: their recursive walks stay far from the stack's limit.
 */
export const MAX_NESTING = 400;

/**
 * A 1-based line and 1-based byte column (as Go tools report them), packed as `line * 4096 + col`.
 * Every node has one: as `{line, col}` objects they were 42% of a summary's JSON and one heap object per
 * node, while a number below 2^30 (any file under 262,144 lines) is a V8 small integer, stored in place.
 * Columns past 4095 are clamped to 4095, so findings there point at column 4095: only very long
 * (generated) lines have them.
 */
export type Pos = number;

const COLS = 4096;

export function pos(line: number, col: number): Pos {
  return line * COLS + Math.min(col, COLS - 1);
}

export function lineOf(p: Pos): number {
  return Math.floor(p / COLS);
}

export function colOf(p: Pos): number {
  return p % COLS;
}

export interface Span {
  start: Pos;
  end: Pos;
}

export type ChanDir = 'both' | 'send' | 'recv';

export type TypeExpr =
  /** A named type; `pkg` is the qualifier as written in the file (an import name), absent for local names. */
  | { k: 'name'; pkg?: string; name: string; args?: TypeExpr[] }
  | { k: 'ptr'; elem: TypeExpr }
  | { k: 'slice'; elem: TypeExpr }
  | { k: 'array'; elem: TypeExpr }
  | { k: 'map'; key: TypeExpr; elem: TypeExpr }
  | { k: 'chan'; dir: ChanDir; elem: TypeExpr }
  | { k: 'func'; params: Param[]; results: Param[]; variadic?: boolean }
  | { k: 'struct'; fields: Field[] }
  | { k: 'iface'; methods: MethodSig[]; embeds: TypeExpr[] }
  /** Anything we do not model (type unions in constraints, parse errors ...), kept as source text. */
  | { k: 'other'; text: string };

export interface Param {
  name?: string;
  type: TypeExpr;
}

export interface Field {
  /** Absent for an embedded field; its name is then the type's name. */
  name?: string;
  type: TypeExpr;
  embedded?: boolean;
  pos: Pos;
}

export interface MethodSig {
  name: string;
  params: Param[];
  results: Param[];
  variadic?: boolean;
}

export interface TypeParam {
  name: string;
  constraint: TypeExpr;
}

export type Expr =
  | { k: 'id'; name: string; pos: Pos }
  | { k: 'sel'; x: Expr; name: string; pos: Pos }
  | { k: 'call'; fn: Expr; args: Expr[]; typeArgs?: TypeExpr[]; spread?: boolean; pos: Pos }
  | { k: 'index'; x: Expr; index: Expr[]; pos: Pos }
  | { k: 'slice'; x: Expr; pos: Pos }
  /** `type` absent for `x.(type)` in a type switch. */
  | { k: 'assert'; x: Expr; type?: TypeExpr; pos: Pos }
  | { k: 'unary'; op: string; x: Expr; pos: Pos }
  | { k: 'binary'; op: string; x: Expr; y: Expr; pos: Pos }
  /** Keyed elements keep their key as a field name when it is a plain identifier. */
  | { k: 'composite'; type?: TypeExpr; elems: { key?: string; value: Expr }[]; pos: Pos }
  /** A function literal; `fn` indexes FileSummary.funcs. */
  | { k: 'funclit'; fn: number; pos: Pos }
  /**
   * `zero`: the int literal `0`, a flag's cleared value (`atomic.StoreInt32(&s.closed, 0)`); `value`: a small
   * decimal int literal's value (a channel's capacity, a WaitGroup's count); `text`: a short word-like string
   * literal's contents, unquoted (a key, `"id"` in `d.Set("id", v)`); others carry none.
   */
  | { k: 'lit'; kind: 'int' | 'float' | 'imag' | 'rune' | 'string' | 'nil' | 'true' | 'false' | 'iota'; zero?: true; value?: number; text?: string; pos: Pos }
  /** A type in expression position: conversions, `make`/`new` arguments. */
  | { k: 'type'; type: TypeExpr; pos: Pos }
  | { k: 'bad'; pos: Pos };

export type SelectCase =
  | { kind: 'send'; ch: Expr; value: Expr; body: Stmt[]; pos: Pos }
  | { kind: 'recv'; ch: Expr; lhs: Expr[]; define: boolean; body: Stmt[]; pos: Pos }
  | { kind: 'default'; body: Stmt[]; pos: Pos };

export interface SwitchCase {
  /** Expressions of an expression switch case; empty for `default`. */
  exprs: Expr[];
  /** Types of a type switch case; empty for `default`. */
  types: TypeExpr[];
  isDefault: boolean;
  body: Stmt[];
  pos: Pos;
}

export type Stmt =
  | { k: 'expr'; x: Expr; pos: Pos }
  | { k: 'send'; ch: Expr; value: Expr; pos: Pos }
  /** `=`, `:=` and op-assignments (`+=` ...); `op` is the operator as written. */
  | { k: 'assign'; lhs: Expr[]; rhs: Expr[]; op: string; pos: Pos }
  | { k: 'var'; names: string[]; type?: TypeExpr; values: Expr[]; pos: Pos }
  | { k: 'incdec'; x: Expr; pos: Pos }
  | { k: 'go'; call: Expr; pos: Pos }
  | { k: 'defer'; call: Expr; pos: Pos }
  | { k: 'return'; values: Expr[]; pos: Pos }
  | { k: 'branch'; kind: 'break' | 'continue' | 'goto' | 'fallthrough'; label?: string; pos: Pos }
  | { k: 'block'; body: Stmt[]; pos: Pos }
  | { k: 'if'; init?: Stmt; cond: Expr; then: Stmt[]; else?: Stmt[]; pos: Pos }
  | {
      k: 'for';
      label?: string;
      init?: Stmt;
      cond?: Expr;
      post?: Stmt;
      range?: { key?: Expr; value?: Expr; define: boolean; x: Expr };
      body: Stmt[];
      pos: Pos;
    }
  | { k: 'switch'; label?: string; init?: Stmt; tag?: Expr; cases: SwitchCase[]; pos: Pos }
  /** `bind` is `t` in `switch t := x.(type)`. */
  | { k: 'typeswitch'; label?: string; init?: Stmt; bind?: string; x: Expr; cases: SwitchCase[]; pos: Pos }
  | { k: 'select'; label?: string; cases: SelectCase[]; pos: Pos }
  | { k: 'labeled'; label: string; stmt?: Stmt; pos: Pos };

export interface FuncDecl {
  /** Index in FileSummary.funcs. */
  id: number;
  /** Empty for function literals. */
  name: string;
  recv?: { name?: string; type: TypeExpr };
  typeParams: TypeParam[];
  params: Param[];
  results: Param[];
  variadic?: boolean;
  /** Absent for declarations without a body (assembly stubs). */
  body?: Stmt[];
  /** For function literals: the FuncDecl they appear in. */
  parent?: number;
  span: Span;
  /**
   * The body (not its function literals) has a send statement or a select's send case. Set while
   * summarizing, so that the facts phase can tell the functions it need not scan without flattening
   * each body.
   */
  sends?: true;
  /** The body (not its function literals) assigns to a selector (`s.ch = ...`), as above. */
  writesFields?: true;
}

export interface TypeDecl {
  name: string;
  typeParams: TypeParam[];
  type: TypeExpr;
  alias: boolean;
  pos: Pos;
}

export interface ValueDecl {
  names: string[];
  type?: TypeExpr;
  values: Expr[];
  isConst: boolean;
  pos: Pos;
}

export interface ImportDecl {
  path: string;
  /** The name as written: an alias, `.` or `_`; absent when not renamed. */
  name?: string;
  pos: Pos;
}

/** A suppression comment (`//gohazard:...`, `//nolint...`, `//lint:...`), acted on by the gate. */
export interface Directive {
  line: number;
  /** From the directive's name to the end of the line or the next directive on it, e.g. `nolint:gohazard // why`. */
  text: string;
  /** Nothing but the comment on its line. */
  ownLine?: true;
  /** A comment on its own line right above a function declaration (doc comments between allowed): its last line. */
  until?: number;
}

export interface FileSummary {
  format: number;
  /** Path relative to the analysis root, with forward slashes. */
  path: string;
  packageName: string;
  imports: ImportDecl[];
  types: TypeDecl[];
  values: ValueDecl[];
  funcs: FuncDecl[];
  directives: Directive[];
  generated: boolean;
  lines: number;
  bytes: number;
  /** First syntax error, if the tree has ERROR or MISSING nodes; the rest of the file is still summarized. */
  syntaxError?: { pos: Pos; message: string };
  /** Where nesting first went deeper than MAX_NESTING; what is below it was left out. */
  tooDeep?: Pos;
}
