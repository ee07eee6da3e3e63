// The npm package `siyu`: the engine (wasm) and the thin browser shim that syncs it.
export * from './siyu.js';
export { default } from './siyu.js';
export * from './sync.js';
