import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli, tempTree } from './helpers.js';

/** A module in Go 1.26 syntax: `new(expr)`, and functions named new and make that shadow the builtins. */
const GO126 = {
    'go.mod': `module example.com/go126

go 1.26
`,
    'new.go': `// Package go126 uses Go 1.26's new(expr), and a generic function named make that shadows the builtin.
package go126

type config struct{ retries *int }

func answer() int { return 42 }

// Defaults take the address of values, not of variables.
func Defaults() (*int, *int, *string, config) {
	p := new(42)
	q := new(answer())
	s := new("x" + "y")
	c := config{retries: new(3)}
	return p, q, s, c
}

// Leak: the goroutine's send has no receiver once Leak returns early.
func Leak(fail bool) *int {
	ch := make(chan int)
	go func() {
		ch <- *new(answer())
	}()
	if fail {
		return nil
	}
	return new(<-ch)
}
`,
    'shadow.go': `package go126

// make shadows the builtin in this function only: a generic function named make, called with values.
func Sum() int {
	make := func(xs ...int) int {
		t := 0
		for _, x := range xs {
			t += x
		}
		return t
	}
	return make(1+2, answer())
}
`,
    'generic/generic.go': `// Package generic declares generic functions named new and make, which shadow the builtins here.
package generic

func new[T any](v T) *T { return &v }

func make[T any](xs ...T) []T { return xs }

func Use() (*int, []string) {
	return new[int](1 + 1), make("a", "b")
}

func Plain() *int { return new(2 * 3) }
`,
};

describe('Go 1.26 syntax (tree-sitter-go 0.25 predates it)', () => {
  it('parses new(expr) and shadowed make/new with no syntax error, as go vet does, and analyzes what they hold', () => {
    const dir = tempTree(GO126);
    const vet = spawnSync('go', ['vet', './...'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
    expect(`${vet.stdout}${vet.stderr}`).toBe('');
    expect(vet.status).toBe(0);
    const r = cli(['check', '--no-cache', './...'], dir);
    expect(r.stderr).not.toMatch(/syntax error/);
    // The receive inside new(<-ch) is seen: the goroutine's send has a partner, and leaks only on the early return.
    expect(r.stdout).toBe(
      'new.go:21:3: error: goroutine-leak: send on unbuffered ch may never complete: Leak can return at line 24 without receiving from ch, and the goroutine it started (line 20) then blocks here forever\n',
    );
  });

  it('keeps the names as written: a `new` call is still the builtin where it is not shadowed', async () => {
    const { analyze } = await import('../dist/src/analyze.js');
    const dir = tempTree(GO126);
    const result = await analyze({ patterns: ['./...'], cwd: dir, workers: 1 });
    const defaults = result.program.packages.flatMap((p) => p.files).find((f) => f.path === 'new.go')!.funcs.find((f) => f.name === 'Defaults')!;
    expect(JSON.stringify(defaults.body)).toContain('"name":"new"');
    expect(JSON.stringify(defaults.body)).not.toMatch(/nEw|mAke/);
  });
});
