import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LivenessCredentials } from '../../ui/src/app/ipc/bindings/LivenessCredentials';
import list from '../../src-tauri/face-liveness-regions.json';
import type { AwsLivenessApi, AwsMountOptions } from '../src/aws-mode/api';
import { CredentialsError, parseCredentials } from '../src/aws-mode/credentials';
import { FACE_LIVENESS_REGIONS, isFaceLivenessRegion } from '../src/aws-mode/regions';
import { defaultEnvironment, environment } from '../src/environment';
import type { TauriInternals } from '../src/transport';
import '../src/main';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const VPC = 'wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com';
const good: LivenessCredentials = {
  accessKeyId: 'ASIAFAKEREGIONS',
  secretAccessKey: 'regions-secret-must-not-leak',
  sessionToken: 'regions-token-must-not-leak',
  expiration: new Date(NOW + 15 * 60_000).toISOString(),
  region: 'sa-east-1',
};

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Face Liveness regions', () => {
  it('are the kiosk\'s one list, which names the AWS page and the date it was checked', () => {
    expect(FACE_LIVENESS_REGIONS).toEqual(list.regions.map((r) => r.code));
    expect(FACE_LIVENESS_REGIONS).toContain('sa-east-1');
    expect(list.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/general\/latest\/gr\/rekognition\.html/);
    expect(list.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(isFaceLivenessRegion('us-east-1')).toBe(true);
    for (const region of ['eu-central-1', 'ap-southeast-2', 'SA-EAST-1', '']) expect(isFaceLivenessRegion(region), region).toBe(false);
  });

  it('credentials for a region without Face Liveness are a configuration error for staff, without quoting secrets', () => {
    const error = thrown(() => parseCredentials({ ...good, region: 'eu-central-1' }));
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).code).toBe('aws-endpoint-invalid');
    expect((error as Error).message).toContain('eu-central-1');
    expect((error as Error).message).not.toContain('regions-secret');
  });

  it('takes the host\'s streaming endpoint, normalised, and refuses one that is not a wss: origin', () => {
    expect(parseCredentials(good)).not.toHaveProperty('endpoint');
    expect(parseCredentials({ ...good, endpoint: `${VPC}/` }).endpoint).toBe(VPC);
    expect(parseCredentials({ ...good, endpoint: 'wss://127.0.0.1:8443' }).endpoint).toBe('wss://127.0.0.1:8443');
    for (const endpoint of ['https://example.com', `${VPC}/start-face-liveness-session-websocket`, 'not a url']) {
      const error = thrown(() => parseCredentials({ ...good, endpoint }));
      expect(error, endpoint).toBeInstanceOf(CredentialsError);
      expect((error as CredentialsError).code).toBe('aws-endpoint-invalid');
    }
  });
});

describe('AWS mode with the host\'s endpoint', () => {
  const mounts: AwsMountOptions[] = [];

  beforeEach(() => {
    mounts.length = 0;
    environment.wallClock = () => NOW;
    const api: AwsLivenessApi = {
      version: 'test',
      checkAssets: () => Promise.resolve(),
      mount: (_container, options) => {
        mounts.push(options);
        return { update: vi.fn(), unmount: vi.fn() };
      },
    };
    environment.awsBundle = () => Promise.resolve(api);
  });

  afterEach(() => {
    document.body.replaceChildren();
    Object.assign(environment, defaultEnvironment);
    delete window.__TAURI_INTERNALS__;
  });

  async function start(answer: LivenessCredentials, attributes: Record<string, string> = {}) {
    const invoke = (cmd: string) =>
      cmd === 'liveness_credentials' ? Promise.resolve(answer) : Promise.reject(new Error(`no command ${cmd}`));
    window.__TAURI_INTERNALS__ = { invoke } as unknown as TauriInternals;
    const element = document.createElement('face-liveness-widget');
    const all = { provider: 'aws', 'session-id': 'session-regions', 'asset-base': 'http://127.0.0.1:4200/liveness/', ...attributes };
    for (const [name, value] of Object.entries(all)) element.setAttribute(name, value);
    document.body.append(element);
    const state = () => element.querySelector('[data-provider="aws"]')?.getAttribute('data-state');
    await vi.waitFor(() => expect(state()).toBe('intro'));
    element.querySelector<HTMLButtonElement>('button[data-action="start"]')!.click();
    await vi.waitFor(() => expect(['capture', 'error']).toContain(state()));
    return element;
  }

  it('streams to the kiosk\'s private endpoint from the credentials; the page\'s aws-endpoint comes first', async () => {
    await start({ ...good, endpoint: VPC });
    expect(mounts.at(-1)).toMatchObject({ region: 'sa-east-1', endpoint: VPC });

    document.body.replaceChildren();
    await start({ ...good, endpoint: VPC }, { 'aws-endpoint': 'wss://liveness.bank.example' });
    expect(mounts.at(-1)?.endpoint).toBe('wss://liveness.bank.example');
  });

  it('refuses a region without Face Liveness before mounting the detector', async () => {
    const element = await start({ ...good, region: 'eu-central-1' });
    expect(element.querySelector('[data-provider="aws"]')?.getAttribute('data-error')).toBe('aws-endpoint-invalid');
    expect(mounts).toEqual([]);
  });
});
