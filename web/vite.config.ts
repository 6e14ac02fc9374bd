import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The SPA is served by `revenge serve` at `/`; in `npm run dev` the API is proxied to it.
export default defineConfig({
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: {
    proxy: { '/api': process.env.REVENGE_API_URL ?? 'http://127.0.0.1:8096' },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});
