// Vite build of the ops console's single-page app. Everything is bundled (no CDN, no web fonts);
// `/api` is proxied to the console backend during `nx serve console-ui`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const contract = fileURLToPath(new URL('../../libs/console-contract/src/index.ts', import.meta.url));
const backend = process.env['CONSOLE_API_URL'] ?? 'http://127.0.0.1:8088';

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  resolve: { alias: { '@etcd-patterns/console-contract': contract } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': { target: backend, changeOrigin: false, ws: false } },
  },
  preview: { host: '127.0.0.1', proxy: { '/api': { target: backend } } },
});
