import express, { type RequestHandler } from 'express';
import { AppError } from '../shared/errors';

/** Deeper JSON is refused everywhere JSON comes in: webhooks, the admin API, the sign-in. */
export const MAX_JSON_DEPTH = 64;

/** Iterative, so the check itself cannot overflow the stack. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

export function tooDeep(): AppError {
  return new AppError('validation_failed', `the body is nested more than ${MAX_JSON_DEPTH} levels deep`, {
    fields: [{ field: '(body)', message: `nested more than ${MAX_JSON_DEPTH} levels deep` }],
  });
}

/**
 * express.json, then the depth limit: validation, error details and JSON.stringify all walk a
 * body recursively, and 20,000 levels overflow the stack (a 500) before any schema says no.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const depth: RequestHandler = (req, _res, next) => {
    if (nestedDeeperThan(req.body, MAX_JSON_DEPTH)) throw tooDeep();
    next();
  };
  return [express.json({ limit }), depth];
}
