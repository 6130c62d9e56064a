/**
 * `plumbline.config.json`: data, never code. Validated with ajv against a JSON Schema that is generated
 * from the rules' metadata (and shipped as `schema/plumbline.config.schema.json`).
 */
import type { CustomEntry } from '../code/catalogue/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Severity } from '../core/finding.js';
import type { Rule } from '../core/rule.js';
import type { ResolvedRule } from '../engine/migrations.js';
import { FRAMEWORKS, type FrameworkId } from '../migrations/model.js';

export const CONFIG_FILE = 'plumbline.config.json';
export const DEFAULT_PG_VERSION = 16;

export type RuleSetting = 'off' | Severity | [Severity | 'off', Record<string, unknown>?];

export interface PlumblineConfig {
  $schema?: string;
  /** `recommended` (default), `strict` (every rule that is not experimental) or `all`. */
  preset?: 'recommended' | 'strict' | 'all';
  /** The PostgreSQL major version the migrations run on. */
  pgVersion?: number;
  /** Paths to analyse when none are given on the command line. */
  paths?: string[];
  migrations?: Array<{ path: string; framework?: FrameworkId; transactional?: boolean }>;
  assumeInTransaction?: boolean;
  ignore?: string[];
  rules?: Record<string, RuleSetting>;
  /**
   * The code analyzer's API catalogue, extended: your own wrappers by the name they are called with
   * (`"myHttp.get": { "effect": "http", "timeoutOption": "timeoutMs" }`, `"EventBus.publish": { "effect": "publish" }`).
   */
  catalogue?: Record<string, CustomEntry>;
}

export class ConfigError extends Error {}

/** The JSON Schema of the configuration file, with one property per rule and its options. */
export function configSchema(rules: Rule[]): Record<string, unknown> {
  // `type` makes a wrong kind of value fail one `oneOf` branch early, so error messages name only the other.
  const severity = { type: 'string', enum: ['off', 'error', 'warning', 'note'] };
  const ruleProperties: Record<string, unknown> = {};
  for (const rule of rules) {
    const options = rule.meta.options ?? { type: 'object', properties: {}, additionalProperties: false };
    ruleProperties[rule.id] = {
      description: rule.meta.description,
      oneOf: [
        severity,
        { type: 'array', prefixItems: [severity, options], minItems: 1, maxItems: 2, items: false },
      ],
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://plumbline.dev/schema/plumbline.config.schema.json',
    title: 'Plumbline configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      preset: { enum: ['recommended', 'strict', 'all'], default: 'recommended' },
      pgVersion: { type: 'integer', minimum: 11, maximum: 19, default: DEFAULT_PG_VERSION },
      paths: { type: 'array', items: { type: 'string', minLength: 1 } },
      migrations: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string', minLength: 1 },
            framework: { enum: FRAMEWORKS },
            transactional: { type: 'boolean' },
          },
        },
      },
      assumeInTransaction: { type: 'boolean' },
      ignore: { type: 'array', items: { type: 'string', minLength: 1 } },
      rules: { type: 'object', additionalProperties: false, properties: ruleProperties },
      catalogue: {
        description: 'Your own wrappers for the code analyzer, keyed by the name they are called with: `myHttp.get`, `EventBus.publish` (`*` matches any one name).',
        type: 'object',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['effect'],
          properties: {
            effect: { enum: ['http', 'publish', 'payment', 'db.read', 'db.write', 'outbox', 'idempotency', 'dedupe', 'none'] },
            timeoutOption: { type: 'string', minLength: 1, description: 'Option key that bounds the call; without it the wrapper is taken to bound its calls itself.' },
            idempotencyOption: { type: 'string', minLength: 1 },
            method: { type: 'string', minLength: 1 },
            table: { type: 'string', minLength: 1 },
          },
        },
      },
    },
  };
}

let compiled: { rules: Rule[]; validate: ValidateFunction } | undefined;

function validator(rules: Rule[]): ValidateFunction {
  if (compiled?.rules !== rules) {
    // The 2020-12 meta-schema is not needed at run time: `strict: false` lets ajv accept `$schema`.
    // Loaded lazily: most CI runs have no config file, and ajv costs ~50 ms to import.
    // The schema is draft 2020-12 (`prefixItems`): the default draft-07 Ajv class cannot compile it.
    const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    compiled = { rules, validate: ajv.compile(configSchema(rules)) };
  }
  return compiled.validate;
}

/** `/rules/x/1` → `rules.x[1]`, `/migrations/0/framework` → `migrations[0].framework`. */
function jsonPath(instancePath: string): string {
  if (instancePath === '') return '(top level)';
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/**
 * Drops the errors of `oneOf` branches that do not apply: a branch whose `type` does not match the
 * value (a severity string vs. the `[severity, options]` array) only adds noise.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const mismatched = errors
    .filter((e) => e.keyword === 'type' && /\/oneOf\/\d+\/type$/.test(e.schemaPath))
    .map((e) => ({ path: e.instancePath, branch: e.schemaPath.slice(0, -'type'.length) }));
  return errors.filter(
    (e) =>
      e.keyword !== 'oneOf' &&
      e.keyword !== 'if' &&
      !mismatched.some((m) => e.schemaPath.startsWith(m.branch) && e.instancePath.startsWith(m.path)),
  );
}

function describeError(e: ErrorObject): string {
  const where = jsonPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const name = (e.params as { additionalProperty: string }).additionalProperty;
    if (e.instancePath === '/rules') return `rules: unknown rule \`${name}\` (run \`plumbline rules\` to list them)`;
    if (/^\/rules\/[^/]+\/1$/.test(e.instancePath)) return `${where}: unknown option \`${name}\``;
    return `${where}: unknown property \`${name}\``;
  }
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${e.message}`;
}

export function validateConfig(value: unknown, rules: Rule[], source: string): PlumblineConfig {
  const validate = validator(rules);
  if (!validate(value)) {
    const errors = relevantErrors(validate.errors ?? []);
    const lines = [...new Set(errors.map(describeError))];
    throw new ConfigError(`Invalid configuration in ${source}:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
  }
  return value as PlumblineConfig;
}

/** Loads the given file, or `plumbline.config.json` in the root when it exists, or an empty config. */
export function loadConfig(root: string, explicit: string | undefined, rules: Rule[]): { config: PlumblineConfig; path?: string } {
  const file = explicit ? path.resolve(root, explicit) : path.join(root, CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError(`Configuration file not found: ${explicit}`);
    return { config: {} };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read configuration ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path.relative(root, file) || file} is not valid JSON: ${(error as Error).message}`);
  }
  return { config: validateConfig(json, rules, path.relative(root, file) || file), path: file };
}

export interface RuleOverrides {
  /** `--rule ID`: enable (at its default severity) even when the preset leaves it off. */
  enable?: string[];
  /** `--disable-rule ID`. */
  disable?: string[];
}

/** Which rules run, at which severity, with which options. */
export function resolveRules(rules: Rule[], config: PlumblineConfig, overrides: RuleOverrides = {}): ResolvedRule[] {
  const known = new Set(rules.map((r) => r.id));
  for (const id of [...(overrides.enable ?? []), ...(overrides.disable ?? [])]) {
    if (!known.has(id)) throw new ConfigError(`Unknown rule \`${id}\`. Run \`plumbline rules\` to list them.`);
  }
  const preset = config.preset ?? 'recommended';
  const out: ResolvedRule[] = [];
  for (const rule of rules) {
    let on = preset === 'all' || (preset === 'strict' ? !rule.meta.experimental : rule.meta.recommended && !rule.meta.experimental);
    let severity: Severity = rule.meta.severity;
    let options: Record<string, unknown> = {};
    const setting = config.rules?.[rule.id];
    if (setting !== undefined) {
      const [level, opts] = Array.isArray(setting) ? setting : [setting, undefined];
      on = level !== 'off';
      if (level !== 'off') severity = level;
      if (opts) options = opts;
    }
    if (overrides.enable?.includes(rule.id)) on = true;
    if (overrides.disable?.includes(rule.id)) on = false;
    if (on) out.push({ rule, severity, options });
  }
  return out;
}
