import { afterEach, describe, expect, it } from 'vitest';
import type { AwsLivenessApi } from '../src/aws-mode/api';
import { bundleBase, currentScriptUrl, loadAwsBundle, ownScriptUrl } from '../src/aws-mode/loader';

const fakeApi = { version: 'test' } as AwsLivenessApi;

/** The script elements the loader added for `url`. */
const scriptsFor = (url: string) => [...document.head.querySelectorAll<HTMLScriptElement>('script')].filter((s) => s.src === url);

afterEach(() => {
  delete window.DayFusionAwsLiveness;
  document.head.replaceChildren();
});

describe('bundleBase', () => {
  it('is the folder of the main bundle\'s own script by default', () => {
    expect(bundleBase(undefined, 'tauri://localhost/liveness/face-liveness-widget.js', 'tauri://localhost/')).toBe('tauri://localhost/liveness/');
    expect(bundleBase('', 'http://127.0.0.1:4200/liveness/face-liveness-widget.js?v=2', 'http://127.0.0.1:4200/app/')).toBe(
      'http://127.0.0.1:4200/liveness/',
    );
  });

  it('takes the asset-base attribute when set, resolved against the page, as a folder', () => {
    const script = 'http://127.0.0.1:4200/liveness/face-liveness-widget.js';
    expect(bundleBase('/widget', script, 'http://127.0.0.1:4200/app/page')).toBe('http://127.0.0.1:4200/widget/');
    expect(bundleBase('assets/', script, 'http://127.0.0.1:4200/app/page')).toBe('http://127.0.0.1:4200/app/assets/');
    expect(bundleBase('http://127.0.0.1:9/x/', undefined, 'http://127.0.0.1:4200/')).toBe('http://127.0.0.1:9/x/');
  });

  it('is null when neither is known', () => {
    expect(bundleBase(undefined, undefined, 'http://127.0.0.1/')).toBeNull();
    expect(bundleBase('   ', undefined, 'http://127.0.0.1/')).toBeNull();
  });

  it('captures the script URL only while a classic script runs (none in tests)', () => {
    expect(ownScriptUrl).toBeUndefined();
    expect(currentScriptUrl()).toBeUndefined();
  });
});

describe('loadAwsBundle', () => {
  it('adds one script from the folder and answers the API it defines', async () => {
    const url = 'http://127.0.0.1:4200/a/face-liveness-aws.js';
    const first = loadAwsBundle('http://127.0.0.1:4200/a/');
    const second = loadAwsBundle('http://127.0.0.1:4200/a/');
    const [script, ...others] = scriptsFor(url);
    expect(others).toHaveLength(0);
    expect(script.async).toBe(true);
    window.DayFusionAwsLiveness = fakeApi;
    script.dispatchEvent(new Event('load'));
    expect(await first).toBe(fakeApi);
    expect(await second).toBe(fakeApi);
    // Once defined, no script at all.
    expect(await loadAwsBundle('http://127.0.0.1:4200/elsewhere/')).toBe(fakeApi);
    expect(scriptsFor('http://127.0.0.1:4200/elsewhere/face-liveness-aws.js')).toHaveLength(0);
  });

  it('rejects when the script cannot be loaded, and loads again on the next call', async () => {
    const url = 'http://127.0.0.1:4200/b/face-liveness-aws.js';
    const load = loadAwsBundle('http://127.0.0.1:4200/b/');
    scriptsFor(url)[0].dispatchEvent(new Event('error'));
    await expect(load).rejects.toThrow(`could not load ${url}`);
    expect(scriptsFor(url)).toHaveLength(0);

    const again = loadAwsBundle('http://127.0.0.1:4200/b/');
    expect(scriptsFor(url)).toHaveLength(1);
    window.DayFusionAwsLiveness = fakeApi;
    scriptsFor(url)[0].dispatchEvent(new Event('load'));
    expect(await again).toBe(fakeApi);
  });

  it('rejects a script that loads but defines nothing', async () => {
    const url = 'http://127.0.0.1:4200/c/face-liveness-aws.js';
    const load = loadAwsBundle('http://127.0.0.1:4200/c/');
    scriptsFor(url)[0].dispatchEvent(new Event('load'));
    await expect(load).rejects.toThrow('did not define DayFusionAwsLiveness');
  });
});
