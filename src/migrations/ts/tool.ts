/** What each TypeScript migration tool tells the shared adapter (src/migrations/frameworks/ts-tool.ts). */
import type { ts } from 'ts-morph';
import type { FrameworkId } from '../model.js';
import type { CallContext, FnLike, ModuleShape, Translator } from './extract.js';

export interface ToolFile {
  /** File name without extension. */
  stem: string;
  sf: ts.SourceFile;
  shape: ModuleShape;
}

export interface TransactionMode {
  wrapped: boolean;
  reason: string;
}

export interface ToolSpec {
  id: FrameworkId;
  /** Display name: `TypeORM`, `Knex`… */
  name: string;
  /** Why a folder was recognised, for `MigrationSet.detectedBy`. */
  detectedBy: string;
  /** Cheap test on the file text, before it is parsed. */
  matches(text: string): boolean;
  /** Confirms on the parsed file (an `up` of the right shape). */
  confirm(file: ToolFile): boolean;
  /** Prepares the walk of `up` or `down`: registers receivers, returns the translator. */
  translator(file: ToolFile, fn: FnLike, cx: CallContext): Translator;
  /** Transaction mode of a script, from the file and what the walk of that script found. */
  transaction(file: ToolFile, direction: 'up' | 'down', cx: CallContext): TransactionMode;
  /** Version of a migration (shown, and compared for duplicates). */
  version(file: ToolFile): string;
  /** The tool's order of two migrations. */
  compare(a: ToolFile, b: ToolFile): number;
  /** Two migrations the tool refuses to have together (same timestamp). */
  sameVersion?(a: ToolFile, b: ToolFile): boolean;
  /**
   * The down script when the file has none but the tool infers one (node-pg-migrate reverses `up`).
   * Returns the inferred statements; undefined when the tool itself cannot infer a down (the migration
   * has none); `unknown` when Plumbline cannot tell (an operation it does not translate).
   */
  inferDown?(file: ToolFile, up: CallContext): CallContext | 'unknown' | undefined;
}
