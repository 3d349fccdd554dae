import express from 'express';
import { maskSecret } from '../http/mask';
import { keyFingerprint, WEBHOOK_ROUTES } from '../receiver';
import { AppError } from '../shared/errors';
import { baseUrlOf } from './routes';

/**
 * What to paste into the nachocode dashboard, for the inspector's empty state: the webhook URLs
 * and the keys, masked. A key itself is answered only when asked for by its fingerprint (the
 * page's Reveal and Copy buttons), never cached, and only to an admin (this router sits behind
 * the admin check): it is the secret nachocode authenticates with.
 */
export function setupRouter(webhookKeys: readonly string[], publicUrl: string | null): express.Router {
  const router = express.Router();
  const keys = webhookKeys.map((key) => ({ fingerprint: keyFingerprint(key), masked: maskSecret(key), key }));

  router.get('/inspector/setup', (req, res) => {
    const base = baseUrlOf(req, publicUrl);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      webhookUrls: WEBHOOK_ROUTES.map(([path, route]) => ({ route, url: `${base}${path}` })),
      keys: keys.map(({ fingerprint, masked }) => ({ fingerprint, masked })),
    });
  });
  router.get('/inspector/webhook-keys/:fingerprint', (req, res) => {
    const found = keys.find((k) => k.fingerprint === req.params.fingerprint);
    if (found === undefined) throw new AppError('not_found', `no webhook key with fingerprint ${req.params.fingerprint}`);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ fingerprint: found.fingerprint, key: found.key });
  });
  return router;
}
