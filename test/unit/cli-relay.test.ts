import { Readable } from 'node:stream';
import { decodeTime } from 'ulid';
import { forwardedHeaders, resumeIdBefore } from '../../src/cli/relay';
import { sseMessages, type SseMessage } from '../../src/cli/sse';

describe('forwardedHeaders', () => {
  it.each<[string, Record<string, string | string[]>, Record<string, string | string[]>]>([
    ['the webhook key', { authorization: 'Bearer ****abcd', 'content-type': 'application/json' }, { 'content-type': 'application/json' }],
    ['an unmasked secret kept by a bin', { Authorization: 'Bearer whk_live_secret', 'X-Hub-Signature-256': 'sha256=aa', cookie: 'a=b' }, {}],
    ['per-hop headers', { host: 'iaphook.example.com', 'content-length': '12', connection: 'keep-alive', 'transfer-encoding': 'chunked' }, {}],
    [
      'the rest, repeated ones too',
      { 'user-agent': 'nachocode', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], 'x-iaphook-replay-of': 'req_1' },
      { 'user-agent': 'nachocode', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], 'x-iaphook-replay-of': 'req_1' },
    ],
    ['a forged request id', { 'x-iaphook-request-id': 'req_forged' }, {}],
  ])('when the stored headers hold %s, then the forwarded ones are right', (_name, stored, expected) => {
    expect(forwardedHeaders(stored, 'req_01KJMA0FM0JVW2JNA3KMP80M47')).toEqual({ ...expected, 'x-iaphook-request-id': 'req_01KJMA0FM0JVW2JNA3KMP80M47' });
  });
});

describe('resumeIdBefore', () => {
  it.each([0, 1, 5000])('when resuming %i ms before an id, then the id sorts before every id of that time', (ms) => {
    const id = 'req_01KJMA0FM0JVW2JNA3KMP80M47';
    const resume = resumeIdBefore(id, ms);
    expect(resume < id).toBe(true);
    expect(decodeTime(resume.slice(4))).toBe(decodeTime(id.slice(4)) - ms);
    expect(resume).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

describe('sseMessages', () => {
  const parse = async (chunks: string[]) => {
    const out: SseMessage[] = [];
    for await (const m of sseMessages(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(m);
    return out;
  };
  it.each<[string, string[], SseMessage[]]>([
    ['a message', ['id: 1\nevent: request\ndata: {"a":1}\n\n'], [{ id: '1', event: 'request', data: '{"a":1}' }]],
    ['a message cut across chunks, CRLF', ['id: 1\r\nev', 'ent: request\r\ndata: x\r', '\n\r\n'], [{ id: '1', event: 'request', data: 'x' }]],
    ['comments and a retry field', [': heartbeat\n\nretry: 2000\nevent: ready\ndata: {}\n\n'], [{ id: undefined, event: 'ready', data: '{}' }]],
    [
      'the last id kept for later messages',
      ['id: 7\ndata: a\n\ndata: b\n\n'],
      [
        { id: '7', event: 'message', data: 'a' },
        { id: '7', event: 'message', data: 'b' },
      ],
    ],
    ['a message cut by the end', ['data: a\n\ndata: b\n'], [{ id: undefined, event: 'message', data: 'a' }]],
  ])('when the stream holds %s, then the messages are right', async (_name, chunks, expected) => {
    expect(await parse(chunks)).toEqual(expected);
  });
});
