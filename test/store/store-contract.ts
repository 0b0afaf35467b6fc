// The contract every Store implementation passes (LMDB and PostgreSQL). It
// uses only the Store and UserTx interfaces: an implementation plugs in
// through a factory that opens a new, empty store per test. The tests live
// by topic in store-contract-*.ts; this file runs them in one suite.
//
// The assertions compare whole values (toStrictEqual on complete lists), so an
// extra key, a missing entry, a wrong order or a changed character all fail.

import { describe } from 'vitest';
import { describeFreeBusyContract } from './store-contract-free-busy.js';
import { describeHostileKeysContract } from './store-contract-hostile-keys.js';
import { describeObjectsContract } from './store-contract-objects.js';
import { describeOutboxJournalContract } from './store-contract-outbox.js';
import { describeRequestsContract } from './store-contract-requests.js';
import { describeRestartContract } from './store-contract-restart.js';
import { describeTransactContract } from './store-contract-transact.js';
import { openStorePerTest, type StoreContractFactory } from './store-per-test.js';

export type { StoreContractFactory } from './store-per-test.js';
export { userSnapshot } from './store-contract-fixtures.js';

export function describeStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract: ${name}`, () => {
    const perTest = openStorePerTest(factory);
    describeTransactContract(perTest);
    describeRestartContract(perTest);
    describeObjectsContract(perTest);
    describeFreeBusyContract(perTest);
    describeRequestsContract(perTest);
    describeOutboxJournalContract(perTest);
    describeHostileKeysContract(perTest);
  });
}
