import { blockUnderLock } from '../rules/block-under-lock.js';
import { chanNoPartner } from '../rules/chan-no-partner.js';
import { condMisuse } from '../rules/cond-misuse.js';
import { deadlock } from '../rules/deadlock.js';
import { doubleClose } from '../rules/double-close.js';
import { doubleLock } from '../rules/double-lock.js';
import { goroutineLeak } from '../rules/goroutine-leak.js';
import { lockOrder } from '../rules/lock-order.js';
import { missingUnlock } from '../rules/missing-unlock.js';
import { sendAfterClose } from '../rules/send-after-close.js';
import { unguardedClose } from '../rules/unguarded-close.js';
import { waitgroupMisuse } from '../rules/waitgroup-misuse.js';
import type { RuleSetting } from './config.js';
import type { Rule, RuleMeta } from './rule.js';

/** Every rule gohazard knows, in id order. */
export const ALL_RULES: readonly Rule[] = [blockUnderLock, chanNoPartner, condMisuse, deadlock, doubleClose, doubleLock, goroutineLeak, lockOrder, missingUnlock, sendAfterClose, unguardedClose, waitgroupMisuse];

/** Whether a rule runs, given its config setting: opt-in rules only when the config names them. */
export function isEnabled(meta: RuleMeta, setting: RuleSetting | undefined): boolean {
  return setting === undefined ? !meta.optIn : setting !== 'off';
}

/** The rules that run with no config. */
export const DEFAULT_RULES: readonly Rule[] = ALL_RULES.filter((r) => isEnabled(r.meta, undefined));
