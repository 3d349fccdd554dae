import type { ProductTotals } from './types';

export interface PurchaseSums {
  productId: string;
  productType: string | null;
  purchases: number;
  unitsGranted: number;
  grossPrice: number;
}

export interface RefundSums {
  productId: string;
  productType: string | null;
  refunds: number;
  unitsRefunded: number;
  refundedPrice: number;
}

export interface ConsumeSums {
  productId: string;
  productType: string | null;
  unitsConsumed: number;
}

const empty = (productId: string, productType: string | null): ProductTotals => ({
  productId,
  productType,
  purchases: 0,
  refunds: 0,
  unitsGranted: 0,
  unitsRefunded: 0,
  unitsConsumed: 0,
  grossPrice: 0,
  refundedPrice: 0,
  netPrice: 0,
});

// Prices are summed as floats; rounding to a hundredth keeps 0.1 + 0.2 from showing up in the page
// while staying exact for the integer prices nachocode sends (won, yen) and for cents.
const money = (n: number) => Math.round(n * 100) / 100;

/**
 * One row per product from the three sums, which are taken over different tables and times
 * (purchase time, refund time, consumption time), so a product may appear in any of them alone.
 */
export function mergeTotals(purchases: PurchaseSums[], refunds: RefundSums[], consumed: ConsumeSums[]): ProductTotals[] {
  const byProduct = new Map<string, ProductTotals>();
  const row = (productId: string, productType: string | null) => {
    let current = byProduct.get(productId);
    if (current === undefined) {
      current = empty(productId, productType);
      byProduct.set(productId, current);
    }
    current.productType ??= productType;
    return current;
  };
  for (const p of purchases)
    Object.assign(row(p.productId, p.productType), { purchases: p.purchases, unitsGranted: p.unitsGranted, grossPrice: money(p.grossPrice) });
  for (const r of refunds)
    Object.assign(row(r.productId, r.productType), { refunds: r.refunds, unitsRefunded: r.unitsRefunded, refundedPrice: money(r.refundedPrice) });
  for (const c of consumed) row(c.productId, c.productType).unitsConsumed = c.unitsConsumed;
  for (const t of byProduct.values()) t.netPrice = money(t.grossPrice - t.refundedPrice);
  return [...byProduct.values()].sort((a, b) => a.productId.localeCompare(b.productId));
}

export function overallOf(totals: ProductTotals[]): Omit<ProductTotals, 'productId' | 'productType'> {
  const sum = (pick: (t: ProductTotals) => number) => totals.reduce((acc, t) => acc + pick(t), 0);
  return {
    purchases: sum((t) => t.purchases),
    refunds: sum((t) => t.refunds),
    unitsGranted: sum((t) => t.unitsGranted),
    unitsRefunded: sum((t) => t.unitsRefunded),
    unitsConsumed: sum((t) => t.unitsConsumed),
    grossPrice: money(sum((t) => t.grossPrice)),
    refundedPrice: money(sum((t) => t.refundedPrice)),
    netPrice: money(sum((t) => t.netPrice)),
  };
}
