import purchaseFixture from '../../test/fixtures/nachocode/purchase.ios.json';

// Distinct purchases: every body gets its own iapLogId and store transaction id (real purchases
// never share one; a shared one would make every apply report a duplicate_transaction_id anomaly).
// The counter is process-wide, so successive runs against one database never repeat an id.
let next = 1;

export function purchaseBody(): string {
  const n = next++;
  const transactionId = String(3_000_000_000_000_000 + n);
  return JSON.stringify({
    ...purchaseFixture,
    iapLogId: 10_000_000 + n,
    userId: `bench-user-${n % 1000}`,
    data: { originalTransactionId: transactionId, transactionId },
  });
}

export function bodiesSent(): number {
  return next - 1;
}
