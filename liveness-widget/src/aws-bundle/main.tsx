// Entry of face-liveness-aws.js, the AWS mode's bundle: loaded by face-liveness-widget.js with a <script src>
// only when provider="aws", it defines window.DayFusionAwsLiveness.
import amplifyCss from '@aws-amplify/ui-react-liveness/styles.css?inline';
import { env } from '@tensorflow/tfjs-core';
// Registers the WebAssembly backend and its flags (the same single copy Amplify uses).
import '@tensorflow/tfjs-backend-wasm';
import { version } from '../../package.json';
import { sha256Hex } from './assets';
import { createAwsLivenessApi } from './api';

// TF.js picks its threaded SIMD build when the page is cross-origin isolated; that build starts workers from a
// blob of its glue code, which cannot work from a bundle (and would need script-src blob:). Always single-thread.
env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

window.DayFusionAwsLiveness = createAwsLivenessApi(version, amplifyCss, {
  fetch: (url) => fetch(url, { credentials: 'same-origin' }),
  digest: sha256Hex,
  simd: () => env().getAsync('WASM_HAS_SIMD_SUPPORT') as Promise<boolean>,
});
