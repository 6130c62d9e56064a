/** The code rules (TypeScript handlers, consumers and the functions they reach): one file per rule. */
import type { CodeRule } from '../../src/core/rule.js';
import noQueryInLoop from './no-query-in-loop.js';

export const codeRules: CodeRule[] = [noQueryInLoop];
