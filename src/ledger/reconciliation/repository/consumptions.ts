import { eq } from 'drizzle-orm';
import { ledgerEntries } from '../../../../db/schema';
import type { Db } from '../../../storage/database';
import type { LedgerEntry } from '../../types';

export function findEntryByKey(db: Db, entryKey: string): LedgerEntry | undefined {
  return db.select().from(ledgerEntries).where(eq(ledgerEntries.entryKey, entryKey)).get();
}
