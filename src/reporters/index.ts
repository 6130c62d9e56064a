import { jsonReporter } from './json.js';
import { textReporter } from './text.js';
import type { Reporter } from './types.js';

export const reporters: Record<string, Reporter> = {
  text: textReporter,
  json: jsonReporter,
};

export type { Reporter, ReportContext } from './types.js';
