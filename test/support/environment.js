// Node test environment that fails a test file which leaves a delivery worker running: a leaked
// worker keeps timers alive into the next file and hides shutdown bugs. The check runs after every
// afterAll hook of the file (a setup-file afterAll would run before the file's own hooks).
const { TestEnvironment } = require('jest-environment-node');

const PROBE = Symbol.for('iaphook.runningWorkers');

class WorkerLeakEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    if (event.name !== 'run_finish') return;
    const probe = this.global[PROBE];
    const running = typeof probe === 'function' ? probe() : [];
    if (running.length > 0) {
      state.unhandledErrors.push(new Error(`test file left delivery workers running: ${running.join(', ')}; stop them in afterEach/afterAll`));
    }
  }
}

module.exports = WorkerLeakEnvironment;
