import { describe, expect, it } from 'vitest';
import { distinctAssumptions, lessConfident, lowered, messageWithAssumptions, type Assumption } from '../src/findings.js';

const flag: Assumption = { kind: 'undecided-branch', text: 'the branch `if !stopped` (line 12) is taken after the first close' };
const wrapper: Assumption = { kind: 'opaque-call', text: '`l.Unlock` does not release `l.mu`' };

describe('findings that rest on assumptions', () => {
  it('are reported one level below their rule and one confidence step lower per assumption', () => {
    expect(lowered('error')).toBe('warning');
    expect(lowered('warning')).toBe('note');
    expect(lowered('note')).toBe('note');
    expect(lessConfident('high', 0)).toBe('high');
    expect(lessConfident('high', 1)).toBe('medium');
    expect(lessConfident('high', 2)).toBe('low');
    expect(lessConfident('medium', 5)).toBe('low');
  });

  it('name every assumption in the message, keeping a confidence tag last and true', () => {
    expect(messageWithAssumptions('ch may already be closed (line 4): close of closed channel panics [high confidence]', [flag, wrapper], 'low')).toBe(
      'ch may already be closed (line 4): close of closed channel panics; assumed: the branch `if !stopped` (line 12) is taken after the first close; `l.Unlock` does not release `l.mu` [low confidence]',
    );
    expect(messageWithAssumptions('mu is held', [wrapper], 'medium')).toBe('mu is held; assumed: `l.Unlock` does not release `l.mu`');
    expect(messageWithAssumptions('mu is held', [], 'high')).toBe('mu is held');
  });

  it('are each named once', () => {
    expect(distinctAssumptions([flag, wrapper, { ...flag }])).toEqual([flag, wrapper]);
    expect(distinctAssumptions(undefined)).toEqual([]);
  });
});
