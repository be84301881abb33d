import { TestBed } from '@angular/core/testing';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CameraReport } from './bindings/CameraReport';
import type { KioskSettings } from './bindings/KioskSettings';
import { KioskApi } from './kiosk-api';
import { KioskError } from './kiosk-error';

const SETTINGS: KioskSettings = {
  backend: 'embedded',
  language: 'pt-BR',
  cameraId: null,
  kioskId: 'kiosk-001',
};

describe('KioskApi', () => {
  let calls: [string, unknown][];
  let api: KioskApi;

  beforeEach(() => {
    calls = [];
    mockIPC((command, payload) => {
      calls.push([command, payload]);
      if (command === 'save_settings') {
        return (payload as { settings: KioskSettings }).settings;
      }
      if (command === 'health_report') {
        throw { code: 'storage', detail: 'data dir is read-only' };
      }
      if (command === 'get_settings') {
        throw { code: 'somethingNew', detail: 'newer backend' };
      }
      return null;
    });
    api = TestBed.inject(KioskApi);
  });

  afterEach(() => clearMocks());

  it('calls the Rust commands by name with camelCase arguments', async () => {
    const report: CameraReport = {
      state: 'live',
      deviceCount: 1,
      width: 640,
      height: 480,
      frameRate: 30,
    };
    await expect(api.saveSettings(SETTINGS)).resolves.toEqual(SETTINGS);
    await api.reportCameraState(report);
    await api.appInfo();

    expect(calls.map(([command]) => command)).toEqual([
      'save_settings',
      'report_camera_state',
      'app_info',
    ]);
    expect(calls[0][1]).toEqual({ settings: SETTINGS });
    expect(calls[1][1]).toEqual({ report });
  });

  it('rejects with the CommandError code and detail', async () => {
    const failure = await api.healthReport().catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(KioskError);
    expect(failure).toMatchObject({
      code: 'storage',
      detail: 'data dir is read-only',
      messageKey: 'errors.storage',
    });
  });

  it('maps an unknown code to the generic error', async () => {
    await expect(api.getSettings()).rejects.toMatchObject({
      code: 'unknown',
      detail: 'newer backend',
    });
  });

  it('maps a failure outside Tauri to the generic error', async () => {
    clearMocks();
    await expect(api.appInfo()).rejects.toMatchObject({ code: 'unknown' });
  });
});
