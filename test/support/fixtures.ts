import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', 'fixtures');

export type Json = Record<string, unknown>;

/** A fresh copy of a fixture, optionally with fields overridden. */
export function fixture(name: string, overrides: Json = {}): Json {
  const file = path.join(root, name.endsWith('.json') ? name : `${name}.json`);
  return { ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Json), ...overrides };
}

export const nacho = {
  purchaseIos: (o: Json = {}) => fixture('nachocode/purchase.ios', o),
  purchaseAndroid: (o: Json = {}) => fixture('nachocode/purchase.android', o),
  purchaseIosMulti: (o: Json = {}) => fixture('nachocode/purchase.ios.multi', o),
  refundAndroid: (o: Json = {}) => fixture('nachocode/refund.android', o),
  refundIosPartial: (o: Json = {}) => fixture('nachocode/refund.ios.partial', o),
  unavailableUsers: (o: Json = {}) => fixture('nachocode/unavailable-users', o),
};
