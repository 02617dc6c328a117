import { MAX_NESTING, type Field, type MethodSig, type Param, type TypeExpr, type TypeParam } from '../ir.js';
import { CursorReader, identAt } from './cursor.js';

/** Type expressions, parameter lists and type parameters: the summarizer's reading of Go's types. */
export abstract class TypeReader extends CursorReader {
  protected typeParams(): TypeParam[] {
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

  protected params(): { list: Param[]; variadic: boolean } {
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
  protected results(): Param[] {
    if (this.kind() === 'parameter_list') return this.params().list;
    return [{ type: this.type() }];
  }

  protected type(): TypeExpr {
    return this.nested(this.typeAt, noType);
  }

  protected typeAt(): TypeExpr {
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
  protected spelledType(): TypeExpr | undefined {
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

  protected structFields(): Field[] {
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

  protected iface(): TypeExpr {
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
}

/** Types spelledType may read from the text: names, qualified names, and pointers and slices of them. */
const SPELLED_TYPES = new Set(['type_identifier', 'identifier', 'qualified_type', 'pointer_type', 'slice_type']);

function noType(): TypeExpr {
  return other('');
}

export function other(text: string): TypeExpr {
  return { k: 'other', text };
}
