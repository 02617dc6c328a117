import { MAX_NESTING, type Expr, type Pos, type TypeExpr } from '../ir.js';
import { identAt } from './cursor.js';
import { TypeReader, other } from './types.js';

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

/** Expressions: what calls, sends and assignments are made of. */
export abstract class ExprReader extends TypeReader {
  /** A function literal under the cursor, summarized as a function of its own; returns its id. */
  protected abstract funcLit(): number;

  protected exprList(): Expr[] {
    if (this.kind() !== 'expression_list') return [this.expr()];
    const out: Expr[] = [];
    this.eachChild(() => out.push(this.expr()));
    return out;
  }

  protected expr(): Expr {
    return this.nested(this.exprAt, badExpr);
  }

  protected exprAt(): Expr {
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
        return { k: 'funclit', fn: this.funcLit(), pos };
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
        if (kind === 'string') {
          // Only short keys: every other string literal stays a bare 'string' and costs the summary nothing.
          const key = /^["`]([A-Za-z_][\w.-]{0,31})["`]$/.exec(this.src.slice(start, this.c.endIndex));
          if (key) return { k: 'lit', kind, text: key[1]!, pos };
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
  protected selectorChain(start: number, pos: Pos): Expr | undefined {
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
  protected binary(): Expr {
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

  protected call(pos: Pos): Expr {
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
  protected conversion(pos: Pos): Expr {
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

  protected composite(pos: Pos): Expr {
    let type: TypeExpr | undefined;
    let elems: { key?: string; value: Expr }[] = [];
    this.eachField((field) => {
      if (field === 'type') type = this.type();
      else if (field === 'body') elems = this.literalElems(pos);
    });
    return type ? { k: 'composite', type, elems, pos } : { k: 'composite', elems, pos };
  }

  /** The elements of a `literal_value` (`{...}`), also of one whose type is elided (`[]T{{...}}`). */
  protected literalElems(pos: Pos): { key?: string; value: Expr }[] {
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
}

const SELECTOR_CHAIN = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;

/** What a part nested too deep becomes (module-level: summarizing calls these paths once per node). */
function badExpr(pos: Pos): Expr {
  return { k: 'bad', pos };
}
