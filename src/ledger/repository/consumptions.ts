import type { Queryable } from '../../storage/port';
import { sql } from '../../storage/sql';
import type { LedgerEntry } from '../types';
import { ENTRY_COLUMNS } from './entries';

export function findEntryByKey(db: Queryable, entryKey: string): Promise<LedgerEntry | undefined> {
  return db.get<LedgerEntry>(sql`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE entry_key = ${entryKey}`);
}
