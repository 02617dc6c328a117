/**
 * Test code: "does this function run only under `go test`?" — by what it is, not where it lives. An
 * integration suite is often ordinary `.go` files whose methods take a `*testing.T`; a `_test.go` name is
 * only one sign of it.
 */
import type { FileSummary, FuncDecl, TypeExpr } from '../../ir.js';
import type { CallGraph, FuncNode } from '../../resolve/callgraph.js';
import { libraryName, type CallExpr } from '../calls.js';

/** The types of package testing that only a test, benchmark, fuzz target or TestMain is handed. */
const TESTING_TYPES = new Set(['T', 'B', 'F', 'TB', 'M']);

/** fn is written in a `_test.go` file: compiled only by `go test`. */
export function inTestFile(fn: FuncNode): boolean {
  return fn.file.path.endsWith('_test.go');
}

/**
 * fn is test code: it is in a `_test.go` file, or it or a function enclosing it (for a function literal)
 * takes a parameter of a testing type, or is a method of a type with such a method (a suite whose
 * `Run(t *testing.T, ...)` drives its other methods).
 */
export function isTestCode(fn: FuncNode): boolean {
  if (inTestFile(fn)) return true;
  const suites = suiteTypes(fn.pkg.files);
  for (let decl: FuncDecl | undefined = fn.decl; decl; decl = decl.parent === undefined ? undefined : fn.file.funcs[decl.parent]) {
    if (takesTesting(decl, fn.file)) return true;
    const recv = decl.recv && typeName(decl.recv.type);
    if (recv !== undefined && suites.has(recv)) return true;
  }
  return false;
}

/**
 * A caller in a program that shows how to use a library (under `example/`, `examples/` or `_examples/`), calling
 * a function outside it: like a test, it says nothing of what the library's importers do after the call.
 */
export function showsUse(fn: FuncNode, caller: FuncNode): boolean {
  return EXAMPLE_RE.test(caller.file.path) && !EXAMPLE_RE.test(fn.file.path);
}

const EXAMPLE_RE = /(^|\/)_?examples?\//;

const suitesOf = new WeakMap<FileSummary[], ReadonlySet<string>>();

/** The package's types with a method that takes a testing parameter. */
function suiteTypes(files: FileSummary[]): ReadonlySet<string> {
  let out = suitesOf.get(files);
  if (!out) {
    const names = new Set<string>();
    for (const file of files) {
      for (const decl of file.funcs) {
        const recv = decl.recv && typeName(decl.recv.type);
        if (recv !== undefined && takesTesting(decl, file)) names.add(recv);
      }
    }
    out = names;
    suitesOf.set(files, out);
  }
  return out;
}

function takesTesting(decl: FuncDecl, file: FileSummary): boolean {
  const local = file.imports.find((i) => i.path === 'testing');
  if (!local || local.name === '_' || local.name === '.') return false;
  const qualifier = local.name ?? 'testing';
  return decl.params.some(({ type }) => {
    const t = type.k === 'ptr' ? type.elem : type;
    return t.k === 'name' && t.pkg === qualifier && TESTING_TYPES.has(t.name);
  });
}

/** `S` for a receiver of type `S`, `*S` or `*S[K, V]`. */
function typeName(t: TypeExpr): string | undefined {
  const named = t.k === 'ptr' ? t.elem : t;
  return named.k === 'name' && named.pkg === undefined ? named.name : undefined;
}

/**
 * Calls that fail the running test and let it go on: `t.Error`, `t.Errorf`, `t.Fail`, testify's `assert.Fail` and
 * `assert.Failf` (which fail whatever their arguments). What runs after one runs in a test already reported failed.
 */
const FAILS_TEST_RE = new RegExp(
  String.raw`^(testing\.(\(\*(T|B|F|common)\)|TB)\.(Error|Errorf|Fail)|github\.com/stretchr/testify/assert\.(\(\*Assertions\)\.)?(Fail|Failf))$`,
);

/** Whether the call fails the running test (and returns): FAILS_TEST_RE. */
export function failsTest(graph: CallGraph, call: CallExpr): boolean {
  const name = libraryName(graph.callInfo(call));
  return name !== undefined && FAILS_TEST_RE.test(name);
}
