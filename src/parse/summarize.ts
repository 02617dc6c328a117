import type Parser from 'tree-sitter';
import {
  SUMMARY_FORMAT,
  pos as packPos,
  type Expr,
  type FileSummary,
  type FuncDecl,
  type ImportDecl,
  type Pos,
  type SelectCase,
  type Stmt,
  type SwitchCase,
  type TypeDecl,
  type ValueDecl,
} from '../ir.js';
import { ExprReader } from './exprs.js';
import { countLines, findDirectives, isGenerated, spanDeclarations, unquote } from './source-text.js';
import { other } from './types.js';

/**
 * Turns one parsed file into its FileSummary with a single TreeCursor pass.
 * Never materializes `children` arrays: on large corpora that costs several times the parse itself.
 */
export function summarize(tree: Parser.Tree, src: string, path: string): FileSummary {
  return new Summarizer(tree, src, path).run();
}

/** Declarations and statements, on top of the expression and type readers. */
class Summarizer extends ExprReader {
  private readonly funcs: FuncDecl[] = [];
  private currentFunc: number | undefined;

  constructor(
    tree: Parser.Tree,
    src: string,
    private readonly path: string,
  ) {
    super(tree, src);
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

  protected funcLit(): number {
    return this.func();
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

function noStmt(): undefined {
  return undefined;
}
