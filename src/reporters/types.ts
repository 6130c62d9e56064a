import type { CheckResult } from '../check.js';

export interface ReportContext {
  /** ANSI colors: only on a TTY and never with NO_COLOR (decided by the CLI). */
  color: boolean;
  toolVersion: string;
}

/** A reporter is a pure function of the result: same input, byte-identical output. */
export type Reporter = (result: CheckResult, ctx: ReportContext) => string;
