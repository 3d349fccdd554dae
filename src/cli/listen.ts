import { Command, Option } from 'commander';
import { OUTCOMES } from '../inspector/filters';
import { httpUrl, outcomesOption, serverTarget, tokenOption } from './common';
import { Relay, RelayRefused } from './relay';

// `iaphook listen --url https://iaphook.example.com --token … --forward-to http://localhost:4000/webhooks`:
// nachocode reaches the public iaphook; this relays what it receives to a developer's machine.

interface Options {
  url?: string;
  token?: string;
  forwardTo: string;
  path?: string;
  outcome?: string[];
}

export function listenCommand(): Command {
  const command: Command = new Command('listen')
    .summary('relay what a remote iaphook receives to a local URL')
    .description(
      'Forward every request a (remote) iaphook receives to a local URL, as it arrives: the exact body, its content type\n' +
        'and headers, never the webhook key or other secret-looking headers, plus x-iaphook-request-id. One line per request.\n' +
        "Follows the inspector's live stream; after a disconnect it resumes where it stopped, without gaps or repeats.",
    )
    .addOption(new Option('--url <url>', 'the iaphook to follow (default: http://127.0.0.1:$PORT)').argParser(httpUrl))
    .addOption(tokenOption())
    .requiredOption('--forward-to <url>', 'where each request is sent (e.g. http://localhost:4000/webhooks)', httpUrl)
    .option('--path <prefix>', 'only requests whose path starts with this (e.g. /webhooks/nachocode)')
    .addOption(new Option('--outcome <list>', `only these outcomes: ${OUTCOMES.join(', ')}`).argParser(outcomesOption))
    .action(async (options: Options) => {
      const target = serverTarget(command, options, 'listen-cli');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const relay = new Relay({
        base: target.base,
        token: target.token,
        forwardTo: options.forwardTo,
        filter: { path: options.path, outcome: options.outcome },
        print: (line) => process.stdout.write(`${line}\n`),
        signal: stop.signal,
      });
      try {
        await relay.run();
      } catch (error) {
        if (error instanceof RelayRefused) command.error(`listen: ${error.message}`);
        throw error;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  return command;
}
