import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { isMediaType } from '../../src/inspector/media-type';

// A bin's content type is checked as a media type, so that every value accepted can be answered
// with: Express adds a charset through a parser that throws on anything else (a 500 per capture).

describe('isMediaType', () => {
  it.each([
    'application/json',
    'text/plain; charset=utf-8',
    'text/javascript',
    'application/vnd.api+json',
    'text/plain;charset=UTF-8',
    'text/plain ; format=flowed',
    'multipart/form-data; boundary="a b;c"',
    'text/plain; a="quoted \\" quote"',
  ])('when the type is %p, then it is accepted', (value) => {
    expect(isMediaType(value)).toBe(true);
  });

  it.each([
    ['a control character', 'text/plain\u0001'],
    ['a control character in a parameter', 'text/plain; charset=utf-8\u0001'],
    ['a newline', 'text/plain\r\nX-Injected: 1'],
    ['a tab in a quoted value', 'text/plain; a="\t"'],
    ['a dangling semicolon', 'text/plain;'],
    ['a parameter without a value', 'text/plain; charset'],
    ['no subtype', 'text'],
    ['a space in the type', 'text /plain'],
    ['non-ASCII', 'text/plaın'],
    ['an unclosed quote', 'text/plain; a="x'],
    ['empty', ''],
    ['too long', `text/${'x'.repeat(200)}`],
  ])('when the type has %s, then it is refused', (_name, value) => {
    expect(isMediaType(value)).toBe(false);
  });

  it('when any accepted type is answered through Express, then the answer carries it (never a 500)', async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.type(String(req.query.t)).send('x');
    });
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}$/);
    const value = fc.oneof(token, fc.stringMatching(/^"[ !#-[\]-~]{0,6}"$/));
    const mediaType = fc
      .tuple(token, token, fc.array(fc.tuple(fc.constantFrom('', ' '), token, value), { maxLength: 3 }))
      .map(([type, sub, params]) => `${type}/${sub}${params.map(([sp, k, v]) => `${sp};${sp}${k}=${v}`).join('')}`);
    await fc.assert(
      fc.asyncProperty(mediaType, async (t) => {
        fc.pre(isMediaType(t));
        const res = await request(app).get('/').query({ t });
        expect(res.status).toBe(200);
      }),
      { numRuns: 200 },
    );
  });
});
