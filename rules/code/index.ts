/** The code rules (TypeScript handlers, consumers and the functions they reach): one file per rule. */
import type { CodeRule } from '../../src/core/rule.js';
import noQueryInLoop from './no-query-in-loop.js';
import noDualWrite from './no-dual-write.js';
import noLostUpdate from './no-lost-update.js';
import requireConsumerDedupe from './require-consumer-dedupe.js';
import requireIdempotencyKey from './require-idempotency-key.js';
import requireTransaction from './require-transaction.js';
import noUnboundedSelect from './no-unbounded-select.js';
import noProcessLocalState from './no-process-local-state.js';
import noSqlInjection from './no-sql-injection.js';
import requireTimeout from './require-timeout.js';
import requirePaymentIdempotencyKey from './require-payment-idempotency-key.js';
import requireClientRelease from './require-client-release.js';
import noPoolPerRequest from './no-pool-per-request.js';
import requireBackoff from './require-backoff.js';
import noRetryNonIdempotent from './no-retry-non-idempotent.js';
import noUnindexedQuery from './no-unindexed-query.js';

export const codeRules: CodeRule[] = [noDualWrite, noLostUpdate, noPoolPerRequest, noProcessLocalState, noQueryInLoop, noRetryNonIdempotent, noSqlInjection, noUnboundedSelect, noUnindexedQuery, requireBackoff, requireClientRelease, requireConsumerDedupe, requireIdempotencyKey, requirePaymentIdempotencyKey, requireTimeout, requireTransaction];
