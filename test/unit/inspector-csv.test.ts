import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, csvCell, csvLine, csvRecord } from '../../src/inspector/csv';
import type { RawRequestRow } from '../../src/inspector/repository';

describe('csvCell', () => {
  it.each<[string, string | number | null | undefined, string]>([
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['a number', 42.5, '42.5'],
    ['a negative number (ours, not a formula)', -3, '-3'],
    ['NaN', Number.NaN, ''],
    ['plain text', 'stored', 'stored'],
    ['text with a comma', 'a,b', '"a,b"'],
    ['text with quotes', 'say "hi"', '"say ""hi"""'],
    ['text with a newline', 'a\nb', '"a\nb"'],
    ['text with a CR', 'a\rb', '"a\rb"'],
    ['text with a leading space', ' a', '" a"'],
    ['a formula', '=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['text starting with +', '+1', "'+1"],
    ['text starting with -', '-cmd', "'-cmd"],
    ['text starting with @', '@SUM(A1)', "'@SUM(A1)"],
    ['text starting with a tab', '\tx', "'\tx"],
    ['a formula after a space', ' =1+1', "' =1+1"],
    ['a formula after spaces and tabs', ' \t=CMD()', "' \t=CMD()"],
    ['a formula after a newline', '\n=HYPERLINK("x")', `"'\n=HYPERLINK(""x"")"`],
    ['a formula after a CRLF', '\r\n+1', `"'\r\n+1"`],
    ['@ after a no-break space', '\u00a0@SUM(A1)', "'\u00a0@SUM(A1)"],
    ['- after a byte order mark', '\ufeff-2', "'\ufeff-2"],
    ['a full-width equals sign', '\uff1dSUM(A1)', "'\uff1dSUM(A1)"],
    ['text after a space', ' a=1', '" a=1"'],
  ])('when the value is %s, then the cell is escaped for a spreadsheet', (_name, value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('when a line is written, then it ends with CRLF (RFC 4180)', () => {
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n');
  });
});

describe('csvRecord', () => {
  const row = (overrides: Partial<RawRequestRow>): RawRequestRow => ({
    id: 'req_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    receivedAt: Date.UTC(2026, 2, 2, 8, 15, 10),
    method: 'POST',
    path: '/webhooks/nachocode/purchase',
    query: null,
    headers: '{"authorization":"Bearer ****abcd","content-type":"application/json"}',
    body: Buffer.from('{"a":"x,y\\n"}'),
    bodySize: 13,
    bodySha256: null,
    contentType: 'application/json',
    remoteAddr: '127.0.0.1',
    requestId: 'r-1',
    keyFingerprint: 'abc123',
    status: 200,
    outcome: 'stored',
    reason: null,
    response: '{}',
    durationMs: 1.23456,
    eventId: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    source: 'webhook',
    binId: null,
    ...overrides,
  });
  const parsed = (r: RawRequestRow) => parse(csvLine([...CSV_COLUMNS]) + csvRecord(r), { columns: true }) as Array<Record<string, string>>;

  it.each<[string, Partial<RawRequestRow>, Record<string, string>]>([
    ['a UTF-8 body', {}, { body_encoding: 'utf8', body: '{"a":"x,y\\n"}', duration_ms: '1.23', received_at: '2026-03-02T08:15:10.000Z' }],
    ['a body that is not UTF-8', { body: Buffer.from([0xff, 0x00, 0x41]) }, { body_encoding: 'base64', body: '/wBB' }],
    ['no body', { body: null }, { body_encoding: '', body: '' }],
    ['masked headers', {}, { headers: '{"authorization":"Bearer ****abcd","content-type":"application/json"}' }],
  ])('when the request has %s, then a CSV parser reads it back', (_name, overrides, expected) => {
    const [record] = parsed(row(overrides));
    expect(record).toMatchObject(expected);
    expect(Object.keys(record)).toEqual([...CSV_COLUMNS]);
  });
});
