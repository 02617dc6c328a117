import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../dist/src/findings.js';
import { fingerprintOf } from '../dist/src/findings.js';
import { formatSarif, GITHUB_LIMITS, type SarifInput } from '../dist/src/report/sarif.js';
import { repositoryUri } from '../dist/src/report/vcs.js';
import { doubleClose } from '../dist/rules/double-close.js';
import { multitoolErrors, schemaErrors } from './sarif-validate.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- SARIF documents are read as loose JSON here */
type Sarif = any;

function expectValid(text: string): void {
  expect(schemaErrors(JSON.parse(text))).toEqual([]);
  expect(multitoolErrors(text)).toEqual([]);
}

describe('repositoryUri', () => {
  it('turns remotes into absolute URIs without credentials', () => {
    expect(repositoryUri('git@github.com:org/repo.git')).toBe('ssh://github.com/org/repo.git');
    expect(repositoryUri('https://token@github.com/org/repo')).toBe('https://github.com/org/repo');
    expect(repositoryUri('/srv/git/repo.git')).toBe('file:///srv/git/repo.git');
  });
});

/** A finding in the shape send-after-close reports: a close path and a send path. */
function sendAfterClose(i: number, steps = 2): Finding {
  const at = (line: number, col = 2) => ({ path: `pkg/f${i % 7}.go`, line, col });
  return {
    ruleId: 'send-after-close',
    severity: i % 3 === 0 ? 'error' : 'warning',
    confidence: 'medium',
    message: `Clean may send on e.metaCh[${i}] after Engine.Close closed it`,
    location: at(10 + i),
    related: [{ location: at(3), message: 'the close' }],
    flows: [
      { message: 'the close path', steps: Array.from({ length: steps }, (_, s) => ({ location: at(20 + s), message: s ? 'closes e.metaCh' : 'calls Engine.Close' })) },
      { message: 'the send path', steps: Array.from({ length: steps }, (_, s) => ({ location: at(40 + s), message: s ? 'sends on e.metaCh' : 'calls closeWriters' })) },
    ],
    fingerprint: fingerprintOf('send-after-close', ['pkg.Clean', 'pkg.Engine.metaCh', String(i)]),
  };
}

function input(findings: Finding[], limits = GITHUB_LIMITS): SarifInput {
  return {
    rules: [
      { meta: doubleClose.meta, helpMarkdown: '# double-close\n', level: 'error' },
      {
        meta: { ...doubleClose.meta, id: 'send-after-close', title: 'Send after close', severity: 'error' },
        helpMarkdown: '# send-after-close\n\nA **send** after `close`.\n',
        level: 'error',
      },
    ],
    results: findings.map((finding) => ({ finding })),
    root: '/src/project',
    srcRoot: '/src/project',
    rootInSrcRoot: '',
    automationId: 'gohazard/',
    notices: [],
    utf16Column: (_p, _l, c) => c,
    limits,
  };
}

describe('formatSarif', () => {
  it('writes one code flow per witness path, each a thread of call sites with messages', () => {
    const out = formatSarif(input([sendAfterClose(0)]));
    const [res] = JSON.parse(out.text).runs[0].results;
    expect(res.codeFlows).toHaveLength(2);
    expect(res.codeFlows[0]).toMatchObject({
      message: { text: 'the close path.' },
      threadFlows: [
        {
          locations: [
            { location: { message: { text: 'calls Engine.Close.' }, physicalLocation: { region: { startLine: 20 } } } },
            { location: { message: { text: 'closes e.metaCh.' }, physicalLocation: { region: { startLine: 21 } } } },
          ],
        },
      ],
    });
    expect(res.codeFlows[1].threadFlows[0].locations[1].location.message.text).toBe('sends on e.metaCh.');
    // Brackets in the message are escaped so they are not read as links; the related location is linked.
    expect(res.message.text).toBe('Clean may send on e.metaCh\\[0\\] after Engine.Close closed it. See [the close](1).');
    expect(out.truncations).toEqual([]);
    expectValid(out.text);
  });

  it('keeps the 5,000 most severe results and says so in a run-level notification', () => {
    const findings = Array.from({ length: 5003 }, (_, i) => sendAfterClose(i, 1));
    const out = formatSarif(input(findings));
    const run = JSON.parse(out.text).runs[0];
    expect(run.results).toHaveLength(5000);
    const errors = findings.filter((f) => f.severity === 'error').length;
    expect(run.results.filter((r: Sarif) => r.level === 'error')).toHaveLength(errors);
    expect(out.truncations).toEqual(['5003 results exceed the limit of 5000 per run: kept the 5000 most severe.']);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([{ level: 'warning', message: { text: out.truncations[0] } }]);
    expect(schemaErrors(JSON.parse(out.text))).toEqual([]);
  });

  it('caps related locations and thread-flow locations per result', () => {
    const f = sendAfterClose(1, 8);
    f.related = Array.from({ length: 12 }, (_, i) => ({ location: { path: 'a.go', line: i + 1, col: 1 }, message: `site ${i}` }));
    const out = formatSarif(input([f], { ...GITHUB_LIMITS, locationsPerResult: 5, threadFlowLocationsPerResult: 10 }));
    const [res] = JSON.parse(out.text).runs[0].results;
    expect(res.relatedLocations).toHaveLength(4);
    expect(res.codeFlows.map((c: Sarif) => c.threadFlows[0].locations.length)).toEqual([8, 2]);
    expect(out.truncations).toEqual([
      'pkg/f1.go:11:2 (send-after-close): kept 4 of 12 related locations.',
      'pkg/f1.go:11:2 (send-after-close): left out 6 code flow steps.',
    ]);
    const notes = JSON.parse(out.text).runs[0].invocations[0].toolExecutionNotifications.map((n: Sarif) => n.message.text);
    expect(notes).toEqual(out.truncations);
  });

  it('drops the least severe results until the file gzips under the size limit', () => {
    const findings = Array.from({ length: 400 }, (_, i) => sendAfterClose(i, 3));
    const full = formatSarif(input(findings)).text;
    const limit = Math.floor(gzipSync(full).length / 3);
    const out = formatSarif(input(findings, { ...GITHUB_LIMITS, gzipBytes: limit }));
    expect(gzipSync(out.text).length).toBeLessThanOrEqual(limit);
    const kept = JSON.parse(gunzipSync(gzipSync(out.text)).toString()).runs[0].results;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(400);
    expect(out.truncations).toHaveLength(1);
    expect(out.truncations[0]).toMatch(new RegExp(`more than ${limit} bytes: kept the ${kept.length} most severe results`));
  });
});
