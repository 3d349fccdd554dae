import { urlForTarget } from '../../src/inspector/sender/send';

// --url: a bare server address means its webhook routes; anything with a path is used as given.

describe('urlForTarget', () => {
  it.each([
    ['http://127.0.0.1:3000', 'purchase', 'http://127.0.0.1:3000/webhooks/nachocode/purchase'],
    ['http://127.0.0.1:3000/', 'refund', 'http://127.0.0.1:3000/webhooks/nachocode/refund'],
    ['https://iaphook.example.com', 'auto', 'https://iaphook.example.com/webhooks/nachocode'],
    ['http://127.0.0.1:3000/bins/bin_01KJ', 'purchase', 'http://127.0.0.1:3000/bins/bin_01KJ'],
    ['http://127.0.0.1:3000/webhooks/nachocode/purchase', 'refund', 'http://127.0.0.1:3000/webhooks/nachocode/purchase'],
    ['http://127.0.0.1:3000/?probe=1', 'purchase', 'http://127.0.0.1:3000/?probe=1'],
  ] as const)('when --url is %s and a %s is sent, then it goes to %s', (target, route, expected) => {
    expect(urlForTarget(target)(route)).toBe(expected);
  });
});
