// Headless Chromium: cold start-ups (a fresh context per run) and the quote cases (warm, one page).
// The pages and the engine are served from 127.0.0.1 by a small static server; every response is
// uncached and cross-origin isolated (so performance.now() has its fine resolution).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function serve({ pkgDir, benchDir, files }) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let path = null;
    if (files[url.pathname]) path = files[url.pathname];
    else if (url.pathname.startsWith('/pkg/')) path = join(pkgDir, normalize(url.pathname.slice(5)));
    else if (url.pathname.startsWith('/bench/')) path = join(benchDir, normalize(url.pathname.slice(7)));
    const headers = {
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    try {
      if (!path || (!path.startsWith(pkgDir) && !path.startsWith(benchDir) && !Object.values(files).includes(path))) throw new Error('not found');
      const body = await readFile(path);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Run the browser benchmarks. `files` maps the extra URLs (/fixtures.json, /startup.json) to
 * paths. Returns { version, startup: [per-run results], quotes }.
 */
export async function runBrowser({ pkgDir, benchDir, files, startupRuns = 15, budgetMs = 600, withQuotes = true, extraArgs = [], executablePath = '/usr/bin/chromium', log = () => {} }) {
  const server = await serve({ pkgDir, benchDir, files });
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
  try {
    const version = browser.version();
    const startup = [];
    for (let i = 0; i < startupRuns; i++) {
      for (const mode of ['bytes', 'streaming']) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${base}/bench/page/startup.html?mode=${mode}`);
        try {
          const handle = await page.waitForFunction(() => window.__startup, null, { timeout: 60_000 });
          startup.push(await handle.jsonValue());
        } catch (e) {
          throw new Error(`start-up page failed: ${errors.join('; ') || e.message}`);
        }
        await context.close();
      }
      log(`start-up ${i + 1}/${startupRuns}`);
    }
    if (!withQuotes) return { version, startup };
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.text().startsWith('progress ')) log(`chromium quotes ${m.text().slice(9)}`);
    });
    await page.goto(`${base}/bench/page/quote.html`);
    await page.waitForFunction(() => window.__ready, null, { timeout: 60_000 }).catch(() => {
      throw new Error(`quote page failed to load: ${errors.join('; ')}`);
    });
    const quotes = await page.evaluate((args) => window.__bench.run(args), { budgetMs });
    await context.close();
    return { version, startup, ...quotes };
  } finally {
    await browser.close();
    server.close();
  }
}
