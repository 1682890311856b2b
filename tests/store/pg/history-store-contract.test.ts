// The PostgreSQL store passes the shared HistoryStore contract (tests/history/store-contract.ts).
import { createPgHistoryStore } from '../../../src/store/pg/history-store.js';
import { describeHistoryStoreContract } from '../../history/store-contract.js';
import { createMigratedDatabase } from '../../pg/store.js';

describeHistoryStoreContract('PostgreSQL', async () => {
  const db = await createMigratedDatabase();
  return {
    create: () => createPgHistoryStore({ pool: db.pool(), url: db.url, replicaId: 'replica-a' }),
    destroy: () => db.destroy(),
    stamp: (run) => ({ ...run, replica: 'replica-a' }),
  };
});
