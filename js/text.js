// UTF-8 for the engine's glue in runtimes without TextDecoder/TextEncoder (WeChat and Alipay
// mini-programs, some embedded engines). Where the platform has them, they are used.
//
// Where it has none, the work goes to builtins that run natively even where JS is interpreted
// (WeChat on iOS has no JIT, so a loop over every byte of a 30 kB snapshot is milliseconds):
// encodeURIComponent + unescape and escape + decodeURIComponent convert between UTF-16 and a
// string of UTF-8 bytes, String.fromCharCode over chunks and Uint8Array.fromBase64(btoa(…))
// move such byte strings out of and into typed arrays. In JavaScriptCore without JIT, 34 kB of
// JSON with Chinese text: encoding 11.2 → 1.3 ms, decoding 5.7 → 1.2 ms (jsc --useJIT=false).
// Ill-formed text (a lone surrogate, invalid UTF-8) makes those builtins throw URIError; the
// per-code-point loops below then give exactly what TextEncoder/TextDecoder give.

const CHUNK = 8192;
const hasUriCodec = typeof escape === 'function' && typeof unescape === 'function';

/** `Uint8Array.fromBase64` (ES2026: JavaScriptCore has it, node 20 has not), read when called. */
function uint8ArrayFromBase64() {
  const from = /** @type {{ fromBase64?: (base64: string) => Uint8Array }} */ (/** @type {unknown} */ (Uint8Array)).fromBase64;
  return typeof from === 'function' ? from : undefined;
}

/** Bytes 0–255 as the string of those char codes. */
function byteString(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += CHUNK) out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  return out;
}

/** Decodes UTF-8 like `new TextDecoder('utf-8', { ignoreBOM: true })`: ill-formed input → U+FFFD. */
class Utf8Decoder {
  decode(bytes) {
    if (bytes === undefined) return '';
    if (hasUriCodec && typeof bytes.subarray === 'function') {
      const binary = byteString(bytes);
      if (!/[\x80-\xff]/.test(binary)) return binary;
      try {
        return decodeURIComponent(escape(binary));
      } catch {
        // Ill-formed: decoded byte by byte below.
      }
    }
    return this.decodeEachCodePoint(bytes);
  }

  decodeEachCodePoint(bytes) {
    let out = '';
    let chunk = [];
    const flush = () => {
      out += String.fromCharCode.apply(null, chunk);
      chunk = [];
    };
    const n = bytes.length;
    for (let i = 0; i < n; ) {
      const b0 = bytes[i];
      let cp = 0xfffd;
      let len = 1;
      if (b0 < 0x80) {
        cp = b0;
      } else if (b0 >= 0xc2 && b0 <= 0xdf) {
        if (isCont(bytes[i + 1])) {
          cp = ((b0 & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
          len = 2;
        }
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        const lo = b0 === 0xe0 ? 0xa0 : 0x80;
        const hi = b0 === 0xed ? 0x9f : 0xbf;
        const b1 = bytes[i + 1];
        if (b1 >= lo && b1 <= hi) {
          if (isCont(bytes[i + 2])) {
            cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
            len = 3;
          } else len = 2;
        }
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        const lo = b0 === 0xf0 ? 0x90 : 0x80;
        const hi = b0 === 0xf4 ? 0x8f : 0xbf;
        const b1 = bytes[i + 1];
        if (b1 >= lo && b1 <= hi) {
          if (!isCont(bytes[i + 2])) len = 2;
          else if (!isCont(bytes[i + 3])) len = 3;
          else {
            cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
            len = 4;
          }
        }
      }
      i += len;
      if (cp > 0xffff) {
        cp -= 0x10000;
        chunk.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
      } else chunk.push(cp);
      if (chunk.length >= 8192) flush();
    }
    flush();
    return out;
  }
}

function isCont(b) {
  return b !== undefined && (b & 0xc0) === 0x80;
}

/** Encodes like `TextEncoder` (lone surrogates → U+FFFD), `encodeInto` included. */
class Utf8Encoder {
  constructor() {
    // The glue hands whole strings to `encode` (scripts/patch-glue.mjs) instead of copying the
    // ASCII prefix itself, one char per interpreted step.
    this.encodesWholeStrings = true;
  }

  encode(text = '') {
    if (hasUriCodec) {
      let binary;
      try {
        binary = unescape(encodeURIComponent(text));
      } catch {
        return this.encodeEachCodePoint(text); // a lone surrogate: U+FFFD in its place
      }
      const fromBase64 = uint8ArrayFromBase64();
      if (fromBase64 && typeof btoa === 'function') return fromBase64(btoa(binary));
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return bytes;
    }
    return this.encodeEachCodePoint(text);
  }

  encodeEachCodePoint(text) {
    const bytes = new Uint8Array(text.length * 3);
    return bytes.subarray(0, this.encodeInto(text, bytes).written);
  }

  encodeInto(text, view) {
    let read = 0;
    let written = 0;
    const n = text.length;
    while (read < n) {
      let cp = text.charCodeAt(read);
      let units = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && read + 1 < n) {
        const next = text.charCodeAt(read + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (written + size > view.length) break;
      if (size === 1) view[written] = cp;
      else if (size === 2) {
        view[written] = 0xc0 | (cp >> 6);
        view[written + 1] = 0x80 | (cp & 0x3f);
      } else if (size === 3) {
        view[written] = 0xe0 | (cp >> 12);
        view[written + 1] = 0x80 | ((cp >> 6) & 0x3f);
        view[written + 2] = 0x80 | (cp & 0x3f);
      } else {
        view[written] = 0xf0 | (cp >> 18);
        view[written + 1] = 0x80 | ((cp >> 12) & 0x3f);
        view[written + 2] = 0x80 | ((cp >> 6) & 0x3f);
        view[written + 3] = 0x80 | (cp & 0x3f);
      }
      written += size;
      read += units;
    }
    return { read, written };
  }
}

/** The platform's `TextDecoder` when it has one, else the one above. */
export function newTextDecoder() {
  return typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { ignoreBOM: true }) : new Utf8Decoder();
}

/** The platform's `TextEncoder` when it has one, else the one above. */
export function newTextEncoder() {
  return typeof TextEncoder === 'function' ? new TextEncoder() : new Utf8Encoder();
}

export { Utf8Decoder, Utf8Encoder };
