// A generated section of a Markdown file (BENCHMARKS.md), between `<!-- NAME:start -->` and
// `<!-- NAME:end -->`: replaced where it is, appended when the file has none. bench/run.mjs
// rewrites the file whole; the benchmarks run after it (jsc.mjs, rush.mjs) put their sections back.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeSection(file, name, body) {
  const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
  const section = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = text.indexOf(start);
  const until = text.indexOf(end);
  const next = at >= 0 && until > at ? text.slice(0, at) + section + text.slice(until + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
