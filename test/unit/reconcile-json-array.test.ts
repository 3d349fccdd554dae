import { JsonArraySplitter } from '../../src/reconciliation/json-array';

/** Feeds the text in chunks of `size` characters, as a stream would, and collects every row. */
function split(text: string, size = text.length) {
  const splitter = new JsonArraySplitter();
  const rows = [];
  for (let at = 0; at < text.length; at += size) rows.push(...splitter.push(text.slice(at, at + size)));
  rows.push(...splitter.end());
  return rows;
}

describe('JsonArraySplitter', () => {
  it.each([
    [
      'an array of objects',
      '[{"a":1},{"b":2}]',
      [
        { line: 1, body: { a: 1 } },
        { line: 1, body: { b: 2 } },
      ],
    ],
    [
      'one element per line, with a BOM',
      '\uFEFF[\n  {"a":1},\n  {"b":[1,2]}\n]\n',
      [
        { line: 2, body: { a: 1 } },
        { line: 3, body: { b: [1, 2] } },
      ],
    ],
    ['brackets, braces and commas inside strings', '[{"s":"a,]}[{\\"x"}]', [{ line: 1, body: { s: 'a,]}[{"x' } }]],
    [
      'scalars and nested arrays are elements too',
      '[1, "x", [2]]',
      [
        { line: 1, body: 1 },
        { line: 1, body: 'x' },
        { line: 1, body: [2] },
      ],
    ],
    ['an empty array', ' [ ] ', []],
  ])('when the file is %s, then each element is one row', (_case, text, rows) => {
    expect(split(text)).toEqual(rows);
    // The same rows whatever the chunks: an element cut between two reads is put back together.
    expect(split(text, 1)).toEqual(rows);
    expect(split(text, 3)).toEqual(rows);
  });

  it.each([
    [
      'an element is not JSON',
      '[{"a":1},\n{"b":},\n{"c":3}]',
      [
        { line: 1, body: { a: 1 } },
        { line: 2, error: expect.stringMatching(/^not valid JSON/) },
        { line: 3, body: { c: 3 } },
      ],
    ],
    [
      'the array is not closed',
      '[{"a":1},\n{"b":',
      [
        { line: 1, body: { a: 1 } },
        { line: 2, error: expect.stringContaining('not closed') },
      ],
    ],
    [
      'text follows the array',
      '[{"a":1}]\n{"b":2}\n{"c":3}',
      [
        { line: 1, body: { a: 1 } },
        { line: 2, error: expect.stringContaining('after the closing ]') },
      ],
    ],
    ['the file is not an array', '{"a":1}', [{ line: 1, error: expect.stringContaining('not a JSON array') }]],
  ])('when %s, then that is one unreadable row with its line and the rest is still read', (_case, text, rows) => {
    expect(split(text)).toEqual(rows);
    expect(split(text, 2)).toEqual(rows);
  });
});
