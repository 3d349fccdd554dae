import { runningWorkers } from '../../src/delivery';

// Read by test/support/environment.js once every hook of the file has run.
(globalThis as Record<symbol, unknown>)[Symbol.for('iaphook.runningWorkers')] = runningWorkers;
