import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** The TF.js version Amplify's detector is built for; the WebAssembly binaries in liveness-assets/ must match. */
const TFJS_VERSION = '4.11.0';

/**
 * Fails the build unless every module of each TF.js package comes from one installed copy of the pinned version:
 * two copies of tfjs-core would each keep their own backend registry and flags (the detector would not see the
 * single-thread setting, nor the WebAssembly paths).
 */
function singleTfjsCopy(): Plugin {
  return {
    name: 'single-tfjs-copy',
    generateBundle(_options, bundle) {
      const roots = new Map<string, Set<string>>();
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        for (const id of chunk.moduleIds) {
          const match = /^(.*[\\/]node_modules[\\/]@tensorflow[\\/](tfjs-[a-z-]+))[\\/]/.exec(id);
          if (match) roots.set(match[2], (roots.get(match[2]) ?? new Set()).add(match[1]));
        }
      }
      if (!roots.has('tfjs-core')) this.error('@tensorflow/tfjs-core is not in the AWS bundle');
      for (const [name, folders] of roots) {
        if (folders.size !== 1) this.error(`${folders.size} copies of @tensorflow/${name} in the AWS bundle: ${[...folders].join(', ')}`);
        const [folder] = folders;
        const { version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string };
        if (version !== TFJS_VERSION) this.error(`@tensorflow/${name} ${version} in the AWS bundle, expected ${TFJS_VERSION}`);
      }
    },
  };
}

/**
 * Builds face-liveness-aws.js: the AWS mode (the Amplify detector, React, TF.js) as one IIFE that defines
 * window.DayFusionAwsLiveness, loaded by face-liveness-widget.js only when provider="aws". Beside the main
 * bundle in dist/ (which the first build emptied).
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  // Library mode leaves process.env.* alone; React and Amplify read NODE_ENV.
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [singleTfjsCopy()],
  build: {
    copyPublicDir: false,
    emptyOutDir: false,
    // Amplify, React and TF.js: about 1.5 MB, loaded on demand only.
    chunkSizeWarningLimit: 2048,
    rolldownOptions: {
      onwarn(warning, warn) {
        // Radix's "use client" markers mean nothing in a browser bundle.
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
    lib: {
      entry: 'src/aws-bundle/main.tsx',
      formats: ['iife'],
      name: 'DayFusionAwsLivenessBundle',
      fileName: () => 'face-liveness-aws.js',
    },
  },
});
