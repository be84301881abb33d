import type { AwsLivenessApi } from './api';

/** File name of the AWS bundle, beside the main bundle. */
export const AWS_BUNDLE_FILE = 'face-liveness-aws.js';
/** Folder of the AWS mode's runtime files (TF.js WebAssembly, face model), beside the bundles. */
export const ASSETS_FOLDER = 'liveness-assets/';

/** The `src` of the script being evaluated, if it is a classic script with a URL. */
export function currentScriptUrl(doc: Document = document): string | undefined {
  const script = doc.currentScript;
  return script instanceof HTMLScriptElement && script.src ? script.src : undefined;
}

/**
 * The main bundle's own URL, captured while it is evaluated: `document.currentScript` is only set then. Undefined
 * when it runs as a module, from an inline script or in tests.
 */
export const ownScriptUrl: string | undefined = typeof document === 'undefined' ? undefined : currentScriptUrl();

/**
 * The folder (absolute, ending with `/`) that holds `face-liveness-aws.js` and `liveness-assets/`: the
 * `asset-base` attribute when set (resolved against the page), else the folder of the main bundle's own script.
 * Null when neither is known.
 */
export function bundleBase(assetBase: string | undefined, scriptUrl = ownScriptUrl, pageUrl = document.baseURI): string | null {
  const base = assetBase?.trim();
  try {
    if (base) return new URL(base.endsWith('/') ? base : `${base}/`, pageUrl).href;
    if (scriptUrl) return new URL('.', scriptUrl).href;
  } catch {
    return null;
  }
  return null;
}

/** Loads in flight or done, by script URL; a failed load is forgotten so that the next try loads again. */
const loads = new Map<string, Promise<AwsLivenessApi>>();

/**
 * Loads the AWS bundle from `base` with a `<script src>` (same origin as the main bundle, so a CSP of
 * `script-src 'self'` allows it) and answers the API it defines. Loaded once per page; rejects when the script
 * cannot be loaded or does not define `window.DayFusionAwsLiveness`.
 */
export function loadAwsBundle(base: string, doc: Document = document): Promise<AwsLivenessApi> {
  const view = doc.defaultView;
  if (view?.DayFusionAwsLiveness) return Promise.resolve(view.DayFusionAwsLiveness);
  const url = new URL(AWS_BUNDLE_FILE, base).href;
  let load = loads.get(url);
  if (!load) {
    load = new Promise<AwsLivenessApi>((resolve, reject) => {
      const script = doc.createElement('script');
      script.src = url;
      script.async = true;
      script.dataset.dayfusion = 'aws-liveness';
      script.addEventListener('load', () => {
        const api = doc.defaultView?.DayFusionAwsLiveness;
        if (api) resolve(api);
        else reject(new Error(`${url} loaded but did not define DayFusionAwsLiveness`));
      });
      script.addEventListener('error', () => {
        script.remove();
        reject(new Error(`could not load ${url}`));
      });
      doc.head.append(script);
    });
    loads.set(url, load);
    load.catch(() => loads.delete(url));
  }
  return load;
}
