/**
 * Kysely migrations: translated by src/migrations/ts/tools/kysely.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { kyselyTool } from '../ts/tools/kysely.js';
import { tsToolAdapter } from './ts-tool.js';

export const kyselyAdapter = tsToolAdapter(kyselyTool);
