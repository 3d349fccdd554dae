import { classifyShape, expectedType, type ReceiverRoute } from '../../src/nachocode/classify';
import type { EventType } from '../../src/nachocode/schemas';
import { nacho, type Json } from '../support/fixtures';

const without = (body: Json, ...keys: string[]): Json => {
  const copy = { ...body };
  for (const key of keys) delete copy[key];
  return copy;
};

describe('classifyShape', () => {
  it.each<[string, EventType, () => unknown]>([
    ['an iOS purchase fixture', 'purchase', () => nacho.purchaseIos()],
    ['an Android purchase fixture', 'purchase', () => nacho.purchaseAndroid()],
    ['a multi-quantity iOS purchase fixture', 'purchase', () => nacho.purchaseIosMulti()],
    ['an Android refund fixture', 'refund', () => nacho.refundAndroid()],
    ['a partial iOS refund fixture', 'refund', () => nacho.refundIosPartial()],
    ['the unavailable-users fixture', 'unavailable_users', () => nacho.unavailableUsers()],
  ])('when the body is %s, then it is classified as %s', (_name, type, body) => {
    expect(classifyShape(body())).toBe(type);
  });

  it.each<[string, EventType, () => Json]>([
    ['a purchase with only refundQuantity added', 'refund', () => nacho.purchaseIos({ refundQuantity: 1 })],
    ['a purchase with only refundedAt added', 'refund', () => nacho.purchaseIos({ refundedAt: '2026-03-05T13:40:12.900Z' })],
    ['a refund with both refund fields', 'refund', () => nacho.refundAndroid()],
    ['a refund with refundQuantity only (no refundedAt)', 'refund', () => without(nacho.refundAndroid(), 'refundedAt')],
    ['a refund with refundedAt only (no refundQuantity)', 'refund', () => without(nacho.refundAndroid(), 'refundQuantity')],
    ['a refund with a null refundQuantity (key present)', 'refund', () => nacho.refundAndroid({ refundQuantity: null })],
    ['a refund with neither refund field', 'purchase', () => without(nacho.refundAndroid(), 'refundQuantity', 'refundedAt')],
  ])('when the body is %s, then it is classified as %s', (_name, type, body) => {
    expect(classifyShape(body())).toBe(type);
  });

  it.each<[string, unknown]>([
    ['only tokenNotFoundUserIds', { tokenNotFoundUserIds: ['user-1'] }],
    ['only tokenInvalidUserIds', { tokenInvalidUserIds: ['user-1'] }],
    ['both lists', { tokenNotFoundUserIds: ['user-1'], tokenInvalidUserIds: ['user-2'] }],
    ['an empty tokenNotFoundUserIds list', { tokenNotFoundUserIds: [] }],
    ['a list key next to refund fields', nacho.refundAndroid({ tokenInvalidUserIds: ['user-1'] })],
    ['a list key next to purchase fields', nacho.purchaseIos({ tokenNotFoundUserIds: ['user-1'] })],
  ])('when the body has %s, then it is unavailable_users', (_name, body) => {
    expect(classifyShape(body)).toBe('unavailable_users');
  });

  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['an object with unrelated keys', { hello: 'world' }],
    ['an object with a null prototype', Object.assign(Object.create(null) as object, { userId: 'u' })],
  ])('when the body is %s, then it falls back to purchase', (_name, body) => {
    expect(classifyShape(body)).toBe('purchase');
  });

  it('when refund keys are only inherited (not own properties), then they do not make it a refund', () => {
    const body = Object.create({ refundQuantity: 1, refundedAt: '2026-03-05T13:40:12.900Z' }) as object;
    expect(classifyShape(body)).toBe('purchase');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['an array', []],
    ['an array of fixtures', [nacho.purchaseIos()]],
    ['a string', '{"userId":"u"}'],
    ['a number', 42],
    ['a boolean', true],
  ])('when the body is %s, then it is null', (_name, body) => {
    expect(classifyShape(body)).toBeNull();
  });
});

describe('expectedType', () => {
  it.each<[ReceiverRoute, EventType | null]>([
    ['purchase', 'purchase'],
    ['refund', 'refund'],
    ['unavailable-users', 'unavailable_users'],
    ['auto', null],
  ])('when the route is %s, then the expected type is %s', (route, type) => {
    expect(expectedType(route)).toBe(type);
  });
});
