import { defineRule } from '../../src/core/rule.js';

export default defineRule({
  id: 'syntax-error',
  family: 'engine',
  meta: {
    description: 'A statement that PostgreSQL cannot parse.',
    rationale:
      'PostgreSQL rejects the migration at this statement after running the ones before it (or rolls the whole file back when it runs in a transaction). No other rule can judge a statement that does not parse.',
    remedy: 'Fix the syntax. Plumbline still checks every other statement of the file.',
    severity: 'error',
    precision: 'very-high',
    tags: ['correctness'],
    recommended: true,
    sources: { squawk: 'syntax-error' },
  },
});
