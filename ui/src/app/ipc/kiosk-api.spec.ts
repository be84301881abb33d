import { TestBed } from '@angular/core/testing';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CameraReport } from './bindings/CameraReport';
import type { KioskSettings } from './bindings/KioskSettings';
import { SETTINGS as BRANCH_SETTINGS } from '../testing/fixtures';
import { KioskApi } from './kiosk-api';
import { KioskError } from './kiosk-error';

const SETTINGS: KioskSettings = {
  ...BRANCH_SETTINGS,
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
      if (command === 'visit_document_file') {
        throw { code: 'visit', detail: '[document-unreadable] not an image' };
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
    await expect(api.saveSettings(SETTINGS, 'staff-token')).resolves.toEqual(SETTINGS);
    await api.reportCameraState(report);
    await api.appInfo();
    await expect(api.privacyNotice()).resolves.toBeNull();
    await api.pinCamera('HD Pro Webcam C920', 'staff-token');

    expect(calls.map(([command]) => command)).toEqual([
      'save_settings',
      'report_camera_state',
      'app_info',
      'privacy_notice',
      'pin_camera',
    ]);
    expect(calls[4][1]).toEqual({ label: 'HD Pro Webcam C920', token: 'staff-token' });
    expect(calls[0][1]).toEqual({ settings: SETTINGS, token: 'staff-token' });
    expect(calls[1][1]).toEqual({ report });
  });

  it('sends the visit and staff commands with camelCase arguments', async () => {
    await api.visitBegin('en');
    await api.visitBegin('pt-BR', 'field-token');
    await api.visitConsent('v-1', false);
    await api.visitComplete('v-1', 'pt-BR');
    await api.visitEnd('v-1', 'idle');
    await api.staffSignIn('ana.souza', '482916');
    await api.staffChangePin('t-1', '482916', '739205');
    await api.reviewDetail('t-1', 'tx-9', 'en');
    await api.reviewResolve('t-1', 'tx-9', 'reject', 'Rosto diferente');
    await api.syncStatus();

    expect(calls.map(([command, payload]) => [command, payload])).toEqual([
      ['visit_begin', { lang: 'en', token: null }],
      ['visit_begin', { lang: 'pt-BR', token: 'field-token' }],
      ['visit_consent', { visitId: 'v-1', accepted: false, text: null }],
      ['visit_complete', { visitId: 'v-1', lang: 'pt-BR' }],
      ['visit_end', { visitId: 'v-1', reason: 'idle' }],
      ['staff_sign_in', { account: 'ana.souza', pin: '482916' }],
      ['staff_change_pin', { token: 't-1', oldPin: '482916', newPin: '739205' }],
      ['review_detail', { token: 't-1', transactionId: 'tx-9', lang: 'en' }],
      [
        'review_resolve',
        { token: 't-1', transactionId: 'tx-9', verdict: 'reject', reason: 'Rosto diferente' },
      ],
      ['sync_status', {}],
    ]);
  });

  it('sends camera frames as raw bodies, the document one with its visit in a header', async () => {
    const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: () => unknown } })
      .__TAURI_INTERNALS__;
    const invoke = vi.spyOn(internals, 'invoke');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    await api.visitDocumentImage('v-1', jpeg);
    await api.documentFrameQuality(jpeg);

    expect(invoke.mock.calls).toEqual([
      ['visit_document_image', jpeg, { headers: { 'x-visit-id': 'v-1' } }],
      ['document_frame_quality', jpeg, undefined],
    ]);
  });

  it('keeps the refusal code of a visit error', async () => {
    const failure = await api
      .visitDocumentFile('v-1', 'staff-token')
      .catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(KioskError);
    expect((failure as KioskError).code).toBe('visit');
    expect((failure as KioskError).refusal('visit')).toBe('document-unreadable');
    expect((failure as KioskError).refusal('staff')).toBeNull();
  });

  it('sends the document picker commands with the visit, the medium and a relative path', async () => {
    await api.visitMediaList('v-1');
    await api.visitMediaBrowse('v-1', 'm-1', 'DCIM');
    await api.visitDocumentMedia('v-1', 'm-1', 'DCIM/rg.jpg');

    expect(calls).toEqual([
      ['visit_media_list', { visitId: 'v-1' }],
      ['visit_media_browse', { visitId: 'v-1', mediumId: 'm-1', path: 'DCIM' }],
      ['visit_document_media', { visitId: 'v-1', mediumId: 'm-1', path: 'DCIM/rg.jpg' }],
    ]);
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
