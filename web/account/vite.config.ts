import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The build that rampartd serves at /account/ on its client HTTPS listener: dist/index.html
// and dist/assets/*. The shared sources in ../shared resolve preact from this package's
// node_modules.
export default defineConfig({
  base: '/account/',
  plugins: [preact()],
  resolve: { dedupe: ['preact'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
