import { defineRule } from '../../src/core/rule.js';

export default defineRule({
  id: 'unused-suppression',
  family: 'engine',
  meta: {
    description: 'A `plumbline-ignore` (or `squawk-ignore`) comment that suppresses nothing.',
    rationale: 'Stale suppressions accumulate and later hide a real problem introduced next to them.',
    remedy: 'Delete the comment, or move it right above the statement it was meant for.',
    severity: 'warning',
    precision: 'very-high',
    tags: ['suppressions'],
    recommended: true,
    sources: {},
  },
});
