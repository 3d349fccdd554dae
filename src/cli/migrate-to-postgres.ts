import fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import type { TableName } from '../storage/transfer';

// `iaphook migrate-to-postgres --from ./data/iaphook.db --to postgres://…`: moves an embedded
// install to PostgreSQL without losing anything (events, ledger, raw requests, anomalies, projects,
// feedback and issues, subscriptions with their secrets, deliveries with their attempt logs, and
// pending jobs, which the PostgreSQL instances then run). Stop iaphook first so nothing arrives
// after the copy; the copy itself reads a consistent snapshot either way.

function postgresUrl(value: string): string {
  if (!/^postgres(ql)?:\/\/\S+$/.test(value)) throw new InvalidArgumentError('expected a PostgreSQL URL such as postgres://user:password@host:5432/iaphook');
  return value;
}

const redact = (url: string) => url.replace(/(:\/\/[^:/@]+:)[^@]*@/, '$1***@');

export function migrateToPostgresCommand(): Command {
  const command: Command = new Command('migrate-to-postgres')
    .summary('copy a SQLite install into an empty PostgreSQL database')
    .description('Copy an iaphook SQLite database into a new, empty PostgreSQL database (migrations applied first).')
    .requiredOption('--from <file>', 'the SQLite database (DATABASE_PATH, ./data/iaphook.db by default)')
    .requiredOption('--to <url>', 'the PostgreSQL database, empty (it gets the schema first)', postgresUrl)
    .option('--no-progress', 'no progress bar')
    .action(async (options: { from: string; to: string; progress: boolean }) => {
      if (!fs.existsSync(options.from)) command.error(`no SQLite database at ${options.from}`);
      const bar =
        options.progress && process.stderr.isTTY
          ? new SingleBar({ format: 'copying {bar} {percentage}% | {value}/{total} rows | {table}', hideCursor: true, stream: process.stderr })
          : null;
      // Loaded here: the other commands (and --help) need none of the storage code.
      const { TABLES, TargetNotEmptyError, transferToPostgres } = await import('../storage/transfer');
      const done = new Map<TableName, number>();
      let total = 0;
      try {
        const counts = await transferToPostgres(options.from, options.to, {
          onPlan: (plan) => {
            total = Object.values(plan).reduce((a, b) => a + b, 0);
            bar?.start(Math.max(1, total), 0, { table: '' });
          },
          onRows: (table, copied) => {
            done.set(table, copied);
            bar?.update(
              [...done.values()].reduce((a, b) => a + b, 0),
              { table },
            );
          },
        });
        bar?.stop();
        const lines = TABLES.filter((t) => counts[t] > 0).map((t) => `  ${t.padEnd(18)} ${counts[t].toLocaleString('en')}`);
        process.stdout.write(`Copied ${total.toLocaleString('en')} rows from ${options.from} to ${redact(options.to)}:\n${lines.join('\n')}\n`);
        process.stdout.write(`Start iaphook with DATABASE_URL=${redact(options.to)} (and the same NACHOCODE_WEBHOOK_KEYS and JWT_SECRET).\n`);
      } catch (error) {
        bar?.stop();
        const known = error instanceof TargetNotEmptyError || typeof (error as NodeJS.ErrnoException).code === 'string';
        process.stderr.write(`migrate-to-postgres: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
        process.exitCode = 2;
      }
    });
  return command;
}
