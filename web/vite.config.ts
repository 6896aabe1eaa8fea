// Vite builds the two pages (chat, next-word explorer) into web/dist, which `ponder serve` serves at /.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    rollupOptions: { input: { chat: here('index.html'), explorer: here('explorer.html') } },
  },
});
