import { defineRule } from '../../src/core/rule.js';

export default defineRule({
  id: 'invalid-suppression',
  family: 'engine',
  meta: {
    description: 'A `plumbline-ignore` comment that names an unknown rule or gives no reason.',
    rationale:
      'A suppression for a rule id that does not exist silences nothing and hides the typo; one without a reason cannot be reviewed later.',
    remedy: 'Name a rule from `plumbline rules` and give the reason after a colon: `-- plumbline-ignore no-drop-column: column unused since v42`.',
    severity: 'warning',
    precision: 'very-high',
    tags: ['suppressions'],
    recommended: true,
    // squawk reports an unknown name in a `squawk-ignore` comment as `unused-ignore` (checked with squawk 2.66).
    sources: { squawk: 'unused-ignore' },
  },
});
