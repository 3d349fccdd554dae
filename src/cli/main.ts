#!/usr/bin/env node
import { Command } from 'commander';
import { defaultUserAgent } from '../outbound/version';
import { listenCommand } from './listen';
import { migrateToPostgresCommand } from './migrate-to-postgres';
import { reconcileCommand } from './reconcile';
import { replayCommand } from './replay';
import { sendCommand } from './send';
import { tokenCommand } from './token';

// The `iaphook` command (package.json "bin"): one file per command beside this one. The server
// itself is `npm start` (dist/src/main.js).

export function cliProgram(): Command {
  return new Command('iaphook')
    .description('Tools for iaphook: tokens, sample webhooks, replays, reconciliation, a local relay and the move to PostgreSQL.')
    .version(defaultUserAgent().replace(/^iaphook\//, ''))
    .addCommand(tokenCommand())
    .addCommand(sendCommand())
    .addCommand(replayCommand())
    .addCommand(reconcileCommand())
    .addCommand(listenCommand())
    .addCommand(migrateToPostgresCommand())
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Runs one command line (the words after `iaphook`). */
export function runCli(argv: string[]): Promise<Command> {
  return cliProgram().parseAsync(argv, { from: 'user' });
}

if (require.main === module) void runCli(process.argv.slice(2));
