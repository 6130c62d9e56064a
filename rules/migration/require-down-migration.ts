import { defineRule } from '../../src/core/rule.js';
import type { FrameworkId } from '../../src/migrations/model.js';

const FRAMEWORK_NAMES: Partial<Record<FrameworkId, string>> = {
  'golang-migrate': 'golang-migrate',
  dbmate: 'dbmate',
  diesel: 'Diesel',
  sqitch: 'Sqitch',
};

const ROLLBACK_COMMANDS: Partial<Record<FrameworkId, string>> = {
  'golang-migrate': '`migrate down 1`',
  dbmate: '`dbmate rollback`',
  diesel: '`diesel migration revert`',
  sqitch: '`sqitch revert`',
};

export default defineRule({
  id: 'require-down-migration',
  family: 'migration',
  meta: {
    description: 'A migration without a down (revert) script, in a framework that runs down migrations.',
    rationale:
      'When a deploy goes wrong, the framework\'s rollback command is the planned way back; a migration without a down script makes that rollback fail, or record the version as reverted while the schema stays changed.',
    remedy:
      'Write the down script: drop what the up creates, in reverse order. If the up cannot be undone (it deletes data), make the down fail with an explicit error saying so.',
    severity: 'warning',
    precision: 'high',
    tags: ['one-way', 'rollback'],
    recommended: false,
    sources: {},
  },
  create(ctx) {
    return {
      'Migration:exit'() {
        const m = ctx.migration;
        if (!m.downSupported || m.kind === 'repeatable') return;
        // Flyway undo scripts are optional, written for the migrations a team chooses: a folder with
        // some `U…` files does not make the others incomplete.
        if (m.framework === 'flyway') return;
        const up = ctx.state.statements;
        // An empty up has nothing to reverse.
        if (up.length === 0) return;
        let problem: string;
        if (!m.down) problem = 'has no down script';
        else {
          const down = ctx.parse(m.down);
          if (down.statements.length > 0 || down.errors.length > 0) return;
          problem = m.down.file === m.up.file ? 'has an empty down section' : `has an empty down script (\`${m.down.file.relPath}\`)`;
        }
        // golang-migrate turns a missing down file into an empty migration; an empty down runs nothing anywhere.
        const silent = m.down !== undefined || m.framework === 'golang-migrate';
        const framework = FRAMEWORK_NAMES[m.framework] ?? m.framework;
        const rollback = ROLLBACK_COMMANDS[m.framework] ?? 'the framework\'s rollback';
        // Point at the first line of the first statement: the finding is about the whole migration.
        const first = up[0].viaDo ?? up[0];
        const newline = ctx.file.text.indexOf('\n', first.range.start);
        const lineEnd = newline < 0 ? first.range.end : Math.min(first.range.end, newline);
        const lastOnLine = first.tokens.filter((t) => t.end <= lineEnd).pop();
        ctx.report({
          stmt: first,
          range: { start: first.range.start, end: lastOnLine?.end ?? lineEnd },
          message: `Migration \`${m.up.file.relPath}\` ${problem}, although ${framework} runs down migrations to roll back.`,
          why:
            (silent
              ? `Rolling back past this version with ${rollback} runs nothing for it and records it as reverted while its changes stay in the database; `
              : `Rolling back past this version with ${rollback} either fails here or records it as reverted while its changes stay in the database; `) +
            'the next up then fails on objects that already exist, in the middle of an incident.',
          remedy:
            'Write the down script that undoes this migration: drop what it creates and restore what it changes, in reverse order. ' +
            "If it cannot be undone (it deletes data), make the down fail on purpose (`DO $$ BEGIN RAISE EXCEPTION 'irreversible: <why>'; END $$;`) so a rollback stops here instead of skipping it.",
          properties: { framework: m.framework, migration: m.name },
        });
      },
    };
  },
});
