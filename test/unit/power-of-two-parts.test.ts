import { powerOfTwoParts } from '../../src/delivery/queue-rows';

describe('powerOfTwoParts', () => {
  it.each([
    [0, []],
    [1, [1]],
    [2, [2]],
    [3, [2, 1]],
    [13, [8, 4, 1]],
    [64, [64]],
    [127, [64, 32, 16, 8, 4, 2, 1]],
  ])('when %i rows are inserted, then they go in statements of %j rows', (n, parts) => {
    expect(powerOfTwoParts(n)).toEqual(parts);
    expect(parts.reduce((sum, p) => sum + p, 0)).toBe(n);
  });
});
