// A strict TypeScript consumer of the package: compiles only if the published types are right.
import init, { Mall, SiyuError, isSiyuError, type Quote, type Wallet, type ErrorCode, type DeviceErrorCode } from 'siyu';

export async function shopperDay(program: string): Promise<number> {
  await init();
  const mall = new Mall(program, { memberId: 'm1', clientId: 'c1' });
  mall.checkIn();
  const wallet: Wallet = mall.wallet();
  const priced = mall.quote({ lines: [{ sku: 'oats-1kg', qty: 2 }], coupons: 'best', points: 'max' });
  const plain: Quote = priced.toJSON();
  const reasons: string[] = priced.unusable.map((u) => `${u.reason}:${u.missing}`);
  const hints: number[] = priced.promotions.map((p) => (p.status === 'applied' ? p.discount : (p.next?.missing ?? 0)));
  const running: string[] = mall.promotions().map((p) => p.rule.type);
  try {
    mall.placeOrder({ orderId: mall.nextOrderId(), lines: plain.lines.map((l) => ({ sku: l.sku, qty: l.qty })), coupons: priced.couponIds, expectedTotal: priced.total });
  } catch (e) {
    // Both narrow `unknown`: the guard and `instanceof` (the engine's errors are made in wasm).
    if (isSiyuError(e)) {
      const code: ErrorCode | DeviceErrorCode = e.code;
      if (code === 'PRICE_CHANGED') return -1;
    }
    if (e instanceof SiyuError && e.code === 'NOT_INITIALIZED') return -2;
  }
  return wallet.available.length + reasons.length + plain.total + hints.length + running.length + priced.promotionDiscount;
}
