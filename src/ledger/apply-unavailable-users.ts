import type { UnavailableUsersPayload } from '../nachocode';
import { markApplied, type ApplyContext } from './apply-context';
import { upsertUnavailableUsers, type UnavailableUser } from './repository/unavailable-users';
import type { StepResult } from './types';

export async function applyUnavailableUsers(ctx: ApplyContext, payload: UnavailableUsersPayload): Promise<StepResult> {
  const users: UnavailableUser[] = [
    ...(payload.tokenNotFoundUserIds ?? []).map((userId) => ({ userId, reason: 'token_not_found' as const })),
    ...(payload.tokenInvalidUserIds ?? []).map((userId) => ({ userId, reason: 'token_invalid' as const })),
  ];
  await upsertUnavailableUsers(ctx.tx, users, ctx.event.id, ctx.now);
  return markApplied(ctx);
}
