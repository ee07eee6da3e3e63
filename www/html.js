// A tiny escaping template tag: interpolations are escaped unless they are `html` results.

class Safe {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function piece(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Safe) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(value);
}

/**
 * html`<p class=${cls}>${text}</p>` — safe by default; nest freely. A value right after `=` is an
 * attribute value and gets its quotes here.
 */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    const attr = strings[i].endsWith('=');
    out += (attr ? `"${piece(values[i])}"` : piece(values[i])) + strings[i + 1];
  }
  return new Safe(out);
}

/** Trusted markup (inline SVG icons). */
export const raw = (text) => new Safe(text);
