/**
 * Knex migrations: translated by src/migrations/ts/tools/knex.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { knexTool } from '../ts/tools/knex.js';
import { tsToolAdapter } from './ts-tool.js';

export const knexAdapter = tsToolAdapter(knexTool);
