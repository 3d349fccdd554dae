import { eq } from 'drizzle-orm';
import { ledgerEntries } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';
import type { LedgerEntry } from '../types';

export function findEntryByKey(db: Db, entryKey: string): LedgerEntry | undefined {
  return db.select().from(ledgerEntries).where(eq(ledgerEntries.entryKey, entryKey)).get();
}
