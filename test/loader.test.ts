import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGET, matchFileName, matchHeader } from '../dist/src/load/buildtags.js';
import { load } from '../dist/src/load/discover.js';
import { inferImportRoot } from '../dist/src/load/importroot.js';
import { parseGoMod, parseGoWork } from '../dist/src/load/modules.js';
import { cli, tempTree } from './helpers.js';

const linux = DEFAULT_TARGET;
const windows = { goos: 'windows', goarch: 'arm64', tags: [] };

describe('build constraints', () => {
  it('evaluates //go:build expressions', () => {
    expect(matchHeader('//go:build linux\n\npackage a', linux)).toBe(true);
    expect(matchHeader('//go:build !linux\n\npackage a', linux)).toBe(false);
    expect(matchHeader('//go:build (linux || darwin) && amd64\n\npackage a', linux)).toBe(true);
    expect(matchHeader('//go:build (linux || darwin) && arm64\n\npackage a', linux)).toBe(false);
    expect(matchHeader('//go:build unix\npackage a', linux)).toBe(true);
    expect(matchHeader('//go:build go1.21\npackage a', linux)).toBe(true);
    expect(matchHeader('//go:build ignore\npackage a', linux)).toBe(false);
    expect(matchHeader('//go:build integration\npackage a', { ...linux, tags: ['integration'] })).toBe(true);
  });

  it('reads constraints only from the header, after license comments', () => {
    expect(matchHeader('// Copyright 2024\n/* block */\n\n//go:build windows\n\npackage a', linux)).toBe(false);
    expect(matchHeader('package a\n\n//go:build windows\n', linux)).toBe(true);
  });

  it('honours // +build lines when there is no //go:build', () => {
    expect(matchHeader('// +build linux,amd64 darwin\n\npackage a', linux)).toBe(true);
    expect(matchHeader('// +build !linux\n\npackage a', linux)).toBe(false);
    expect(matchHeader('// +build linux\n// +build 386\n\npackage a', linux)).toBe(false);
    expect(matchHeader('//go:build linux\n// +build windows\n\npackage a', linux)).toBe(true);
  });

  it('rejects a malformed //go:build line', () => {
    expect(() => matchHeader('//go:build linux &&\npackage a', linux)).toThrow(/invalid \/\/go:build/);
  });

  it('applies _GOOS and _GOARCH file-name suffixes', () => {
    expect(matchFileName('a_linux.go', linux)).toBe(true);
    expect(matchFileName('a_windows.go', linux)).toBe(false);
    expect(matchFileName('a_windows.go', windows)).toBe(true);
    expect(matchFileName('a_linux_amd64.go', linux)).toBe(true);
    expect(matchFileName('a_linux_arm64.go', linux)).toBe(false);
    expect(matchFileName('a_arm64.go', windows)).toBe(true);
    expect(matchFileName('a_windows_test.go', linux)).toBe(false);
    expect(matchFileName('linux.go', windows)).toBe(true);
    expect(matchFileName('a_unix.go', windows)).toBe(true);
  });
});

describe('go.mod and go.work', () => {
  it('parses module path and go version', () => {
    expect(parseGoMod('// c\nmodule "example.com/m" // x\n\ngo 1.22\nrequire x v1\n', '/d')).toEqual({
      dir: '/d',
      path: 'example.com/m',
      goVersion: '1.22',
    });
  });
  it('parses go.work use directives', () => {
    expect(parseGoWork('go 1.22\nuse (\n\t./a\n\t./b // c\n)\nuse ./c\n', '/w').use).toEqual(['/w/a', '/w/b', '/w/c']);
  });
});

describe('load', () => {
  const tree = () =>
    tempTree({
      'go.mod': 'module example.com/m\n\ngo 1.22\n',
      'a.go': 'package m\n',
      'a_test.go': 'package m\n',
      'a_windows.go': 'package m\n',
      'pkg/b.go': 'package pkg\n',
      'pkg/vendor/v.go': 'package v\n',
      'vendor/x/x.go': 'package x\n',
      'testdata/t.go': 'package t\n',
      '.hidden/h.go': 'package h\n',
      '_skip/s.go': 'package s\n',
      'nested/go.mod': 'module example.com/nested\n',
      'nested/n.go': 'package nested\n',
      'nested/sub/s.go': 'package sub\n',
    });

  it('applies Go folder and file rules and maps folders to import paths', () => {
    const dir = tree();
    const r = load(['./...'], { cwd: dir, tests: false, target: linux });
    expect(r.files.map((f) => [f.rel, f.importPath])).toEqual([
      ['a.go', 'example.com/m'],
      ['nested/n.go', 'example.com/nested'],
      ['nested/sub/s.go', 'example.com/nested/sub'],
      ['pkg/b.go', 'example.com/m/pkg'],
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('includes _test.go files with tests on', () => {
    const r = load(['./...'], { cwd: tree(), tests: true, target: linux });
    expect(r.files.map((f) => f.rel)).toContain('a_test.go');
  });

  it('supports ./pkg/..., a single folder and a single file', () => {
    const dir = tree();
    expect(load(['./pkg/...'], { cwd: dir, tests: false, target: linux }).files.map((f) => f.rel)).toEqual(['pkg/b.go']);
    expect(load(['.'], { cwd: dir, tests: false, target: linux }).files.map((f) => f.rel)).toEqual(['a.go']);
    expect(load(['a_windows.go'], { cwd: dir, tests: false, target: linux }).files.map((f) => f.rel)).toEqual(['a_windows.go']);
  });

  it('reports a missing path and a non-Go path as errors', () => {
    const dir = tree();
    const r = load(['./nope', 'go.mod'], { cwd: dir, tests: false, target: linux });
    expect(r.diagnostics.map((d) => `${d.severity} ${d.path}: ${d.message}`)).toEqual([
      'error ./nope: cannot read: no such file or folder',
      'error go.mod: not a Go source file or folder',
    ]);
  });

  it('does not follow symlinks to folders in ... patterns, as the go command; a named one is followed', () => {
    const dir = tree();
    const outside = tempTree({ 'x.go': 'package x\n' });
    symlinkSync(dir, path.join(dir, 'pkg', 'loop'));
    symlinkSync(outside, path.join(dir, 'out'));
    symlinkSync('/', path.join(dir, 'slash'));
    symlinkSync('self.go', path.join(dir, 'pkg', 'self.go'));
    const r = load(['./...'], { cwd: dir, tests: false, target: linux });
    expect(r.files.map((f) => f.rel)).toEqual(['a.go', 'nested/n.go', 'nested/sub/s.go', 'pkg/b.go']);
    const messages = r.diagnostics.map((d) => `${d.severity} ${d.path}: ${d.message}`);
    expect(messages).toEqual([
      'warning out: skipped: a symlink to a folder is not followed by ... patterns (as in the go command)',
      'warning slash: skipped: a symlink to a folder is not followed by ... patterns (as in the go command)',
      'warning pkg/loop: skipped: a symlink to a folder is not followed by ... patterns (as in the go command)',
      'warning pkg/self.go: cannot read: symlink loop',
    ]);
    expect(load(['./out/...'], { cwd: dir, tests: false, target: linux }).files.map((f) => f.abs)).toEqual([path.join(dir, 'out', 'x.go')]);
  });

  it('deduplicates overlapping patterns, as the go command', () => {
    const dir = tree();
    for (const patterns of [['./...', './pkg/...'], ['a.go', 'a.go'], ['./...', `${dir}/...`], ['./pkg', './...', './pkg/b.go']]) {
      const r = load(patterns, { cwd: dir, tests: false, target: linux });
      expect(r.diagnostics, patterns.join(' ')).toEqual([]);
      expect(new Set(r.files.map((f) => f.abs)).size, patterns.join(' ')).toBe(r.files.length);
    }
    expect(load(['./...', './pkg/...'], { cwd: dir, tests: false, target: linux }).files.map((f) => f.rel)).toEqual(['a.go', 'nested/n.go', 'nested/sub/s.go', 'pkg/b.go']);
  });

  it('finds the module of a folder below the target and of one above it', () => {
    const dir = tree();
    const r = load(['./sub'], { cwd: path.join(dir, 'nested'), tests: false, target: linux });
    expect(r.files.map((f) => f.importPath)).toEqual(['example.com/nested/sub']);
  });
});

describe('a checkout with no go.mod', () => {
  const folders = (imports: Record<string, string[]>) => Object.entries(imports).map(([folder, i]) => ({ folder, imports: i }));

  it('takes the repository path its own imports put before its folders', () => {
    const root = inferImportRoot(folders({ '.': ['fmt', 'github.com/o/r/eth/downloader'], eth: ['github.com/o/r/eth/downloader', 'github.com/o/r/event'], 'eth/downloader': ['sync'], event: [] }));
    expect(root).toBe('github.com/o/r');
  });

  it('lets the project\'s own imports outvote a look-alike, and decides nothing on a tie or without a host', () => {
    expect(inferImportRoot(folders({ a: ['github.com/x/log', 'github.com/o/r/b', 'github.com/o/r/log'], b: [], log: [] }))).toBe('github.com/o/r');
    expect(inferImportRoot(folders({ a: ['github.com/x/log', 'github.com/y/b'], b: [], log: [] }))).toBeUndefined();
    expect(inferImportRoot(folders({ a: ['corp/r/b'], b: [] }))).toBeUndefined();
    expect(inferImportRoot(folders({ a: ['fmt', 'github.com/x/y'], b: [] }))).toBeUndefined();
  });

  it('resolves calls between its packages', () => {
    const dir = tempTree({
      'eng/eng.go': 'package eng\n\ntype E struct{ ch chan int }\n\nfunc (e *E) Close() { close(e.ch) }\n',
      'cmd/main.go':
        'package main\n\nimport "github.com/o/r/eng"\n\nfunc stop(e *eng.E) {\n\te.Close()\n\te.Close()\n}\n\nfunc main() { stop(&eng.E{}) }\n',
    });
    const r = cli(['check', '--no-cache', '--no-progress', '--fail-on', 'none', './...'], dir);
    expect(r.stdout).toMatch(/^cmd\/main\.go:7:\d+: error: double-close: /m);
  });
});
