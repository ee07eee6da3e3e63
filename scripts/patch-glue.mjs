// Adapts wasm-bindgen's generated glue (pkg/siyu.js, pkg/siyu.d.ts) to every runtime the package
// supports. wasm-bindgen is pinned exactly (Cargo.toml), so the glue's text is known: each edit
// names the text it replaces and the build fails if that text is not found exactly as often as
// expected — a wasm-bindgen upgrade cannot silently skip an edit.
//
// What the edits do:
// - UTF-8 through `js/text.js`: the platform's TextDecoder/TextEncoder, or a small codec where
//   the runtime has none (mini-programs), which takes whole strings. The glue made one at
//   import time and threw there.
// - Before init, every engine call throws SiyuError NOT_INITIALIZED (not a TypeError from inside).
// - `initWith(instantiate)`: init in any runtime from an instantiate function that receives the
//   glue's imports (`WXWebAssembly.instantiate(path, imports)`, `WebAssembly.instantiate`, …).
// - `init()` and `initSync()` say which global is missing (UNSUPPORTED_RUNTIME) instead of a
//   ReferenceError.
// - Types: no DOM lib needed (platform types are used when the consumer has them), no `any`
//   (`InitOutput` is opaque), `Symbol.dispose` declared for libs that predate it.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// SIYU_PKG_DIR: another package folder (bench/jsc-profile.mjs builds one with names kept).
const dir = process.env.SIYU_PKG_DIR ? pathToFileURL(`${process.env.SIYU_PKG_DIR}/`) : new URL('../pkg/', import.meta.url);

function edit(file, edits) {
  const path = new URL(file, dir);
  let text = readFileSync(path, 'utf8');
  for (const [from, to, times = 1] of edits) {
    const found = text.split(from).length - 1;
    if (found !== times) {
      throw new Error(`patch-glue: ${file}: expected ${times} × ${JSON.stringify(from.slice(0, 80))}, found ${found}`);
    }
    text = text.split(from).join(to);
  }
  writeFileSync(path, text);
}

const missingWebAssembly = `if (typeof WebAssembly === 'undefined') throw unsupportedRuntime('WebAssembly global', 'use initWith(instantiate); in a WeChat mini-program, the init of siyu/miniprogram');`;

edit('siyu.js', [
  [
    '/* @ts-self-types="./siyu.d.ts" */\n',
    `/* @ts-self-types="./siyu.d.ts" */\nimport { newTextDecoder, newTextEncoder } from './text.js';\nimport { notInitialised, unsupportedRuntime } from './errors.js';\n`,
  ],
  [`new TextDecoder('utf-8', { ignoreBOM: true })`, 'newTextDecoder()', 2],
  ['new TextEncoder()', 'newTextEncoder()'],
  // js/text.js's encoder takes whole strings: the glue's own ASCII loop, one char per step, is
  // what an interpreter (no JIT) spends the most on when a snapshot or a program goes in.
  ['    if (realloc === undefined) {\n        const buf = cachedTextEncoder.encode(arg);', '    if (realloc === undefined || cachedTextEncoder.encodesWholeStrings) {\n        const buf = cachedTextEncoder.encode(arg);'],
  [
    'let wasmModule, wasmInstance, wasm;',
    '// Until an init finishes, any call into the engine throws NOT_INITIALIZED.\nlet wasmModule, wasmInstance, wasm = new Proxy({}, { get() { throw notInitialised(); } });',
  ],
  ['if (wasm !== undefined) return wasm;', 'if (wasmInstance !== undefined) return wasm;', 2],
  [
    '    const imports = __wbg_get_imports();\n    if (!(module instanceof WebAssembly.Module)) {',
    `    ${missingWebAssembly}\n    const imports = __wbg_get_imports();\n    if (!(module instanceof WebAssembly.Module)) {`,
  ],
  [
    '    const imports = __wbg_get_imports();\n\n    if (typeof module_or_path',
    `    ${missingWebAssembly}\n    const imports = __wbg_get_imports();\n\n    if (typeof module_or_path`,
  ],
  [
    '        module_or_path = fetch(module_or_path);',
    `        if (typeof fetch !== 'function') throw unsupportedRuntime('fetch', 'pass the module itself, init({ module_or_path: bytes }), or use initWith(instantiate)');\n        module_or_path = fetch(module_or_path);`,
  ],
  [
    'export { initSync, __wbg_init as default };',
    `let initWithPromise;
/**
 * Initialise from an instantiate function, in any runtime: it receives the imports the module
 * needs and returns (or resolves to) \`{ instance }\` or the instance itself.
 */
function initWith(instantiate) {
    if (wasmInstance !== undefined) return Promise.resolve(wasm);
    if (typeof instantiate !== 'function') return Promise.reject(new TypeError('initWith: pass a function (imports) => instance'));
    if (initWithPromise === undefined) {
        initWithPromise = (async () => {
            const result = await instantiate(__wbg_get_imports());
            if (wasmInstance !== undefined) return wasm;
            const instance = result && typeof result === 'object' && 'instance' in result ? result.instance : result;
            if (!instance || typeof instance.exports !== 'object') {
                throw new TypeError('initWith: instantiate must resolve to { instance } or a WebAssembly instance');
            }
            return __wbg_finalize_init(instance, result.module);
        })();
        initWithPromise.catch(() => { initWithPromise = undefined; });
    }
    return initWithPromise;
}

export { initSync, initWith, __wbg_init as default };`,
  ],
]);

// The generated types of init reference DOM and WebAssembly types and list the module's raw
// exports (with \`any\`); everything from \`InitInput\` on is replaced.
const dts = new URL('siyu.d.ts', dir);
const types = readFileSync(dts, 'utf8');
const tailAt = types.indexOf('export type InitInput =');
if (tailAt < 0 || types.indexOf('export type InitInput =', tailAt + 1) >= 0) throw new Error('patch-glue: siyu.d.ts: InitInput not found once');
const head = types.slice(0, tailAt);
const tail = `/** A platform class's instance type when the consumer's libs declare it (DOM, node), else never. */
type PlatformClass<K extends string> = typeof globalThis extends { [P in K]: abstract new (...args: never) => infer T } ? T : never;
/** \`WebAssembly.Module\` when the consumer's libs declare it, else never. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never) => infer M } } ? M : never;

/** What \`init\` loads: a URL to fetch, a fetch \`Response\`, the module's bytes, or a compiled module. */
export type InitInput = string | PlatformClass<"URL"> | PlatformClass<"Request"> | PlatformClass<"Response"> | ArrayBuffer | ArrayBufferView | WasmModule;
/** What \`initSync\` compiles: the module's bytes or a compiled module. */
export type SyncInitInput = ArrayBuffer | ArrayBufferView | WasmModule;

/** The initialised engine. Opaque: use the classes and functions of the package. */
export interface InitOutput {
    readonly memory: { readonly buffer: ArrayBuffer };
}

/** The imports the engine's module needs, handed to an \`Instantiate\` function. */
export type WasmImports = Record<string, Record<string, (...args: never[]) => unknown>>;
/** What an \`Instantiate\` function gives back: \`{ instance, module? }\` or the instance. */
export type Instantiated = { readonly instance: { readonly exports: object }; readonly module?: unknown } | { readonly exports: object };
/**
 * Instantiates the engine's module with \`imports\`:
 * \`(imports) => WXWebAssembly.instantiate('/miniprogram_npm/siyu/siyu_bg.wasm.br', imports)\` in a
 * WeChat mini-program, \`(imports) => WebAssembly.instantiate(bytes, imports)\` anywhere else.
 */
export type Instantiate = (imports: WasmImports) => Instantiated | Promise<Instantiated>;

/**
 * Initialise the engine in any runtime from an instantiate function. Calls made before any init
 * finishes throw SiyuError \`NOT_INITIALIZED\`.
 */
export function initWith(instantiate: Instantiate): Promise<InitOutput>;

/**
 * Initialise synchronously from the module's bytes or a compiled module (node, workers). Needs the
 * \`WebAssembly\` global (else throws SiyuError \`UNSUPPORTED_RUNTIME\`).
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * Initialise by fetching \`siyu_bg.wasm\` next to this module (or what \`module_or_path\` names). Needs
 * \`WebAssembly\` and, for a URL, \`fetch\` (else throws SiyuError \`UNSUPPORTED_RUNTIME\`).
 */
export default function __wbg_init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
`;
const declareDispose = `// For TypeScript libs older than ES2025/esnext.disposable (\`using mall = new Mall(…)\` needs 5.2+).
declare global {
    interface SymbolConstructor {
        readonly dispose: unique symbol;
    }
}
`;
writeFileSync(dts, head.replace('/* tslint:disable */\n', `/* tslint:disable */\n${declareDispose}`) + tail);
if (!readFileSync(dts, 'utf8').includes('declare global')) throw new Error('patch-glue: siyu.d.ts: header not found');
