import type { Named, Type } from './types.js';

/**
 * Types outside the checkout whose methods have pointer receivers. A call `mu.Lock()` on a `sync.Mutex`
 * value is Go's `sync.(*Mutex).Lock`; without the library's source we know it from this list, so
 * later phases can recognise lock, wait-group, once and timer calls by their real names. Besides the
 * standard library's: cobra's Command, the CLI library whose calls the program facts name (`b.cmd.Context()`
 * on a field holding a `cobra.Command` value is `(*Command).Context`).
 */
const POINTER_RECEIVERS = new Set([
  'sync.Mutex', 'sync.RWMutex', 'sync.WaitGroup', 'sync.Once', 'sync.Cond', 'sync.Map', 'sync.Pool',
  'sync/atomic.Bool', 'sync/atomic.Int32', 'sync/atomic.Int64', 'sync/atomic.Uint32', 'sync/atomic.Uint64',
  'sync/atomic.Value', 'sync/atomic.Pointer', 'time.Timer', 'time.Ticker', 'bytes.Buffer', 'strings.Builder',
  // A server held as a value (`srv := http.Server{...}`) serves and shuts down through `(*Server)` methods.
  'net/http.Server',
  'github.com/spf13/cobra.Command',
]);

/** Go's name for a method of a type outside the checkout: `sync.(*WaitGroup).Wait`, `time.Time.Add`. */
export function externalMethodName(recv: Named, static_: Type, method: string): string {
  const key = `${recv.path}.${recv.name}`;
  const ptr = POINTER_RECEIVERS.has(key) || (static_.k === 'ptr' && !isInterfaceLike(recv));
  const base = recv.path ? `${recv.path}.` : '';
  return ptr ? `${base}(*${recv.name}).${method}` : `${base}${recv.name}.${method}`;
}

/** `error` and the well-known stdlib interfaces never take a pointer receiver spelling. */
function isInterfaceLike(recv: Named): boolean {
  return recv.path === '' || recv.path === 'context' || (recv.path === 'io' && /er$/.test(recv.name));
}

const named = (path: string, name: string): Type => ({ k: 'named', path, name });
const CONTEXT = named('context', 'Context');
const CANCEL = named('context', 'CancelFunc');
const ERR: Type = { k: 'named', path: '', name: 'error' };
const TIME_CHAN: Type = { k: 'chan', dir: 'recv', elem: named('time', 'Time') };

/**
 * Result types of the standard-library functions whose results later phases follow: contexts and
 * their cancel functions, timers and their channels. Other external calls stay of unknown type.
 */
const STDLIB_RESULTS: Record<string, Type[]> = {
  'context.Background': [CONTEXT],
  'context.TODO': [CONTEXT],
  'context.WithValue': [CONTEXT],
  'context.WithoutCancel': [CONTEXT],
  'context.WithCancel': [CONTEXT, CANCEL],
  'context.WithTimeout': [CONTEXT, CANCEL],
  'context.WithDeadline': [CONTEXT, CANCEL],
  'context.WithCancelCause': [CONTEXT, named('context', 'CancelCauseFunc')],
  'time.After': [TIME_CHAN],
  'time.Tick': [TIME_CHAN],
  'time.NewTimer': [{ k: 'ptr', elem: named('time', 'Timer') }],
  'time.AfterFunc': [{ k: 'ptr', elem: named('time', 'Timer') }],
  'time.NewTicker': [{ k: 'ptr', elem: named('time', 'Ticker') }],
  'time.Now': [named('time', 'Time')],
  'time.Since': [named('time', 'Duration')],
  'sync.NewCond': [{ k: 'ptr', elem: named('sync', 'Cond') }],
  'errors.New': [ERR],
  'fmt.Errorf': [ERR],
};

const LOGRUS = 'github.com/sirupsen/logrus';
const LOGRUS_ENTRY: Type = { k: 'ptr', elem: named(LOGRUS, 'Entry') };
const ENTRY_MAKERS = ['WithField', 'WithFields', 'WithError', 'WithContext', 'WithTime'];

/**
 * Result types of library functions and methods whose results later phases follow: logrus's entries
 * (`log.WithField(...)` and an entry's own `WithField`), whose `Fatal` ends the process (facts/noreturn.ts),
 * which a call on an entry held in a variable (`logCxt := log.WithField(...); logCxt.Fatal(...)`) can only
 * show when the variable's type is known. By Go's name: `path.Func`, `path.(*T).Method`.
 */
const LIBRARY_RESULTS: Record<string, Type[]> = Object.fromEntries(
  ENTRY_MAKERS.flatMap((m) => [
    [`${LOGRUS}.${m}`, [LOGRUS_ENTRY]],
    [`${LOGRUS}.(*Entry).${m}`, [LOGRUS_ENTRY]],
  ]),
);

/** The signature of a known standard-library or library function (results only), or undefined. */
export function stdlibFunc(path: string, name: string): Extract<Type, { k: 'func' }> | undefined {
  return knownFunc(`${path}.${name}`);
}

/** The signature (results only) of a function or method outside the checkout, by Go's name, when known. */
export function knownFunc(goName: string): Extract<Type, { k: 'func' }> | undefined {
  const results = STDLIB_RESULTS[goName] ?? LIBRARY_RESULTS[goName];
  return results && { k: 'func', params: [], results, variadic: false };
}

/**
 * A name for a function value returned by an external call: its type when we know it
 * (`context.CancelFunc` from context.WithTimeout), else the call and the result's position.
 */
export function externalResultName(call: string, index: number): string {
  const t = STDLIB_RESULTS[call]?.[index];
  if (t?.k === 'named') return `${t.path}.${t.name}`;
  return `${call} result ${index}`;
}
