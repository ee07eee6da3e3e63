// Writes pkg/package.json for the npm package `siyu`: ESM, one entry point, typed.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';

const cargo = readFileSync(new URL('../Cargo.toml', import.meta.url), 'utf8');
const field = (name) => cargo.match(new RegExp(`^${name} = "(.*)"`, 'm'))[1];
const files = readdirSync(new URL('../pkg/', import.meta.url)).filter((f) => f !== 'package.json' && f !== '.gitignore');

const pkg = {
  name: 'siyu',
  version: field('version'),
  description: field('description'),
  license: field('license'),
  type: 'module',
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  // WeChat DevTools' "build npm" copies this folder to miniprogram_npm/siyu/ (CommonJS + .wasm.br).
  miniprogram: 'miniprogram',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './engine': { types: './siyu.d.ts', default: './siyu.js' },
    './miniprogram': { types: './miniprogram/index.d.ts', default: './miniprogram/index.js' },
    './authority': { types: './authority.d.ts', default: './authority.js' },
    './siyu_authority.wasm': './siyu_authority.wasm',
    './siyu_bg.wasm': './siyu_bg.wasm',
    './package.json': './package.json',
  },
  files,
  sideEffects: ['./snippets/*'],
  keywords: ['miniprogram', 'wechat', 'wasm', 'loyalty', 'membership', 'coupons', 'points', 'check-in', 'mini-mall'],
};
writeFileSync(new URL('../pkg/package.json', import.meta.url), JSON.stringify(pkg, null, 2) + '\n');
