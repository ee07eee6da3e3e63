// Builds pkg/miniprogram/: the folder WeChat DevTools' "build npm" copies whole into
// miniprogram_npm/siyu/ (package.json `miniprogram`). WeChat wants CommonJS and loads wasm only
// from a code-package path, so: js/miniprogram.js and everything it imports bundled into one
// CommonJS index.js, the engine brotli-compressed (`WXWebAssembly` reads `.wasm.br` since base
// library 2.14.0), and the types.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { rolldown } from 'rolldown';
import { pathToFileURL } from 'node:url';

// SIYU_PKG_DIR: another package folder (bench/jsc-profile.mjs builds one with names kept).
const pkg = process.env.SIYU_PKG_DIR ? pathToFileURL(`${process.env.SIYU_PKG_DIR}/`) : new URL('../pkg/', import.meta.url);
const out = new URL('miniprogram/', pkg);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const bundle = await rolldown({ input: new URL('miniprogram.js', pkg).pathname, platform: 'neutral', logLevel: 'warn' });
const { output } = await bundle.generate({ format: 'cjs', exports: 'named' });
if (output.length !== 1) throw new Error(`build-miniprogram: expected one chunk, got ${output.length}`);
const code = output[0].code;
// The mini-program entry never takes the fetch path of the browser's init, and `import.meta`
// does not exist in CommonJS: the bundle must not mention it.
if (/import\.meta/.test(code)) throw new Error('build-miniprogram: the bundle still reads import.meta');
writeFileSync(new URL('index.js', out), code);

const wasm = readFileSync(new URL('siyu_bg.wasm', pkg));
const br = brotliCompressSync(wasm, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: wasm.length },
});
writeFileSync(new URL('siyu_bg.wasm.br', out), br);
// The types sit one folder down from where they were written: their imports go up one.
const types = readFileSync(new URL('miniprogram.d.ts', pkg), 'utf8').replace(/from '\.\/(siyu|sync|index)\.js'/g, "from '../$1.js'");
if (!types.includes("from '../index.js'")) throw new Error('build-miniprogram: miniprogram.d.ts imports not found');
writeFileSync(new URL('index.d.ts', out), types);
console.log(`pkg/miniprogram: index.js ${code.length} bytes (CommonJS), siyu_bg.wasm.br ${br.length} bytes`);
