// eslint-disable-next-line @typescript-eslint/no-require-imports
const { needsBuild } = require('../../scripts/build-if-changed.cjs') as {
  needsBuild(facts: { stampMs: number | null; entryExists: boolean; newestInputMs: number }): { build: boolean; reason: string };
};

// npm start rebuilds only when the sources changed since the last successful build.

describe('needsBuild', () => {
  it.each([
    ['a fresh clone (no build yet)', { stampMs: null, entryExists: false, newestInputMs: 100 }, true, 'no successful build yet'],
    ['a build that failed before its stamp', { stampMs: null, entryExists: true, newestInputMs: 100 }, true, 'no successful build yet'],
    ['dist/ removed by hand after a build', { stampMs: 200, entryExists: false, newestInputMs: 100 }, true, 'dist/src/main.js is missing'],
    ['a source edited after the build', { stampMs: 200, entryExists: true, newestInputMs: 201 }, true, 'sources changed since the last build'],
    ['nothing changed since the build', { stampMs: 200, entryExists: true, newestInputMs: 150 }, false, 'dist is up to date'],
    ['an input as old as the stamp', { stampMs: 200, entryExists: true, newestInputMs: 200 }, false, 'dist is up to date'],
  ])('when %s, then build is %s', (_case, facts, build, reason) => {
    expect(needsBuild(facts)).toEqual({ build, reason });
  });
});
