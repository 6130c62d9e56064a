/** Public API: run checks programmatically and reuse the rule set. */
export { check, type CheckOptions, type CheckResult } from './check.js';
export { allRules, ruleById } from '../rules/index.js';
export { defineRule } from './core/rule.js';
export type { Rule, RuleMeta, MigrationRule, SchemaRule } from './core/rule.js';
export type { Finding, Notification, Severity } from './core/finding.js';
export { reporters } from './reporters/index.js';
export { configSchema } from './config/config.js';
