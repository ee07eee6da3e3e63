// `siyu/authority`: the server algorithm of docs/protocol.md §3–4 — deciding a push, answering a
// pull, history pages — as the engine's own pure functions, for a backend written in JavaScript
// (Node, or an edge runtime with WebAssembly). The backend keeps its database and its HTTP
// framework; every decision is the engine's, made by the same code `siyu-server` runs.
// docs/backend.md is the guide: what to read before each call, what to write after it (in one
// transaction), and which guards the database must enforce.
//
//   import { loadAuthority } from 'siyu/authority';
//   const authority = await loadAuthority(programJson);
//   const answer = authority.decidePush({ memberId, request, state, version, ... });
//   // → { ok: { results, complete, lastMutationId, writes } } | { refused } | { needs }
import { SiyuError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The default module, compiled once per process. */
let compiled = null;

async function moduleBytes(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) return wasm;
  const url = wasm ?? new URL('./siyu_authority.wasm', import.meta.url);
  if (String(url).startsWith('file:')) {
    // Node (and runtimes like it) read the file beside this one; elsewhere `fetch` loads it. The
    // name is a variable so that bundlers for the browser leave the import alone.
    const fs = 'node:fs/promises';
    const { readFile } = await import(/* @vite-ignore */ fs);
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new SiyuError('INTERNAL', `loadAuthority: ${url} answered ${response.status}`, { url: String(url) });
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The authority for `program` (its JSON text or object). `options.wasm`: the module's bytes, a
 * compiled `WebAssembly.Module`, or its URL (default: `siyu_authority.wasm` beside this file).
 */
export async function loadAuthority(program, options = {}) {
  let module;
  if (options.wasm !== undefined) {
    const source = await moduleBytes(options.wasm);
    module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  } else {
    compiled ??= moduleBytes(undefined).then((bytes) => WebAssembly.compile(bytes));
    module = await compiled;
  }
  return new Authority(module, typeof program === 'string' ? program : JSON.stringify(program));
}

export class Authority {
  #module;
  #program;
  #exports = null;

  constructor(module, programText) {
    this.#module = module;
    this.#program = programText;
    this.#start();
  }

  #start() {
    this.#exports = new WebAssembly.Instance(this.#module, {}).exports;
    const answer = this.#raw('loadProgram', this.#program);
    if (answer.error) throw new SiyuError(answer.error.code, answer.error.message, answer.error.details);
  }

  #put(text) {
    const bytes = encoder.encode(text);
    const ptr = this.#exports.siyu_alloc(bytes.length);
    new Uint8Array(this.#exports.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }

  #raw(op, text) {
    const [opPtr, opLen] = this.#put(op);
    const [inPtr, inLen] = this.#put(text);
    const out = this.#exports.siyu_call(opPtr, opLen, inPtr, inLen);
    const len = this.#exports.siyu_output_len();
    return JSON.parse(decoder.decode(new Uint8Array(this.#exports.memory.buffer, out, len)));
  }

  /**
   * Makes one call (`input`: an object, or a string passed as it is): `{ ok }`, `{ refused }`
   * or `{ needs }`. A malformed call throws a `SiyuError`; so does a trap, after which the module
   * is started afresh (nothing reachable from input traps).
   */
  call(op, input) {
    let answer;
    try {
      answer = this.#raw(op, typeof input === 'string' ? input : JSON.stringify(input ?? {}));
    } catch (e) {
      if (e instanceof SyntaxError) throw e;
      this.#start();
      throw new SiyuError('INTERNAL', `authority.${op}: the engine trapped (${e?.message ?? e})`, { op });
    }
    if (answer.error) throw new SiyuError(answer.error.code, answer.error.message, answer.error.details);
    return answer;
  }

  /** The program in force, as `GET /api/program` serves it. */
  program() {
    return this.call('program', {}).ok;
  }

  /** The program's shared counters, full. */
  initialStock() {
    return this.call('initialStock', {}).ok;
  }

  /** A new member's state (JSON text, to store) and referral code. */
  newMember(memberId, now) {
    return this.call('newMember', { memberId, now });
  }

  /** A push body as received (text): `{ ok: request }` or `{ refused }`. */
  checkPush(body) {
    return this.call('checkPush', String(body));
  }

  decidePush(input) {
    return this.call('decidePush', input);
  }

  /** A pull body as received (text): `{ ok: request }` or `{ refused }`. */
  checkPull(body) {
    return this.call('checkPull', String(body));
  }

  planPull(input) {
    return this.call('planPull', input);
  }

  answerPull(input) {
    return this.call('answerPull', input);
  }

  /** `query`: the query string as received (`before=…&limit=…`, without `?`). */
  historyRange(kind, query = '') {
    return this.call('historyRange', { kind, query: String(query) });
  }

  historyPage(range, rows) {
    return this.call('historyPage', { range, rows });
  }

  /** The business day (`YYYY-MM-DD`) at `now` in the program's time zone. */
  businessDay(now) {
    return this.call('businessDay', { now }).ok;
  }
}
