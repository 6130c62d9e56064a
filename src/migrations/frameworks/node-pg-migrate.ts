/**
 * node-pg-migrate migrations: translated by src/migrations/ts/tools/node-pg-migrate.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { nodePgMigrateTool } from '../ts/tools/node-pg-migrate.js';
import { tsToolAdapter } from './ts-tool.js';

export const nodePgMigrateAdapter = tsToolAdapter(nodePgMigrateTool);
