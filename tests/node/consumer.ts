// A strict TypeScript consumer of the package: compiles only if the published types are right.
import init, { Mall, type Quote, type SiyuError, type Wallet, type ErrorCode } from 'siyu';

export async function shopperDay(program: string): Promise<number> {
  await init();
  const mall = new Mall(program, { memberId: 'm1', clientId: 'c1' });
  mall.checkIn();
  const wallet: Wallet = mall.wallet();
  const priced = mall.quote({ lines: [{ sku: 'oats-1kg', qty: 2 }], coupons: 'best', points: 'max' });
  const plain: Quote = priced.toJSON();
  const reasons: string[] = priced.unusable.map((u) => `${u.reason}:${u.missing}`);
  try {
    mall.placeOrder({ orderId: mall.nextOrderId(), lines: plain.lines.map((l) => ({ sku: l.sku, qty: l.qty })), coupons: priced.couponIds, expectedTotal: priced.total });
  } catch (e) {
    const code: ErrorCode = (e as SiyuError).code;
    if (code === 'PRICE_CHANGED') return -1;
  }
  return wallet.available.length + reasons.length + plain.total;
}
