import fs from 'node:fs';
import path from 'node:path';
import { NACHOCODE_EXAMPLES } from '../../src/inspector/sender/examples';
import { EXAMPLE_EVENTS } from '../../src/outbound/examples';
import { EVENT_TYPES } from '../../src/outbound/types';

// The examples `iaphook send --example` and the test events send are the documented ones.

const fixture = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', ...parts), 'utf8')) as unknown;

describe('documented examples', () => {
  it.each([
    ['purchase', 'purchase.ios.json'],
    ['refund', 'refund.android.json'],
    ['unavailable-users', 'unavailable-users.json'],
  ] as const)('when --example %s is sent, then the body is %s', (name, file) => {
    expect(NACHOCODE_EXAMPLES[name]).toEqual(fixture('nachocode', file));
  });

  it("when the purchase example is sent, then it is the README's curl purchase", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const curl = /-d '(\{"userId":"user-7f3a"[\s\S]*?\})'/.exec(readme);
    expect(JSON.parse(curl![1].replace(/\n\s*/g, ''))).toEqual(NACHOCODE_EXAMPLES.purchase);
  });

  it.each(EVENT_TYPES.filter((t) => t !== 'ISSUE_ADDITION' && t !== 'entitlement.updated'))(
    "when a %s test event is sent, then it is the documented example with ABC's real status",
    (type) => {
      const documented = JSON.stringify(fixture('abc', `${type.toLowerCase().replace(/_/g, '-')}.json`)).replace(/"OPEN"/g, '"INIT"');
      expect(EXAMPLE_EVENTS[type]).toEqual(JSON.parse(documented));
    },
  );

  it("when an entitlement.updated test event is sent, then it is the README's example body", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const shown = /```json\n(\{\n {2}"type": "entitlement.updated"[\s\S]*?\n\})\n```/.exec(readme);
    const body = JSON.parse(shown![1].replace(/…/g, '0000000000000000000000')) as { type: string; data: unknown };
    expect(EXAMPLE_EVENTS['entitlement.updated']).toEqual({ event: body.type, data: body.data });
  });

  it("when an ISSUE_ADDITION test event is sent, then it has the shape ABC's server sends", () => {
    expect(EXAMPLE_EVENTS.ISSUE_ADDITION).toEqual(fixture('abc', 'as-sent', 'issue-addition.json'));
  });
});
