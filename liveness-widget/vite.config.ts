import { defineConfig } from 'vitest/config';

/** Builds one self-contained IIFE bundle that defines <face-liveness-widget>; also configures Vitest. */
export default defineConfig(({ command }) => ({
  oxc: { jsx: { runtime: 'automatic' } },
  // React picks its production build from this; Vitest keeps the development build (it has act()).
  define: command === 'build' ? { 'process.env.NODE_ENV': '"production"' } : {},
  build: {
    copyPublicDir: false,
    lib: {
      entry: 'src/main.ts',
      formats: ['iife'],
      name: 'FaceLivenessWidget',
      fileName: () => 'face-liveness-widget.js',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts?(x)'],
  },
}));
