import type { UnavailableUsersPayload } from '../nachocode/schemas';
import { markApplied, type ApplyContext } from './apply-context';
import { upsertUnavailableUsers, type UnavailableUser } from './repository/unavailable-users';
import type { ApplyResult } from './types';

export function applyUnavailableUsers(ctx: ApplyContext, payload: UnavailableUsersPayload): ApplyResult {
  const users: UnavailableUser[] = [
    ...(payload.tokenNotFoundUserIds ?? []).map((userId) => ({ userId, reason: 'token_not_found' as const })),
    ...(payload.tokenInvalidUserIds ?? []).map((userId) => ({ userId, reason: 'token_invalid' as const })),
  ];
  upsertUnavailableUsers(ctx.db, users, ctx.event.id, ctx.now);
  return markApplied(ctx);
}
