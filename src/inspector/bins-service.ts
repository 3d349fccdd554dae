import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { isCookieHeader, isSecretHeader, maskHeaders, maskQuery } from '../http/mask';
import { AppError } from '../shared/errors';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { trimBinBytes } from './bin-bytes-repository';
import { isMediaType } from './media-type';
import {
  BINS_LOCK,
  binLock,
  binsBeyond,
  countBinRequests,
  deleteBins,
  getBin,
  insertBin,
  insertCapture,
  listBins,
  trimBin,
  updateBin,
  type BinRow,
} from './bins-repository';

export interface BinLimits {
  /** Bins kept at most; creating one more evicts the least recently active. */
  maxCount: number;
  /** A bin idle this long is deleted with its requests (by the periodic prune). */
  maxAgeDays: number;
  /** Requests kept per bin; older ones go as new ones arrive. */
  maxRequests: number;
  /** Body bytes kept per bin, enforced the same way. */
  maxBytes: number;
}

export const createBinSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  // 1xx cannot be sent as a final answer; everything from 200 to 599 can.
  status: z.number().int().min(200).max(599).default(200),
  body: z
    .string()
    .max(64 * 1024)
    .optional(),
  contentType: z.string().max(200).refine(isMediaType, 'expected a media type such as application/json or text/plain; charset=utf-8').optional(),
  // Enough to make a sender time out (nachocode waits 10 s, outbound deliveries 5 s).
  delayMs: z.number().int().min(0).max(30_000).default(0),
  // false keeps signatures and tokens as sent, so a capture can be checked against its secret.
  maskSecrets: z.boolean().default(true),
});
export type CreateBin = z.infer<typeof createBinSchema>;

/**
 * A change to a bin's answer or name: only the fields given change. `null` clears the name, the
 * body (back to the default JSON answer) or the content type.
 */
export const updateBinSchema = z
  .strictObject({
    name: createBinSchema.shape.name.unwrap().nullable().optional(),
    status: createBinSchema.shape.status.unwrap().optional(),
    body: createBinSchema.shape.body.unwrap().nullable().optional(),
    contentType: createBinSchema.shape.contentType.unwrap().nullable().optional(),
    delayMs: createBinSchema.shape.delayMs.unwrap().optional(),
    maskSecrets: createBinSchema.shape.maskSecrets.unwrap().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'expected at least one of name, status, body, contentType, delayMs, maskSecrets');
export type UpdateBin = z.infer<typeof updateBinSchema>;

export interface CaptureInput {
  method: string;
  path: string;
  query: string | null;
  rawHeaders: readonly string[];
  body: Buffer | null;
  bodySize: number;
  remoteAddr: string | null;
  requestId: string | null;
  startedAt: number;
  /** Set when the body could not be read: the bin answers this status instead of its own. */
  failure?: { status: number; reason: string };
}

export interface BinAnswer {
  status: number;
  contentType: string;
  body: string;
  delayMs: number;
  requestId: string;
}

export function binView(bin: BinRow, baseUrl: string, requestCount?: number) {
  return {
    id: bin.id,
    name: bin.name,
    url: `${baseUrl}/bins/${bin.id}`,
    status: bin.status,
    body: bin.body,
    contentType: bin.contentType,
    delayMs: bin.delayMs,
    maskSecrets: bin.maskSecrets,
    createdAt: new Date(bin.createdAt).toISOString(),
    lastRequestAt: bin.lastRequestAt === null ? null : new Date(bin.lastRequestAt).toISOString(),
    ...(requestCount === undefined ? {} : { requestCount }),
  };
}

/** What a bin answers when it has no configured body. */
export function defaultBinBody(binId: string, requestId: string): string {
  return JSON.stringify({ received: true, binId, requestId });
}

export interface BinsServiceDeps {
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  limits: BinLimits;
  /** Called after a capture has committed (the live stream). */
  onRecorded(requestId: string): void;
}

/** Capture bins: URLs that record whatever is sent to them and answer as configured. */
export class BinsService {
  constructor(private readonly deps: BinsServiceDeps) {}

  async create(input: CreateBin): Promise<BinRow> {
    const now = this.deps.clock.now();
    const bin: BinRow = {
      id: newId('bin', now),
      name: input.name ?? null,
      status: input.status,
      body: input.body ?? null,
      contentType: input.contentType ?? null,
      delayMs: input.delayMs,
      maskSecrets: input.maskSecrets,
      createdAt: now,
      lastRequestAt: null,
    };
    await this.deps.storage.write(async (tx) => {
      // Two instances creating at once must not both count the same bins and both keep them.
      await tx.lock(BINS_LOCK);
      await deleteBins(tx, await binsBeyond(tx, Math.max(0, this.deps.limits.maxCount - 1)));
      await insertBin(tx, bin);
    });
    return bin;
  }

  list(): Promise<Array<BinRow & { requestCount: number }>> {
    return listBins(this.deps.storage.read);
  }

  async get(id: string): Promise<BinRow & { requestCount: number }> {
    const { read } = this.deps.storage;
    const bin = await getBin(read, id);
    if (bin === undefined) throw new AppError('not_found', `no bin ${id}`);
    return { ...bin, requestCount: await countBinRequests(read, id) };
  }

  /** Changes what a bin answers (from its next request on) or its name. */
  async update(id: string, patch: UpdateBin): Promise<BinRow & { requestCount: number }> {
    const updated = await this.deps.storage.write((tx) => updateBin(tx, id, patch));
    if (updated === 0) throw new AppError('not_found', `no bin ${id}`);
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const removed = await this.deps.storage.write(async (tx) => {
      await tx.lock(BINS_LOCK);
      return (await getBin(tx, id)) === undefined ? 0 : deleteBins(tx, [id]);
    });
    if (removed === 0) throw new AppError('not_found', `no bin ${id}`);
  }

  /** Records one request to a bin; null when the bin does not exist (nothing is recorded then). */
  async capture(binId: string, input: CaptureInput): Promise<BinAnswer | null> {
    const bin = await getBin(this.deps.storage.read, binId);
    if (bin === undefined) return null;
    const now = this.deps.clock.now();
    const requestId = newId('req', now);
    const { failure } = input;
    const status = failure?.status ?? bin.status;
    const body = failure !== undefined ? JSON.stringify({ received: false, reason: failure.reason }) : (bin.body ?? defaultBinBody(bin.id, requestId));
    // A type stored before it was validated as a media type is not sent as it is.
    const configured = bin.contentType !== null && isMediaType(bin.contentType) ? bin.contentType : 'text/plain; charset=utf-8';
    const contentType = failure !== undefined || bin.body === null ? 'application/json' : configured;
    // Even a bin that shows its secrets hides cookies: a browser opening its URL sends the admin's session.
    const headers = maskHeaders(input.rawHeaders, bin.maskSecrets ? isSecretHeader : isCookieHeader);
    await this.deps.storage.write(async (tx) => {
      // The bin's requests are counted and trimmed below; a deletion of the bin takes the same lock.
      await tx.lock(binLock(bin.id));
      // Deleted since it was read: nothing to attach the request to.
      if ((await getBin(tx, bin.id)) === undefined) return;
      await insertCapture(tx, {
        id: requestId,
        receivedAt: now,
        method: input.method,
        path: input.path,
        query: bin.maskSecrets ? maskQuery(input.query) : input.query,
        headers: JSON.stringify(headers),
        body: input.body,
        bodySize: input.bodySize,
        contentType: typeof headers['content-type'] === 'string' ? headers['content-type'] : null,
        remoteAddr: input.remoteAddr,
        requestId: input.requestId,
        keyFingerprint: null,
        status,
        outcome: 'captured',
        reason: failure?.reason ?? null,
        response: JSON.stringify(body),
        // What the sender waits for: the work so far plus the configured delay.
        durationMs: performance.now() - input.startedAt + bin.delayMs,
        eventId: null,
        source: 'bin',
        binId: bin.id,
      });
      await trimBin(tx, bin.id, this.deps.limits.maxRequests);
      await trimBinBytes(tx, bin.id, this.deps.limits.maxBytes);
    });
    this.deps.onRecorded(requestId);
    return { status, contentType, body, delayMs: bin.delayMs, requestId };
  }
}
