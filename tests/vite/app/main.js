// A front-end developer's Vite app: import the package, init, price a cart.
import init, { Mall } from 'siyu';
import program from '../../../programs/health-food.json';

await init();
const now = Date.parse('2026-11-25T10:00:00+08:00');
const mall = new Mall(program, { memberId: 'vite', clientId: 'vite-1', now });
mall.checkIn(now);
mall.claimCoupon('full-300-50', now);
const priced = mall.quote({ lines: [{ sku: 'protein-1kg', qty: 1 }, { sku: 'almond-250', qty: 2 }] }, now);
document.getElementById('total').textContent = `${priced.total}:${mall.points(now).balance}`;
