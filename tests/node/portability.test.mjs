// The package where a browser's globals are missing, its types under strict TypeScript with and
// without the DOM lib (the README's examples compiled as written), what the tarball carries, and
// the wasm features the module needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const pkg = join(root, 'pkg');

test('the package imports without TextDecoder, TextEncoder, fetch, WebAssembly, structuredClone, IndexedDB or window; each init path works or names what is missing', () => {
  const script = `
    const wasm = WebAssembly;
    const bytes = require('node:fs').readFileSync(${JSON.stringify(join(pkg, 'siyu_bg.wasm'))});
    for (const name of ['TextDecoder', 'TextEncoder', 'fetch', 'WebAssembly', 'structuredClone', 'indexedDB', 'window', 'navigator'])
      Object.defineProperty(globalThis, name, { value: undefined, configurable: true, writable: true });
    (async () => {
      const siyu = await import(${JSON.stringify(join(pkg, 'index.js'))});
      const out = {};
      try { new siyu.Mall('{}', { memberId: 'm', clientId: 'c' }); } catch (e) { out.before = e.code; out.isSiyu = siyu.isSiyuError(e) && e instanceof siyu.SiyuError; }
      out.init = await siyu.default().then(() => 'ok', (e) => e.code + ':' + e.details.missing);
      try { siyu.initSync({ module: bytes }); out.initSync = 'ok'; } catch (e) { out.initSync = e.code + ':' + e.details.missing; }
      await siyu.initWith((imports) => wasm.instantiate(bytes, imports));
      const program = require('node:fs').readFileSync(${JSON.stringify(join(root, 'programs', 'health-food.json'))}, 'utf8');
      const mall = new siyu.Mall(program, { memberId: 'm', clientId: 'c', now: Date.UTC(2026, 10, 25, 4) });
      out.name = mall.program().name;
      try { mall.claimCoupon('无此券'); } catch (e) { out.refusal = e.code + ':' + JSON.stringify(e.details); }
      try { siyu.createSyncClient({ mall, token: 't' }); } catch (e) { out.noFetch = e.message; }
      console.log(JSON.stringify(out));
    })();`;
  const out = JSON.parse(execFileSync('node', ['-e', script], { encoding: 'utf8' }));
  assert.equal(out.before, 'NOT_INITIALIZED');
  assert.equal(out.isSiyu, true);
  assert.equal(out.init, 'UNSUPPORTED_RUNTIME:WebAssembly global');
  assert.equal(out.initSync, 'UNSUPPORTED_RUNTIME:WebAssembly global');
  assert.equal(out.name, JSON.parse(readFileSync(join(root, 'programs', 'health-food.json'), 'utf8')).name);
  assert.match(out.refusal, /^UNKNOWN_TEMPLATE:.*无此券/);
  assert.match(out.noFetch, /no `fetch`/);
});

test('the package UTF-8 codec agrees with the platform’s on every kind of text', async () => {
  const { Utf8Decoder, Utf8Encoder } = await import(join(pkg, 'text.js'));
  const samples = ['', 'abc', '禾本良品 · 满300减50', '🎁🧧 emoji', 'mixed é ñ ü 中 😀', 'lone \ud800 surrogate', 'x'.repeat(20000) + '签'];
  for (const text of samples) {
    const bytes = new TextEncoder().encode(text);
    assert.deepEqual(new Utf8Encoder().encode(text), bytes);
    assert.equal(new Utf8Decoder().decode(bytes), new TextDecoder().decode(bytes));
  }
  for (const bad of [[0xff], [0xc3], [0xe4, 0xb8], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x61, 0x80, 0x62]]) {
    const bytes = Uint8Array.from(bad);
    assert.equal(new Utf8Decoder().decode(bytes), new TextDecoder().decode(bytes), `decoding ${bad}`);
  }
  // Each way the codec takes: the builtins' fast path, the per-code-point loops (what it falls
  // back to on ill-formed text), and the byte copy through Uint8Array.fromBase64 where the
  // runtime has it (node 20 has not: it is supplied for this part from Buffer).
  const decoder = new Utf8Decoder();
  const encoder = new Utf8Encoder();
  assert.equal(encoder.encodesWholeStrings, true, 'the glue hands the encoder whole strings');
  const hadFromBase64 = Object.hasOwn(Uint8Array, 'fromBase64');
  for (const withFromBase64 of [false, true]) {
    if (withFromBase64 && !hadFromBase64) Uint8Array.fromBase64 = (b64) => new Uint8Array(Buffer.from(b64, 'base64'));
    try {
      for (const text of samples) {
        const bytes = new TextEncoder().encode(text);
        assert.deepEqual(encoder.encode(text), bytes, `encoding ${text.slice(0, 20)} (fromBase64: ${withFromBase64})`);
        assert.deepEqual(encoder.encodeEachCodePoint(text), bytes);
        assert.equal(decoder.decodeEachCodePoint(bytes), text.replace(/\ud800/, '\ufffd'));
      }
    } finally {
      if (!hadFromBase64) delete Uint8Array.fromBase64;
    }
  }
  // A long text with a bad byte at its end still decodes the rest exactly (the fallback's answer).
  const long = new TextEncoder().encode('签'.repeat(10000));
  const tail = Uint8Array.from([...long, 0xe4, 0xb8]);
  assert.equal(decoder.decode(tail), new TextDecoder().decode(tail));
});

test('the README’s examples compile as written under strict TypeScript with skipLibCheck false, with and without the DOM lib', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js( miniprogram)?\n([\s\S]*?)```/g)].map((m) => ({ miniprogram: Boolean(m[1]), code: m[2] }));
  assert.ok(blocks.length >= 3 && blocks.some((b) => b.miniprogram), 'the README has browser and mini-program examples');
  const dir = mkdtempSync(join(tmpdir(), 'siyu-readme-'));
  try {
    // What the examples take from the app around them.
    const app = `declare const token: string;
declare function showNewPrice(quote: unknown): void;
declare const badge: { textContent: string | null };
declare function toast(text: string): void;
declare const program: string;
declare const lines: { sku: string; qty: number }[];
declare const page: { setData(data: Record<string, unknown>): void };
declare const wx: { showToast(options: { title: string }): void };
declare const orderId: string;
declare const programJson: string;
type PushInput = import('siyu/authority').DecidePushInput;
declare const memberId: string, request: PushInput['request'], state: string, version: number, stateVersion: number;
declare const lastMutationId: number, stock: PushInput['stock'], decided: PushInput['decided'], now: number;
`;
    writeFileSync(join(dir, 'app.d.ts'), app);
    // Without the DOM lib, the page's platform still has a fetch of its own (typed as the DOM types it).
    writeFileSync(join(dir, 'platform.d.ts'), 'declare function fetch(url: string): Promise<{ json(): Promise<any> }>;\n');
    const files = { browser: [], miniprogram: [] };
    blocks.forEach((b, i) => {
      const name = `example-${i}.ts`;
      writeFileSync(join(dir, name), `${b.code}\nexport {};\n`);
      files[b.miniprogram ? 'miniprogram' : 'browser'].push(name);
    });
    for (const [kind, entry] of [['browser', 'index.d.ts'], ['miniprogram', 'miniprogram/index.d.ts']]) {
      for (const dom of [true, false]) {
        const config = {
          compilerOptions: {
            strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', module: 'es2022', moduleResolution: 'bundler',
            lib: dom ? ['es2022', 'dom'] : ['es2022'], types: [], baseUrl: '.', paths: { siyu: [join(pkg, entry)], 'siyu/authority': [join(pkg, 'authority.d.ts')] },
          },
          files: ['app.d.ts', ...(dom ? [] : ['platform.d.ts']), ...files[kind]],
        };
        const path = join(dir, `tsconfig.${kind}.${dom ? 'dom' : 'nodom'}.json`);
        writeFileSync(path, JSON.stringify(config));
        try {
          execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', path], { encoding: 'utf8' });
        } catch (e) {
          assert.fail(`${kind} examples, ${dom ? 'with' : 'without'} the DOM lib:\n${e.stdout}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no any on the public surface of any entry, InitOutput included', () => {
  for (const file of ['siyu.d.ts', 'index.d.ts', 'sync.d.ts', 'miniprogram/index.d.ts']) {
    const text = readFileSync(join(pkg, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(text, /\bany\b/, file);
  }
});

test('the npm tarball carries the README, the licences and the mini-program folder', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: pkg, encoding: 'utf8' }));
  const files = packed.files.map((f) => f.path);
  for (const f of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json', 'index.js', 'siyu_bg.wasm', 'miniprogram/index.js', 'miniprogram/index.d.ts', 'miniprogram/siyu_bg.wasm.br']) {
    assert.ok(files.includes(f), `${f} in ${files}`);
  }
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  assert.equal(manifest.miniprogram, 'miniprogram');
  // The mini-program entry is CommonJS and never reads import.meta.
  const entry = readFileSync(join(pkg, 'miniprogram', 'index.js'), 'utf8');
  assert.match(entry, /exports\.openMall|exports, "openMall"|openMall/);
  assert.doesNotMatch(entry, /import\.meta|^\s*import\s|^\s*export\s/m);
});

test('the module needs only MVP wasm features plus mutable globals (what the iOS and Android mini-program runtimes accept)', () => {
  const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
  // Validation fails if any instruction or type needs a feature that is not enabled.
  execFileSync(wasmOpt, ['--mvp-features', '--enable-mutable-globals', join(pkg, 'siyu_bg.wasm'), '-o', '/dev/null'], { stdio: 'pipe' });
  const glue = readFileSync(join(pkg, 'siyu.js'), 'utf8');
  assert.doesNotMatch(glue, /__wbindgen_externrefs/, 'no externref table');
});

test('the shim’s JavaScript type-checks against its own declarations (checkJs), so they cannot drift', () => {
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tests', 'js-types', 'tsconfig.json')], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(e.stdout);
  }
});
