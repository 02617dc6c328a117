import type Parser from 'tree-sitter';
import {
  MAX_NESTING,
  SUMMARY_FORMAT,
  lineOf,
  pos as packPos,
  type Expr,
  type Field,
  type FileSummary,
  type Directive,
  type FuncDecl,
  type ImportDecl,
  type MethodSig,
  type Param,
  type Pos,
  type SelectCase,
  type Stmt,
  type SwitchCase,
  type TypeDecl,
  type TypeExpr,
  type TypeParam,
  type ValueDecl,
} from '../ir.js';

type Cursor = Parser.TreeCursor;

const LITERAL_KINDS: Record<string, Extract<Expr, { k: 'lit' }>['kind']> = {
  int_literal: 'int',
  float_literal: 'float',
  imaginary_literal: 'imag',
  rune_literal: 'rune',
  interpreted_string_literal: 'string',
  raw_string_literal: 'string',
  nil: 'nil',
  true: 'true',
  false: 'false',
  iota: 'iota',
};

const TYPE_NODES = new Set([
  'type_identifier',
  'qualified_type',
  'generic_type',
  'pointer_type',
  'slice_type',
  'array_type',
  'implicit_length_array_type',
  'map_type',
  'channel_type',
  'function_type',
  'struct_type',
  'interface_type',
  'parenthesized_type',
  'type_elem',
  'negated_type',
]);

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


const GENERATED_RE = /^\/\/ Code generated .* DO NOT EDIT\.$/m;

/**
 * Turns one parsed file into its FileSummary with a single TreeCursor pass.
 * Never materializes `children` arrays: on large corpora that costs several times the parse itself.
 */
export function summarize(tree: Parser.Tree, src: string, path: string): FileSummary {
  return new Summarizer(tree, src, path).run();
}

class Summarizer {
  private readonly c: Cursor;
  private readonly ascii: boolean;
  /** String index of each line's start: a node's line comes from its start index (see posOf). */
  private readonly lineStarts: number[] = [0];
  /** Error recovery makes zero-width MISSING nodes, whose text is not what follows them: no shortcuts then. */
  private readonly sound: boolean;
  private readonly funcs: FuncDecl[] = [];
  private currentFunc: number | undefined;
  /** Statements, expressions and types being summarized, nested; see MAX_NESTING. */
  private depth = 0;
  /**
   * The type of the node under the cursor when the walk already read it (eachChild reads every child's),
   * so that kind() need not cross into the binding again; undefined after a move that did not read it.
   */
  private here: string | undefined;
  private tooDeep: Pos | undefined;

  constructor(
    private readonly tree: Parser.Tree,
    private readonly src: string,
    private readonly path: string,
  ) {
    this.c = tree.walk();
    this.ascii = !/[^\x00-\x7f]/.test(src);
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.sound = !tree.rootNode.hasError;
  }

  run(): FileSummary {
    const summary: FileSummary = {
      format: SUMMARY_FORMAT,
      path: this.path,
      packageName: '',
      imports: [],
      types: [],
      values: [],
      funcs: this.funcs,
      directives: findDirectives(this.src),
      generated: isGenerated(this.src),
      lines: countLines(this.src),
      bytes: Buffer.byteLength(this.src),
    };
    this.eachChild((type) => {
      switch (type) {
        case 'package_clause':
          this.eachChild((t) => {
            if (t === 'package_identifier') summary.packageName = this.text();
          });
          break;
        case 'import_declaration':
          this.imports(summary.imports);
          break;
        case 'type_declaration':
          this.typeDecls(summary.types);
          break;
        case 'var_declaration':
        case 'const_declaration':
          this.valueDecls(summary.values, type === 'const_declaration');
          break;
        case 'function_declaration':
        case 'method_declaration':
          this.func();
          break;
      }
    });
    if (this.tree.rootNode.hasError) summary.syntaxError = this.firstError();
    if (this.tooDeep !== undefined) summary.tooDeep = this.tooDeep;
    spanDeclarations(summary.directives, this.funcs, this.src);
    return summary;
  }

  // ---- cursor helpers -------------------------------------------------------------------------

  /**
   * The current node's type. Native getters cost a call and often a fresh string per node, and
   * dominate summarizing time: the numeric id is the cheapest getter, and its name is learned once.
   */
  private kind(): string {
    return (this.here ??= this.nativeKind());
  }

  private nativeKind(): string {
    const c = this.c;
    const id = c.nodeTypeId;
    return TYPE_NAMES[id] ?? learnType(c, id);
  }

  /** Calls fn with the cursor on each named child of the current node; restores the cursor. */
  private eachChild(fn: (type: string) => void): void {
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
  private eachField(fn: (field: string | null, type: string) => void): void {
    const c = this.c;
    if (!c.gotoFirstChild()) return;
    const parent = this.here;
    do {
      const id = c.nodeTypeId;
      const type = TYPE_NAMES[id] ?? learnType(c, id);
      if (NAMED[id] && type !== 'comment') {
        this.here = type;
        fn(this.field(), type);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    this.here = parent;
  }

  /**
   * Named children by position, for nodes whose grammar fixes the order of their named parts
   * (`x[i]`: operand then index): cheaper than asking each child's field. ERROR nodes from error
   * recovery are skipped so that they do not shift the parts after them.
   */
  private eachInOrder(fn: (i: number) => void): void {
    let i = 0;
    this.eachChild((type) => {
      if (type !== 'ERROR') fn(i++);
    });
  }

  private field(): string | null {
    const c = this.c;
    const id = c.currentFieldId;
    return id === 0 ? null : (FIELD_NAMES[id] ?? learnField(c, id));
  }

  /** Calls fn on the first named child of the current node (if any); restores the cursor. */
  private firstChild<T>(fn: (type: string) => T): T | undefined {
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

  private text(): string {
    return this.src.slice(this.c.startIndex, this.c.endIndex);
  }

  private pos(): Pos {
    return this.posOf(this.c.startIndex);
  }

  /**
   * The position of a string index, its line found in lineStarts: the binding's startPosition costs
   * the same native call as startIndex plus a point object, and positions are asked of most nodes.
   */
  private posOf(index: number): Pos {
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
  private byteCol(index: number, column: number): number {
    if (this.ascii) return column + 1;
    return Buffer.byteLength(this.src.slice(index - column, index)) + 1;
  }

  private firstError(): { pos: Pos; message: string } {
    let node = this.tree.rootNode;
    for (;;) {
      if (node.type === 'ERROR' || node.isMissing) break;
      const next = node.children.find((ch) => ch.hasError || ch.isMissing || ch.type === 'ERROR');
      if (!next) break;
      node = next;
    }
    const p = node.startPosition;
    const message = node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 20))}`;
    return { pos: packPos(p.row + 1, this.byteCol(node.startIndex, p.column)), message };
  }

  // ---- declarations ---------------------------------------------------------------------------

  private imports(out: ImportDecl[]): void {
    const spec = () => {
      let name: string | undefined;
      let path = '';
      const pos = this.pos();
      this.eachField((field) => {
        if (field === 'name') name = this.text();
        else if (field === 'path') path = unquote(this.text());
      });
      out.push(name === undefined ? { path, pos } : { path, name, pos });
    };
    this.eachChild((type) => {
      if (type === 'import_spec') spec();
      else if (type === 'import_spec_list') this.eachChild((t) => t === 'import_spec' && spec());
    });
  }

  private typeDecls(out: TypeDecl[]): void {
    this.eachChild((type) => {
      if (type !== 'type_spec' && type !== 'type_alias') return;
      const alias = type === 'type_alias';
      const decl: TypeDecl = { name: '', typeParams: [], type: other(''), alias, pos: this.pos() };
      this.eachField((field) => {
        if (field === 'name') decl.name = this.text();
        else if (field === 'type_parameters') decl.typeParams = this.typeParams();
        else if (field === 'type') decl.type = this.type();
      });
      out.push(decl);
    });
  }

  private valueDecls(out: ValueDecl[], isConst: boolean): void {
    const spec = () => {
      const decl: ValueDecl = { names: [], values: [], isConst, pos: this.pos() };
      this.eachField((field) => {
        if (field === 'name') decl.names.push(this.text());
        else if (field === 'type') decl.type = this.type();
        else if (field === 'value') decl.values = this.exprList();
      });
      out.push(decl);
    };
    const walk = () =>
      this.eachChild((type) => {
        if (type === 'var_spec' || type === 'const_spec') spec();
        else if (type === 'var_spec_list' || type === 'const_spec_list') walk();
      });
    walk();
  }

  private typeParams(): TypeParam[] {
    const out: TypeParam[] = [];
    this.eachChild((type) => {
      if (type !== 'type_parameter_declaration') return;
      const names: string[] = [];
      let constraint: TypeExpr = other('any');
      this.eachField((field) => {
        if (field === 'name') names.push(this.text());
        else if (field === 'type') constraint = this.firstChild(() => this.type()) ?? other('');
      });
      for (const name of names) out.push({ name, constraint });
    });
    return out;
  }

  /** A function or method declaration, or a function literal; returns its id. */
  private func(): number {
    const c = this.c;
    const id = this.funcs.length;
    const start = c.startPosition;
    const end = c.endPosition;
    const decl: FuncDecl = {
      id,
      name: '',
      typeParams: [],
      params: [],
      results: [],
      span: {
        start: packPos(start.row + 1, this.byteCol(c.startIndex, start.column)),
        end: packPos(end.row + 1, this.byteCol(c.endIndex, end.column)),
      },
    };
    if (this.currentFunc !== undefined) decl.parent = this.currentFunc;
    this.funcs.push(decl);
    const outer = this.currentFunc;
    this.currentFunc = id;
    this.eachField((field) => {
      switch (field) {
        case 'name':
          decl.name = this.text();
          break;
        case 'receiver': {
          const [recv] = this.params().list;
          if (recv) decl.recv = recv.name === undefined ? { type: recv.type } : { name: recv.name, type: recv.type };
          break;
        }
        case 'type_parameters':
          decl.typeParams = this.typeParams();
          break;
        case 'parameters': {
          const { list, variadic } = this.params();
          decl.params = list;
          if (variadic) decl.variadic = true;
          break;
        }
        case 'result':
          decl.results = this.results();
          break;
        case 'body':
          decl.body = this.block();
          break;
      }
    });
    this.currentFunc = outer;
    return id;
  }

  private params(): { list: Param[]; variadic: boolean } {
    const list: Param[] = [];
    let variadic = false;
    this.eachChild((kind) => {
      const isVariadic = kind === 'variadic_parameter_declaration';
      if (kind !== 'parameter_declaration' && !isVariadic) return;
      const names: string[] = [];
      let type: TypeExpr = other('');
      this.eachField((field) => {
        if (field === 'name') names.push(this.text());
        else if (field === 'type') type = this.type();
      });
      if (isVariadic) {
        variadic = true;
        type = { k: 'slice', elem: type };
      }
      if (names.length === 0) list.push({ type });
      for (const name of names) list.push({ name, type });
    });
    return { list, variadic };
  }

  /** A `result` field: either a parameter list or a single bare type. */
  private results(): Param[] {
    if (this.kind() === 'parameter_list') return this.params().list;
    return [{ type: this.type() }];
  }

  // ---- types ----------------------------------------------------------------------------------

  private type(): TypeExpr {
    return this.nested(this.typeAt, noType);
  }

  private typeAt(): TypeExpr {
    const type = this.kind();
    if (this.sound && SPELLED_TYPES.has(type)) {
      const spelled = this.spelledType();
      if (spelled) return spelled;
    }
    switch (type) {
      case 'type_identifier':
      case 'identifier':
        return { k: 'name', name: this.text() };
      case 'qualified_type': {
        let pkg = '';
        let name = '';
        this.eachField((field) => {
          if (field === 'package') pkg = this.text();
          else if (field === 'name') name = this.text();
        });
        return { k: 'name', pkg, name };
      }
      case 'generic_type': {
        let base: TypeExpr = other('');
        const args: TypeExpr[] = [];
        this.eachField((field) => {
          if (field === 'type') base = this.type();
          else if (field === 'type_arguments') this.eachChild(() => args.push(this.type()));
        });
        return base.k === 'name' ? { ...base, args } : base;
      }
      case 'pointer_type':
        return { k: 'ptr', elem: this.firstChild(() => this.type()) ?? other('') };
      case 'slice_type':
      case 'array_type':
      case 'implicit_length_array_type': {
        let elem: TypeExpr = other('');
        this.eachField((field) => {
          if (field === 'element') elem = this.type();
        });
        return { k: type === 'slice_type' ? 'slice' : 'array', elem };
      }
      case 'map_type': {
        let key: TypeExpr = other('');
        let elem: TypeExpr = other('');
        this.eachField((field) => {
          if (field === 'key') key = this.type();
          else if (field === 'value') elem = this.type();
        });
        return { k: 'map', key, elem };
      }
      case 'channel_type': {
        const t = this.text();
        const dir = t.startsWith('<-') ? 'recv' : /^chan\s*<-/.test(t) ? 'send' : 'both';
        let elem: TypeExpr = other('');
        this.eachField((field) => {
          if (field === 'value') elem = this.type();
        });
        return { k: 'chan', dir, elem };
      }
      case 'function_type': {
        const fn: Extract<TypeExpr, { k: 'func' }> = { k: 'func', params: [], results: [] };
        this.eachField((field) => {
          if (field === 'parameters') {
            const { list, variadic } = this.params();
            fn.params = list;
            if (variadic) fn.variadic = true;
          } else if (field === 'result') fn.results = this.results();
        });
        return fn;
      }
      case 'struct_type':
        return { k: 'struct', fields: this.structFields() };
      case 'interface_type':
        return this.iface();
      case 'parenthesized_type':
      case 'type_elem':
      case 'type_constraint': {
        let count = 0;
        let inner: TypeExpr = other('');
        this.eachChild(() => {
          count++;
          inner = this.type();
        });
        return count === 1 ? inner : other(this.text());
      }
      default:
        return other(this.text());
    }
  }

  /**
   * `T`, `pkg.T`, `*T`, `[]pkg.T`, ... written without spaces (most types in signatures and fields),
   * straight from the source text as selectorChain does for expressions: one startIndex and one endIndex
   * call instead of a cursor walk over every part. Undefined for anything else, or when the nesting cap
   * would cut it (the walk decides then).
   */
  private spelledType(): TypeExpr | undefined {
    const src = this.src;
    const start = this.c.startIndex;
    let i = start;
    const wraps: ('ptr' | 'slice')[] = [];
    for (;;) {
      if (src.charCodeAt(i) === 42 /* * */) {
        wraps.push('ptr');
        i++;
      } else if (src.startsWith('[]', i)) {
        wraps.push('slice');
        i += 2;
      } else break;
    }
    let name = identAt(src, i);
    if (name === '') return undefined;
    i += name.length;
    let pkg: string | undefined;
    if (src.charCodeAt(i) === 46 /* . */) {
      pkg = name;
      name = identAt(src, i + 1);
      if (name === '') return undefined;
      i += 1 + name.length;
    }
    if (this.depth + wraps.length >= MAX_NESTING || i !== this.c.endIndex) return undefined;
    let t: TypeExpr = pkg === undefined ? { k: 'name', name } : { k: 'name', pkg, name };
    for (let w = wraps.length - 1; w >= 0; w--) t = { k: wraps[w]!, elem: t };
    return t;
  }

  private structFields(): Field[] {
    const fields: Field[] = [];
    this.eachChild((type) => {
      if (type !== 'field_declaration_list') return;
      this.eachChild((t) => {
        if (t !== 'field_declaration') return;
        const pos = this.pos();
        const names: string[] = [];
        let type: TypeExpr = other('');
        const pointer = this.text().startsWith('*');
        this.eachField((field) => {
          if (field === 'name') names.push(this.text());
          else if (field === 'type') type = this.type();
        });
        if (names.length === 0) {
          fields.push({ type: pointer ? { k: 'ptr', elem: type } : type, embedded: true, pos });
        }
        for (const name of names) fields.push({ name, type, pos });
      });
    });
    return fields;
  }

  private iface(): TypeExpr {
    const methods: MethodSig[] = [];
    const embeds: TypeExpr[] = [];
    this.eachChild((type) => {
      if (type === 'method_elem') {
        const m: MethodSig = { name: '', params: [], results: [] };
        this.eachField((field) => {
          if (field === 'name') m.name = this.text();
          else if (field === 'parameters') {
            const { list, variadic } = this.params();
            m.params = list;
            if (variadic) m.variadic = true;
          } else if (field === 'result') m.results = this.results();
        });
        methods.push(m);
      } else if (type === 'type_elem') {
        embeds.push(this.type());
      }
    });
    return { k: 'iface', methods, embeds };
  }

  // ---- expressions ----------------------------------------------------------------------------

  private exprList(): Expr[] {
    if (this.kind() !== 'expression_list') return [this.expr()];
    const out: Expr[] = [];
    this.eachChild(() => out.push(this.expr()));
    return out;
  }

  private expr(): Expr {
    return this.nested(this.exprAt, badExpr);
  }

  /** Summarizes one more level of nesting with `fn`, or, past MAX_NESTING, gives `tooDeep` instead. */
  private nested<T>(fn: () => T, tooDeep: (pos: Pos) => T): T {
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

  private exprAt(): Expr {
    const type = this.kind();
    const start = this.c.startIndex;
    const pos = this.posOf(start);
    switch (type) {
      case 'identifier':
      case 'field_identifier':
      case 'package_identifier':
        return { k: 'id', name: this.sound ? identAt(this.src, start) : this.text(), pos };
      case 'selector_expression': {
        const chain = this.selectorChain(start, pos);
        if (chain) return chain;
        let x: Expr = { k: 'bad', pos };
        let name = '';
        this.eachChild((t) => {
          if (t === 'field_identifier') name = this.text();
          else if (t !== 'ERROR') x = this.expr();
        });
        return { k: 'sel', x, name, pos };
      }
      case 'call_expression':
        return this.call(pos);
      case 'type_conversion_expression':
        return this.conversion(pos);
      case 'index_expression': {
        let x: Expr = { k: 'bad', pos };
        const index: Expr[] = [];
        this.eachInOrder((i) => {
          if (i === 0) x = this.expr();
          else index.push(this.expr());
        });
        return { k: 'index', x, index, pos };
      }
      case 'slice_expression': {
        let x: Expr = { k: 'bad', pos };
        this.eachField((field) => {
          if (field === 'operand') x = this.expr();
        });
        return { k: 'slice', x, pos };
      }
      case 'type_assertion_expression': {
        let x: Expr = { k: 'bad', pos };
        let asserted: TypeExpr | undefined;
        this.eachInOrder((i) => {
          if (i === 0) x = this.expr();
          else if (i === 1) asserted = this.type();
        });
        return asserted ? { k: 'assert', x, type: asserted, pos } : { k: 'assert', x, pos };
      }
      case 'unary_expression': {
        let op = '';
        let x: Expr = { k: 'bad', pos };
        // Its operator and operand make it two characters or more, unless error recovery left one MISSING.
        const t = this.sound ? this.src.slice(start, start + 2) : this.text();
        op = t.startsWith('<-') ? '<-' : t.charAt(0);
        this.eachInOrder((i) => {
          if (i === 0) x = this.expr();
        });
        return { k: 'unary', op, x, pos };
      }
      case 'binary_expression':
        return this.binary();
      case 'parenthesized_expression':
        return this.firstChild(() => this.expr()) ?? { k: 'bad', pos };
      case 'composite_literal':
        return this.composite(pos);
      case 'func_literal':
        return { k: 'funclit', fn: this.func(), pos };
      case 'literal_element':
        return this.firstChild(() => this.expr()) ?? { k: 'bad', pos };
      case 'literal_value':
        return { k: 'composite', elems: this.literalElems(pos), pos };
      case 'generic_type':
        return { k: 'type', type: this.type(), pos };
      default: {
        const kind = LITERAL_KINDS[type];
        if (kind === 'int') {
          const text = this.src.slice(start, this.c.endIndex);
          if (text === '0') return { k: 'lit', kind, zero: true, pos };
          if (/^[1-9][0-9]{0,5}$/.test(text)) return { k: 'lit', kind, value: Number(text), pos };
        }
        if (kind) return { k: 'lit', kind, pos };
        if (TYPE_NODES.has(type)) return { k: 'type', type: this.type(), pos };
        return { k: 'bad', pos };
      }
    }
  }

  /**
   * `a.b.c` spelled plainly (the commonest selector by far) straight from the source text: every level
   * starts where the chain starts, so one endIndex call replaces a cursor walk over 2n nodes.
   */
  private selectorChain(start: number, pos: Pos): Expr | undefined {
    if (!this.sound) return undefined;
    SELECTOR_CHAIN.lastIndex = start;
    const m = SELECTOR_CHAIN.exec(this.src);
    if (!m || start + m[0].length !== this.c.endIndex) return undefined;
    const [first, ...names] = m[0].split('.');
    if (this.depth + names.length > MAX_NESTING) {
      this.tooDeep ??= pos;
      return { k: 'bad', pos };
    }
    let x: Expr = { k: 'id', name: first!, pos };
    for (const name of names) x = { k: 'sel', x, name, pos };
    return x;
  }

  /**
   * Long literal concatenations (`"..." + "..." + ...`, thousands of terms in generated files) nest
   * on the left as deep as they are long: walk that spine with a loop, not recursion.
   */
  private binary(): Expr {
    const c = this.c;
    const levels: Pos[] = [];
    while (this.kind() === 'binary_expression') {
      levels.push(this.pos());
      c.gotoFirstChild();
      while (this.field() !== 'left' && c.gotoNextSibling());
      this.here = undefined;
    }
    if (this.depth + levels.length > MAX_NESTING) {
      // Not worth a warning: such chains are generated literal data (Go's own time/tzdata has one).
      for (let i = 0; i < levels.length; i++) c.gotoParent();
      this.here = 'binary_expression';
      return { k: 'bad', pos: levels[0]! };
    }
    let x = this.expr();
    for (let i = levels.length - 1; i >= 0; i--) {
      let op = '';
      let y: Expr = { k: 'bad', pos: levels[i]! };
      while (c.gotoNextSibling()) {
        this.here = undefined;
        const field = this.field();
        if (field === 'operator') op = this.kind();
        else if (field === 'right') y = this.expr();
      }
      c.gotoParent();
      this.here = 'binary_expression';
      x = { k: 'binary', op, x, y, pos: levels[i]! };
    }
    return x;
  }

  private call(pos: Pos): Expr {
    let fn: Expr = { k: 'bad', pos };
    const args: Expr[] = [];
    let typeArgs: TypeExpr[] | undefined;
    let spread = false;
    this.eachChild((t) => {
      if (t === 'type_arguments') {
        typeArgs = [];
        this.eachChild(() => typeArgs!.push(this.type()));
      } else if (t === 'ERROR') {
        // Error recovery debris: not a part of the call.
      } else if (t !== 'argument_list') fn = this.expr();
      else {
        this.eachChild((type) => {
          if (type === 'variadic_argument') {
            spread = true;
            const inner = this.firstChild(() => this.expr());
            if (inner) args.push(inner);
          } else {
            args.push(this.expr());
          }
        });
      }
    });
    const call: Extract<Expr, { k: 'call' }> = { k: 'call', fn, args, pos };
    if (typeArgs) call.typeArgs = typeArgs;
    if (spread) call.spread = true;
    return call;
  }

  /**
   * `T(x)` and also `F[int](x)`, which the grammar cannot tell apart from a conversion to a generic
   * type. Both become calls; a generic base becomes the callee with its type arguments.
   */
  private conversion(pos: Pos): Expr {
    let fnType: TypeExpr = other('');
    const args: Expr[] = [];
    this.eachField((field) => {
      if (field === 'type') fnType = this.type();
      else if (field === 'operand') args.push(this.expr());
    });
    if (fnType.k === 'name' && fnType.args) {
      const base: Expr = fnType.pkg
        ? { k: 'sel', x: { k: 'id', name: fnType.pkg, pos }, name: fnType.name, pos }
        : { k: 'id', name: fnType.name, pos };
      return { k: 'call', fn: base, args, typeArgs: fnType.args, pos };
    }
    return { k: 'call', fn: { k: 'type', type: fnType, pos }, args, pos };
  }

  private composite(pos: Pos): Expr {
    let type: TypeExpr | undefined;
    let elems: { key?: string; value: Expr }[] = [];
    this.eachField((field) => {
      if (field === 'type') type = this.type();
      else if (field === 'body') elems = this.literalElems(pos);
    });
    return type ? { k: 'composite', type, elems, pos } : { k: 'composite', elems, pos };
  }

  /** The elements of a `literal_value` (`{...}`), also of one whose type is elided (`[]T{{...}}`). */
  private literalElems(pos: Pos): { key?: string; value: Expr }[] {
    const elems: { key?: string; value: Expr }[] = [];
    this.eachChild((type) => {
      if (type === 'keyed_element') {
        let key: string | undefined;
        let value: Expr = { k: 'bad', pos };
        this.eachField((f) => {
          if (f === 'key') key = this.firstChild((t) => (t === 'identifier' ? this.text() : undefined));
          else if (f === 'value') value = this.expr();
        });
        elems.push(key === undefined ? { value } : { key, value });
      } else {
        elems.push({ value: this.expr() });
      }
    });
    return elems;
  }

  // ---- statements -----------------------------------------------------------------------------

  /** A `block` node (or anything holding a statement_list) to its statements. */
  private block(): Stmt[] {
    const out: Stmt[] = [];
    this.eachChild((type) => {
      if (type === 'statement_list') this.eachChild(() => this.pushStmt(out));
      else this.pushStmt(out);
    });
    return out;
  }

  private pushStmt(out: Stmt[]): void {
    const s = this.stmt();
    if (s) out.push(s);
  }

  private stmt(): Stmt | undefined {
    return this.nested(this.stmtAt, noStmt);
  }

  private stmtAt(): Stmt | undefined {
    const pos = this.pos();
    const type = this.kind();
    switch (type) {
      case 'expression_statement':
        return { k: 'expr', x: this.firstChild(() => this.expr()) ?? { k: 'bad', pos }, pos };
      case 'send_statement':
        return this.send(pos);
      case 'short_var_declaration':
      case 'assignment_statement': {
        let lhs: Expr[] = [];
        let rhs: Expr[] = [];
        let op = ':=';
        this.eachInOrder((i) => {
          if (i === 0) lhs = this.exprList();
          else if (i === 1) rhs = this.exprList();
        });
        if (type === 'assignment_statement') op = this.assignOp();
        if ((op === '=' || op === ':=') && lhs.some((e) => e.k === 'sel')) this.markFunc('writesFields');
        return { k: 'assign', lhs, rhs, op, pos };
      }
      case 'inc_statement':
      case 'dec_statement':
        return { k: 'incdec', x: this.firstChild(() => this.expr()) ?? { k: 'bad', pos }, pos };
      case 'var_declaration':
      case 'const_declaration': {
        const decls: ValueDecl[] = [];
        this.valueDecls(decls, type === 'const_declaration');
        const stmts: Stmt[] = decls.map((d) => {
          const v: Stmt = { k: 'var', names: d.names, values: d.values, pos: d.pos };
          if (d.type) v.type = d.type;
          return v;
        });
        return stmts.length === 1 ? stmts[0] : { k: 'block', body: stmts, pos };
      }
      case 'go_statement':
      case 'defer_statement': {
        const call = this.firstChild(() => this.expr()) ?? { k: 'bad', pos };
        return type === 'go_statement' ? { k: 'go', call, pos } : { k: 'defer', call, pos };
      }
      case 'return_statement':
        return { k: 'return', values: this.firstChild(() => this.exprList()) ?? [], pos };
      case 'break_statement':
      case 'continue_statement':
      case 'goto_statement': {
        const kind = type === 'break_statement' ? 'break' : type === 'continue_statement' ? 'continue' : 'goto';
        const label = this.firstChild(() => this.text());
        return label === undefined ? { k: 'branch', kind, pos } : { k: 'branch', kind, label, pos };
      }
      case 'fallthrough_statement':
        return { k: 'branch', kind: 'fallthrough', pos };
      case 'block':
        return { k: 'block', body: this.block(), pos };
      case 'if_statement':
        return this.ifStmt(pos);
      case 'for_statement':
        return this.forStmt(pos);
      case 'expression_switch_statement':
      case 'type_switch_statement':
        return this.switchStmt(pos);
      case 'select_statement':
        return this.selectStmt(pos);
      case 'labeled_statement': {
        let label = '';
        let inner: Stmt | undefined;
        this.eachChild((type) => {
          if (type === 'label_name') label = this.text();
          else inner = this.stmt();
        });
        if (inner && (inner.k === 'for' || inner.k === 'switch' || inner.k === 'typeswitch' || inner.k === 'select')) {
          inner.label = label;
        }
        return inner ? { k: 'labeled', label, stmt: inner, pos } : { k: 'labeled', label, pos };
      }
      default:
        return undefined;
    }
  }

  private assignOp(): string {
    const c = this.c;
    let op = '=';
    if (c.gotoFirstChild()) {
      do {
        if (this.field() === 'operator') op = this.nativeKind();
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return op;
  }

  private send(pos: Pos): Extract<Stmt, { k: 'send' }> {
    let ch: Expr = { k: 'bad', pos };
    let value: Expr = { k: 'bad', pos };
    this.eachInOrder((i) => {
      if (i === 0) ch = this.expr();
      else if (i === 1) value = this.expr();
    });
    this.markFunc('sends');
    return { k: 'send', ch, value, pos };
  }

  /** Notes on the function being summarized what its body does (see FuncDecl). */
  private markFunc(what: 'sends' | 'writesFields'): void {
    const fn = this.currentFunc === undefined ? undefined : this.funcs[this.currentFunc];
    if (fn) fn[what] = true;
  }

  private ifStmt(pos: Pos): Stmt {
    const s: Extract<Stmt, { k: 'if' }> = { k: 'if', cond: { k: 'bad', pos }, then: [], pos };
    this.eachField((field) => {
      if (field === 'initializer') {
        const init = this.stmt();
        if (init) s.init = init;
      } else if (field === 'condition') s.cond = this.expr();
      else if (field === 'consequence') s.then = this.block();
      else if (field === 'alternative') {
        s.else = this.kind() === 'if_statement' ? [this.nested(() => this.ifStmt(this.pos()), (p) => ({ k: 'block', body: [], pos: p }))] : this.block();
      }
    });
    return s;
  }

  private forStmt(pos: Pos): Stmt {
    const s: Extract<Stmt, { k: 'for' }> = { k: 'for', body: [], pos };
    this.eachField((field, type) => {
      if (field === 'body') {
        s.body = this.block();
      } else if (type === 'for_clause') {
        this.eachField((f) => {
          if (f === 'initializer') s.init = this.stmt();
          else if (f === 'condition') s.cond = this.expr();
          else if (f === 'update') s.post = this.stmt();
        });
        if (!s.init) delete s.init;
        if (!s.post) delete s.post;
      } else if (type === 'range_clause') {
        let left: Expr[] = [];
        let x: Expr = { k: 'bad', pos };
        const define = /^[^=]*:=/.test(this.text().split('range')[0] ?? '');
        this.eachField((f) => {
          if (f === 'left') left = this.exprList();
          else if (f === 'right') x = this.expr();
        });
        const range: NonNullable<typeof s.range> = { define, x };
        if (left[0]) range.key = left[0];
        if (left[1]) range.value = left[1];
        s.range = range;
      } else {
        s.cond = this.expr();
      }
    });
    return s;
  }

  private switchStmt(pos: Pos): Stmt {
    const isType = this.kind() === 'type_switch_statement';
    const cases: SwitchCase[] = [];
    let init: Stmt | undefined;
    let tag: Expr | undefined;
    let bind: string | undefined;
    this.eachField((field, type) => {
      if (field === 'initializer') init = this.stmt();
      else if (field === 'value') tag = this.expr();
      else if (field === 'alias') bind = this.firstChild(() => this.text());
      else if (type === 'expression_case' || type === 'type_case' || type === 'default_case') {
        const sc: SwitchCase = { exprs: [], types: [], isDefault: type === 'default_case', body: [], pos: this.pos() };
        this.eachField((f, t) => {
          if (t === 'statement_list') this.eachChild(() => this.pushStmt(sc.body));
          else if (f === 'value') sc.exprs = this.exprList();
          else if (f === 'type') sc.types.push(this.type());
        });
        cases.push(sc);
      }
    });
    if (isType) {
      const s: Extract<Stmt, { k: 'typeswitch' }> = { k: 'typeswitch', x: tag ?? { k: 'bad', pos }, cases, pos };
      if (init) s.init = init;
      if (bind) s.bind = bind;
      return s;
    }
    const s: Extract<Stmt, { k: 'switch' }> = { k: 'switch', cases, pos };
    if (init) s.init = init;
    if (tag) s.tag = tag;
    return s;
  }

  private selectStmt(pos: Pos): Stmt {
    const cases: SelectCase[] = [];
    this.eachChild((type) => {
      const casePos = this.pos();
      if (type === 'default_case') {
        const body: Stmt[] = [];
        this.eachChild((t) => {
          if (t === 'statement_list') this.eachChild(() => this.pushStmt(body));
        });
        cases.push({ kind: 'default', body, pos: casePos });
        return;
      }
      if (type !== 'communication_case') return;
      const body: Stmt[] = [];
      let sc: SelectCase | undefined;
      this.eachField((field, t) => {
        if (field === 'communication') {
          if (t === 'send_statement') {
            const send = this.send(this.pos());
            sc = { kind: 'send', ch: send.ch, value: send.value, body, pos: send.pos };
          } else {
            sc = this.recvCase(body);
          }
        } else if (t === 'statement_list') this.eachChild(() => this.pushStmt(body));
      });
      if (sc) cases.push(sc);
    });
    return { k: 'select', cases, pos };
  }

  private recvCase(body: Stmt[]): SelectCase {
    const pos = this.pos();
    let lhs: Expr[] = [];
    let ch: Expr = { k: 'bad', pos };
    let define = false;
    const take = (e: Expr) => {
      ch = e.k === 'unary' && e.op === '<-' ? e.x : e;
    };
    if (this.kind() === 'receive_statement') {
      define = /^[^=]*:=/.test(this.text());
      this.eachField((field) => {
        if (field === 'left') lhs = this.exprList();
        else if (field === 'right') take(this.expr());
      });
    } else {
      take(this.expr());
    }
    return { kind: 'recv', ch, lhs, define, body, pos };
  }
}

/** Types spelledType may read from the text: names, qualified names, and pointers and slices of them. */
const SPELLED_TYPES = new Set(['type_identifier', 'identifier', 'qualified_type', 'pointer_type', 'slice_type']);

const SELECTOR_CHAIN = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;

/** The identifier starting at `i`: Go identifiers are letters (any script), digits and `_`. */
function identAt(src: string, i: number): string {
  let j = i;
  for (;;) {
    const ch = src.charCodeAt(j);
    if ((ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 95 || ch > 127) j++;
    else break;
  }
  return src.slice(i, j);
}

/** What a part nested too deep becomes (module-level: summarizing calls these paths once per node). */
function badExpr(pos: Pos): Expr {
  return { k: 'bad', pos };
}

function noType(): TypeExpr {
  return other('');
}

function noStmt(): undefined {
  return undefined;
}

function other(text: string): TypeExpr {
  return { k: 'other', text };
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

function countLines(src: string): number {
  let n = 0;
  let i = -1;
  while ((i = src.indexOf('\n', i + 1)) !== -1) n++;
  return src.length > 0 && !src.endsWith('\n') ? n + 1 : n;
}

/** Go's rule: the marker line must appear before the package clause... in practice anywhere in the header. */
function isGenerated(src: string): boolean {
  const pkg = src.search(/^package\s/m);
  return GENERATED_RE.test(pkg === -1 ? src : src.slice(0, pkg));
}

/**
 * golangci-lint's rule for a `//nolint` on its own line: it covers the declaration below it. Here that is
 * a function whose declaration starts on the next line that is not a comment.
 */
function spanDeclarations(directives: Directive[], funcs: readonly FuncDecl[], src: string): void {
  if (!directives.some((d) => d.ownLine)) return;
  const ends = new Map(funcs.filter((f) => f.name !== '').map((f) => [lineOf(f.span.start), lineOf(f.span.end)]));
  const lines = src.split('\n');
  for (const d of directives) {
    if (!d.ownLine) continue;
    let next = d.line + 1;
    while (next <= lines.length && /^\s*\/\//.test(lines[next - 1] ?? '')) next++;
    const end = ends.get(next);
    if (end !== undefined) d.until = end;
  }
}

/**
 * Suppression comments: `//gohazard:...`, golangci-lint's `//nolint...` and staticcheck's `//lint:ignore` /
 * `//lint:file-ignore` (src/gate/suppress.ts decides which concern gohazard). A space after the slashes is
 * accepted: unlike `//go:` directives, ours are read by people who write them like any comment, and a
 * suppression silently ignored for one space is worse than a lenient parser. A directive ends where the
 * next one on its line starts, and a repeated one is kept once.
 */
function findDirectives(src: string): Directive[] {
  const starts: { at: number; slashes: number }[] = [];
  // indexOf, then a look back for the slashes: a regexp over every comment costs twice as much.
  for (const marker of ['gohazard:', 'lint']) {
    for (let i = src.indexOf(marker); i !== -1; i = src.indexOf(marker, i + 1)) {
      const at = marker === 'lint' && src.startsWith('no', i - 2) ? i - 2 : i;
      if (marker === 'lint' && !(at < i ? /^[:\s]|^$/.test(src.slice(i + 4, i + 5)) : src.startsWith('lint:', i))) continue;
      let j = at;
      while (j > 0 && (src[j - 1] === ' ' || src[j - 1] === '\t')) j--;
      if (j < 2 || src[j - 1] !== '/' || src[j - 2] !== '/') continue;
      starts.push({ at, slashes: j - 2 });
    }
  }
  starts.sort((a, b) => a.at - b.at);
  const out: Directive[] = [];
  const seen = new Set<string>();
  starts.forEach(({ at, slashes }, k) => {
    const eol = src.indexOf('\n', at);
    const lineEnd = eol === -1 ? src.length : eol;
    const next = starts[k + 1];
    const text = src.slice(at, next && next.slashes < lineEnd ? next.slashes : lineEnd).trim();
    const line = countLines(src.slice(0, slashes + 1));
    if (seen.has(`${line}\0${text}`)) return;
    seen.add(`${line}\0${text}`);
    const ownLine = /^[ \t]*$/.test(src.slice(src.lastIndexOf('\n', slashes) + 1, slashes));
    out.push({ line, text, ...(ownLine ? { ownLine: true as const } : {}) });
  });
  return out;
}
