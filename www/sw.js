// App shell cache: network first, the cache when offline. The API is never cached except the
// program, which the mall needs to open offline.
const CACHE = 'siyu-shell-v4';
const SHELL = [
  '/',
  '/index.html',
  '/styles.css',
  '/app.js',
  '/html.js',
  '/i18n.js',
  '/format.js',
  '/promotions.js',
  '/icons.js',
  '/views/home.js',
  '/views/checkin.js',
  '/views/coupons.js',
  '/views/cart.js',
  '/views/me.js',
  '/views/login.js',
  '/pkg/index.js',
  '/pkg/siyu.js',
  '/pkg/sync.js',
  '/pkg/siyu_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .catch(() => {})
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') && url.pathname !== '/api/program') return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || (request.mode === 'navigate' ? caches.match('/index.html') : Response.error()))),
  );
});
