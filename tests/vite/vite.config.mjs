import { fileURLToPath } from 'node:url';

export default {
  root: fileURLToPath(new URL('./app/', import.meta.url)),
  logLevel: 'warn',
  resolve: { alias: { siyu: fileURLToPath(new URL('../../pkg/index.js', import.meta.url)) } },
  build: { outDir: process.env.SIYU_VITE_OUT, emptyOutDir: true, target: 'es2022' },
};
