import { doubleClose } from '../rules/double-close.js';
import { sendAfterClose } from '../rules/send-after-close.js';
import type { Rule } from './rule.js';

/** Every rule gohazard knows, in id order. */
export const ALL_RULES: readonly Rule[] = [doubleClose, sendAfterClose];
