#!/usr/bin/env node
// Writes a module with one package of about MB megabytes of Go for issue 29's "10 MB in one package":
// types with mutexes and WaitGroups whose methods lock, start goroutines, select, and call methods of
// other types, spread over FILES files. Denser in concurrency than ordinary code (8 bytes of summary per
// byte of Go), so it finds super-linear costs sooner. Seeded: the same arguments give the same files.
//
//   node bench/big-package.js DIR [MB=10] [FILES=200]
//   cd DIR && /usr/bin/time -v node …/bin/gohazard.js check --no-cache --stats ./...
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir, mb = '10', filesArg = '200'] = process.argv.slice(2);
if (!dir) throw new Error('usage: node bench/big-package.js DIR [MB] [FILES]');
const files = Number(filesArg);
const perFile = (Number(mb) * 1e6) / files;
let seed = 7;
const pick = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

/** One method body of each kind; `other()` picks a type declared earlier, so calls cross files. */
const bodies = [
  () => `\tx.mu.Lock()\n\tdefer x.mu.Unlock()\n\tx.items[k]++\n\tif x.n > ${pick(100)} {\n\t\treturn x.n, nil\n\t}\n\tx.n += len(k)\n`,
  () => `\tx.wg.Add(1)\n\tgo func() {\n\t\tdefer x.wg.Done()\n\t\tselect {\n\t\tcase x.ch <- len(k):\n\t\tcase <-ctx.Done():\n\t\tcase <-x.done:\n\t\t}\n\t}()\n\tx.wg.Wait()\n`,
  () => `\tx.mu2.RLock()\n\tv, ok := x.items[k]\n\tx.mu2.RUnlock()\n\tif !ok {\n\t\treturn 0, ctx.Err()\n\t}\n\tfor i := 0; i < v; i++ {\n\t\tx.n += i\n\t}\n`,
  () => `\tselect {\n\tcase v := <-x.ch:\n\t\tx.n = v\n\tcase <-time.After(time.Millisecond):\n\t\treturn 0, nil\n\t}\n`,
  (other) => `\ty := New${other()}()\n\tif _, err := y.M${pick(6)}(ctx, k); err != nil {\n\t\treturn 0, err\n\t}\n`,
  () => `\tres := make(chan int)\n\tgo func() {\n\t\tres <- x.n * 2\n\t}()\n\treturn <-res, nil\n`,
];

rmSync(dir, { recursive: true, force: true });
mkdirSync(path.join(dir, 'big'), { recursive: true });
writeFileSync(path.join(dir, 'go.mod'), 'module gen.example/m\n\ngo 1.21\n');
const types = [];
for (let f = 0; f < files; f++) {
  let out = 'package big\n\nimport (\n\t"context"\n\t"sync"\n\t"time"\n)\n\nvar _ = time.Second\nvar _ context.Context\n\n';
  while (out.length < perFile) {
    const t = `T${types.length}`;
    types.push(t);
    out += `type ${t} struct {\n\tmu    sync.Mutex\n\tmu2   sync.RWMutex\n\twg    sync.WaitGroup\n\tch    chan int\n\tdone  chan struct{}\n\titems map[string]int\n\tn     int\n}\n\n`;
    out += `func New${t}() *${t} {\n\treturn &${t}{ch: make(chan int, ${pick(4)}), done: make(chan struct{}), items: map[string]int{}}\n}\n\n`;
    for (let m = 0; m < 6; m++) {
      out += `func (x *${t}) M${m}(ctx context.Context, k string) (int, error) {\n${bodies[pick(bodies.length)](() => types[pick(types.length)])}\treturn x.n, nil\n}\n\n`;
    }
    out += `func (x *${t}) Close() {\n\tx.mu.Lock()\n\tdefer x.mu.Unlock()\n\tselect {\n\tcase <-x.done:\n\tdefault:\n\t\tclose(x.done)\n\t}\n}\n\n`;
  }
  writeFileSync(path.join(dir, 'big', `f${f}.go`), out);
}
process.stdout.write(`${types.length} types in ${files} files\n`);
