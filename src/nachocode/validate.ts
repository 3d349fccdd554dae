import type { z } from 'zod';
import { AppError } from '../shared/errors';
import { classifyShape, expectedType, type ReceiverRoute } from './classify';
import { purchaseSchema, refundSchema, unavailableUsersSchema, type EventPayload, type EventType } from './schemas';

const schemas = {
  purchase: purchaseSchema,
  refund: refundSchema,
  unavailable_users: unavailableUsersSchema,
} as const;

export interface FieldProblem {
  field: string;
  message: string;
}

function problemsOf(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

/** Classifies and validates a parsed body for a route; throws a 422 AppError naming the fields. */
export function parseEvent(route: ReceiverRoute, body: unknown): EventPayload {
  const shape = classifyShape(body);
  if (shape === null) {
    throw new AppError('validation_failed', 'the body must be a JSON object', {
      fields: [{ field: '(body)', message: `expected an object, got ${Array.isArray(body) ? 'an array' : typeof body}` }],
    });
  }
  const expected = expectedType(route);
  if (expected !== null && expected !== shape) {
    throw new AppError('shape_mismatch', `the body has the shape of a ${label(shape)} event, but was sent to the ${route} route`, {
      route,
      detectedType: shape,
    });
  }
  const parsed = schemas[shape].safeParse(body);
  if (!parsed.success) {
    const fields = problemsOf(parsed.error);
    throw new AppError('validation_failed', `invalid ${label(shape)} event: ${fields.map((f) => f.field).join(', ')}`, {
      type: shape,
      fields,
    });
  }
  return { type: shape, payload: parsed.data } as EventPayload;
}

function label(type: EventType): string {
  return type === 'unavailable_users' ? 'unavailable-users' : type;
}
