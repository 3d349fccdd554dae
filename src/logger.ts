import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'iaphook' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: secrets never reach a log line even if a header object is logged.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-webhook-token"]', 'headers.authorization'],
    },
    destination,
  );
}
