import { ApplicationInitStatus } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { StaffSession } from '../staff/staff-session';
import { type CameraDevice, CameraDevices } from '../camera/camera-devices';
import { provideI18n } from '../i18n/translations';
import type { AppInfo } from '../ipc/bindings/AppInfo';
import type { HealthReport } from '../ipc/bindings/HealthReport';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import { KioskApi } from '../ipc/kiosk-api';
import type { StaffRole } from '../ipc/bindings/StaffRole';
import { SETTINGS, staffSession } from '../testing/fixtures';
import { KioskStatus } from './kiosk-status';

const APP_INFO: AppInfo = {
  name: 'DayFusion Kiosk',
  version: '1.2.3',
  buildProfile: 'release',
  windowed: false,
  mockCamera: false,
  environmentCameraPin: null,
};

const HEALTH: HealthReport = {
  status: 'warning',
  checkedAt: '2026-11-25T13:00:00Z',
  checks: [
    { id: 'dataDir', status: 'ok', detail: '/var/lib/dayfusion' },
    { id: 'diskSpace', status: 'warning', detail: '900 MiB free' },
    { id: 'camera', status: 'failing', detail: 'no camera report yet' },
  ],
};

/** Test double of the IPC edge: resolves with fixed data, records every call. */
function fakeApi(settings: Partial<KioskSettings> = {}) {
  const stored: KioskSettings = { ...SETTINGS, kioskId: 'kiosk-042', ...settings };
  return {
    appInfo: vi.fn(async () => APP_INFO),
    healthReport: vi.fn(async () => HEALTH),
    getSettings: vi.fn(async () => stored),
    saveSettings: vi.fn(async (next: KioskSettings) => next),
    pinCamera: vi.fn<(label: string, token: string) => Promise<KioskSettings>>(async () => ({
      ...stored,
      cameraPin: '046d:082d:K1',
    })),
    reportCameraState: vi.fn(async () => undefined),
  };
}

const CAMERAS: CameraDevice[] = [
  { deviceId: 'cam-front', label: 'Front camera' },
  { deviceId: 'cam-desk', label: '' },
];

describe('KioskStatus', () => {
  let api: ReturnType<typeof fakeApi>;
  let fixture: ComponentFixture<KioskStatus>;

  async function render(role: StaffRole = 'admin'): Promise<HTMLElement> {
    TestBed.configureTestingModule({
      providers: [
        provideI18n(),
        provideRouter([]),
        { provide: KioskApi, useValue: api },
        {
          provide: CameraDevices,
          useValue: { list: vi.fn(async () => CAMERAS), watch: () => () => undefined },
        },
      ],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    // The status screen is a staff screen: saving sends the signed-in session's token.
    TestBed.inject(StaffSession).begin(staffSession(role, 'staff-token'));
    fixture = TestBed.createComponent(KioskStatus);
    await settle();
    return fixture.nativeElement as HTMLElement;
  }

  /** Lets pending promise chains finish, then renders. */
  async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  }

  function text(root: HTMLElement, testId: string): string {
    return root.querySelector(`[data-testid="${testId}"]`)?.textContent?.trim() ?? '';
  }

  beforeEach(() => {
    api = fakeApi();
  });

  it('shows the application facts and health rows with translated labels', async () => {
    const root = await render();

    expect(root.querySelector('h1')?.textContent).toContain('Status do quiosque');
    expect(text(root, 'app-version')).toBe('1.2.3');
    expect(text(root, 'build-profile')).toBe('release');
    expect(text(root, 'backend-mode')).toBe('Embarcado (offline)');
    expect(text(root, 'kiosk-id')).toBe('kiosk-042');

    const overall = root.querySelector('[data-testid="health-status"]');
    expect(overall?.getAttribute('data-status')).toBe('warning');
    expect(overall?.textContent).toContain('Atenção');

    const rows = root.querySelectorAll('[data-testid^="health-check-"]');
    expect(rows).toHaveLength(3);
    const disk = root.querySelector('[data-testid="health-check-diskSpace"]');
    expect(disk?.getAttribute('data-status')).toBe('warning');
    expect(disk?.textContent).toContain('Espaço em disco');
    expect(disk?.querySelector('[data-testid="health-detail"]')?.textContent).toBe('900 MiB free');
    const camera = root.querySelector('[data-testid="health-check-camera"]');
    expect(camera?.textContent).toContain('Câmera');
    expect(camera?.textContent).toContain('Falha');
    expect(root.querySelector('[data-testid="error-banner"]')).toBeNull();
  });

  it('refreshes the health report on request', async () => {
    const root = await render();
    root.querySelector<HTMLButtonElement>('[data-testid="health-refresh"]')?.click();
    await settle();
    expect(api.healthReport).toHaveBeenCalledTimes(2);
  });

  it('lists the cameras and saves the one chosen', async () => {
    const root = await render();
    const select = root.querySelector<HTMLSelectElement>('[data-testid="camera-select"]');
    expect(Array.from(select?.options ?? [], (option) => option.text.trim())).toEqual([
      'Câmera padrão do sistema',
      'Front camera',
      'Câmera 2',
    ]);

    select!.value = 'cam-desk';
    select!.dispatchEvent(new Event('change'));
    await settle();

    expect(api.saveSettings).toHaveBeenCalledWith(
      expect.objectContaining({ cameraId: 'cam-desk' }),
      'staff-token',
    );
    expect(root.querySelector('face-liveness-widget')?.getAttribute('camera-id')).toBe('cam-desk');
  });

  it('preselects the saved camera', async () => {
    api = fakeApi({ cameraId: 'cam-front' });
    const root = await render();
    expect(root.querySelector<HTMLSelectElement>('[data-testid="camera-select"]')?.value).toBe(
      'cam-front',
    );
    expect(root.querySelector('face-liveness-widget')?.getAttribute('camera-id')).toBe('cam-front');
    expect(root.querySelector('[data-testid="camera-missing"]')).toBeNull();
  });

  it('falls back to the default camera when the saved one is gone', async () => {
    api = fakeApi({ cameraId: 'cam-unplugged' });
    const root = await render();
    expect(text(root, 'camera-missing')).toContain('não está conectada');
    expect(root.querySelector<HTMLSelectElement>('[data-testid="camera-select"]')?.value).toBe('');
    expect(root.querySelector('face-liveness-widget')?.hasAttribute('camera-id')).toBe(false);
  });

  it('pins the chosen camera by its label and removes the pin', async () => {
    api = fakeApi({ cameraId: 'cam-front' });
    const root = await render();
    expect(text(root, 'camera-pin-state')).toContain('Nenhuma câmera fixada');
    expect(root.querySelector('[data-testid="camera-unpin-button"]')).toBeNull();

    root.querySelector<HTMLButtonElement>('[data-testid="camera-pin-button"]')?.click();
    await settle();
    expect(api.pinCamera).toHaveBeenCalledWith('Front camera', 'staff-token');
    expect(text(root, 'camera-pin-state')).toBe(
      'Só esta câmera pode filmar a prova de vida: 046d:082d:K1.',
    );

    root.querySelector<HTMLButtonElement>('[data-testid="camera-unpin-button"]')?.click();
    await settle();
    expect(api.saveSettings).toHaveBeenLastCalledWith(
      expect.objectContaining({ cameraPin: null, cameraId: 'cam-front' }),
      'staff-token',
    );
    expect(text(root, 'camera-pin-state')).toContain('Nenhuma câmera fixada');
  });

  it('asks for a named camera before pinning and says why the kiosk refused one', async () => {
    const root = await render();
    const pin = root.querySelector<HTMLButtonElement>('[data-testid="camera-pin-button"]');
    expect(pin?.disabled).toBe(true);
    expect(text(root, 'camera-pin-choose')).toContain('Escolha uma câmera');

    const select = root.querySelector<HTMLSelectElement>('[data-testid="camera-select"]');
    select!.value = 'cam-front';
    select!.dispatchEvent(new Event('change'));
    await settle();
    api.pinCamera.mockRejectedValueOnce({
      code: 'invalidInput',
      detail: '[camera-virtual] the camera "Front camera" is virtual (v4l2loopback)',
    });
    pin!.click();
    await settle();
    const refused = root.querySelector('[data-testid="camera-pin-refused"]');
    expect(refused?.getAttribute('role')).toBe('alert');
    expect(refused?.textContent).toContain('câmera virtual');
    expect(root.querySelector('[data-testid="error-banner"]')).toBeNull();
    expect(text(root, 'camera-pin-state')).toContain('Nenhuma câmera fixada');
  });

  it('says when the installation pins the camera and the settings do not', async () => {
    api = fakeApi({ cameraId: 'cam-front' });
    api.appInfo.mockResolvedValue({ ...APP_INFO, environmentCameraPin: '534d:2109' });
    const root = await render();
    expect(text(root, 'camera-pin-state')).toContain('534d:2109, definida na instalação');
    expect(root.querySelector('[data-testid="camera-unpin-button"]')).toBeNull();
  });

  it('shows the pin to reviewers without letting them change it', async () => {
    api = fakeApi({ cameraId: 'cam-front', cameraPin: '046d:082d' });
    const root = await render('reviewer');
    expect(text(root, 'camera-pin-state')).toContain('046d:082d');
    expect(root.querySelector('[data-testid="camera-pin-button"]')).toBeNull();
    expect(root.querySelector('[data-testid="camera-unpin-button"]')).toBeNull();
  });

  it('switches from pt-BR to en at once and saves the language', async () => {
    const root = await render();
    expect(document.documentElement.lang).toBe('pt-BR');

    root.querySelector<HTMLButtonElement>('[data-testid="lang-en"]')?.click();
    await settle();

    expect(root.querySelector('h1')?.textContent).toContain('Kiosk status');
    expect(text(root, 'backend-mode')).toBe('Embedded (offline)');
    expect(document.documentElement.lang).toBe('en');
    expect(root.querySelector('face-liveness-widget')?.getAttribute('lang')).toBe('en');
    expect(root.querySelector('[data-testid="lang-en"]')?.getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(api.saveSettings).toHaveBeenCalledWith(expect.objectContaining({ language: 'en' }), 'staff-token');
  });

  it('starts in the stored language', async () => {
    api = fakeApi({ language: 'en' });
    const root = await render();
    expect(root.querySelector('h1')?.textContent).toContain('Kiosk status');
    expect(document.documentElement.lang).toBe('en');
  });

  it('shows a translated banner when a command fails and keeps the rest', async () => {
    api.healthReport.mockRejectedValue({ code: 'storage', detail: 'log dir is read-only' });
    const root = await render();

    const banner = root.querySelector('[data-testid="error-banner"]');
    expect(banner?.getAttribute('role')).toBe('alert');
    expect(banner?.textContent).toContain('Falha ao gravar ou ler arquivos do quiosque.');
    expect(banner?.textContent).toContain('log dir is read-only');
    expect(text(root, 'app-version')).toBe('1.2.3');
  });

  it('shows the generic message for an unexpected rejection', async () => {
    api.appInfo.mockRejectedValue(new TypeError('window.__TAURI_INTERNALS__ is undefined'));
    const root = await render();
    expect(text(root, 'error-banner')).toContain(
      'Não foi possível falar com o serviço do quiosque.',
    );
    expect(text(root, 'app-version')).toBe('Indisponível');
  });

  it('reports a camera-error of the preview and refreshes health', async () => {
    const root = await render();
    const widget = root.querySelector('[data-testid="camera-preview"] face-liveness-widget');
    // The status screen only previews the camera: no liveness session there.
    expect(widget?.getAttribute('mode')).toBe('preview');
    expect(root.querySelector('[data-testid="open-liveness-check"]')?.getAttribute('href')).toBe('/staff/liveness-check');
    widget?.dispatchEvent(
      new CustomEvent('camera-error', {
        detail: { state: 'notReadable', deviceCount: 2, errorName: 'NotReadableError' },
      }),
    );
    await settle();

    expect(api.reportCameraState).toHaveBeenCalledWith({
      state: 'notReadable',
      deviceCount: 2,
      width: null,
      height: null,
      frameRate: null,
    });
    expect(api.healthReport).toHaveBeenCalledTimes(2);
    const status = root.querySelector('[data-testid="camera-status"]');
    expect(status?.getAttribute('data-state')).toBe('notReadable');
    expect(status?.textContent).toContain('A câmera está em uso');
  });

  it('edits and saves the visit settings, keeping the others', async () => {
    const root = await render();
    const input = (testId: string, value: string) => {
      const field = root.querySelector<HTMLInputElement>(`[data-testid="${testId}"]`);
      if (!field) throw new Error(testId);
      field.value = value;
      field.dispatchEvent(new Event('input'));
    };
    expect(root.querySelector<HTMLInputElement>('[data-testid="settings-retention-days"]')?.value).toBe('180');
    expect(root.querySelector<HTMLInputElement>('[data-testid="settings-idle-timeout"]')?.value).toBe('90');

    input('settings-policy-id', 'strict');
    input('settings-retention-days', '365');
    input('settings-idle-timeout', '20');
    input('settings-sync-alert-hours', '0');
    input('settings-document-inbox', 'scans');
    await settle();
    root.querySelector<HTMLButtonElement>('[data-testid="settings-save"]')?.click();
    await settle();
    // Checked before saving, with the backend's rules.
    expect(api.saveSettings).not.toHaveBeenCalled();
    expect(text(root, 'settings-form')).toContain('De 30 a 600 segundos.');
    expect(text(root, 'settings-form')).toContain('De 1 a 720 horas.');
    expect(text(root, 'settings-form')).toContain('caminho absoluto');

    input('settings-idle-timeout', '120');
    input('settings-sync-alert-hours', '48');
    input('settings-document-inbox', '/srv/scans');
    root.querySelector<HTMLInputElement>('[data-testid="settings-spoken-guidance"]')?.click();
    await settle();
    root.querySelector<HTMLButtonElement>('[data-testid="settings-save"]')?.click();
    await settle();
    expect(api.saveSettings).toHaveBeenCalledWith({
      backend: 'embedded',
      language: 'pt-BR',
      cameraId: null,
      kioskId: 'kiosk-042',
      policyId: 'strict',
      retentionDays: 365,
      idleTimeoutSeconds: 120,
      syncAlertHours: 48,
      documentInbox: '/srv/scans',
      mode: 'kiosk',
      cameraPin: null,
      spokenGuidance: true,
    }, 'staff-token');
    expect(text(root, 'settings-saved')).toBe('Configurações salvas.');
  });

  it('lets an admin switch the kiosk to field mode', async () => {
    const root = await render();
    const mode = root.querySelector<HTMLSelectElement>('[data-testid="settings-mode"]');
    expect(mode?.value).toBe('kiosk');
    expect(text(root, 'settings-form')).toContain('próximo início');
    mode!.value = 'field';
    mode!.dispatchEvent(new Event('change'));
    await settle();
    root.querySelector<HTMLButtonElement>('[data-testid="settings-save"]')?.click();
    await settle();
    expect(api.saveSettings).toHaveBeenCalledWith(
      expect.objectContaining({ mode: 'field', kioskId: 'kiosk-042' }),
      'staff-token',
    );
  });

  it('shows a reviewer the settings read-only: no saving, no camera or language change', async () => {
    const root = await render('reviewer');
    expect(root.querySelector('[data-testid="settings-save"]')).toBeNull();
    expect(text(root, 'settings-readonly')).toContain('Só a administração');
    for (const id of ['settings-backend', 'settings-kiosk-id', 'settings-mode', 'camera-select']) {
      const control = root.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);
      expect(control?.disabled, id).toBe(true);
    }
    expect(root.querySelector('[data-testid="aws-save"]')).toBeNull();
    root.querySelector('[data-testid="settings-form"]')?.dispatchEvent(new Event('submit'));
    // The language changes this screen only.
    root.querySelector<HTMLButtonElement>('[data-testid="lang-en"]')?.click();
    await settle();
    expect(document.documentElement.lang).toBe('en');
    expect(api.saveSettings).not.toHaveBeenCalled();
  });

  it('says when the backend refuses the role ([forbidden])', async () => {
    api.saveSettings.mockRejectedValueOnce({
      code: 'staff',
      detail: '[forbidden] the reviewer role may not administer the kiosk',
    });
    const root = await render();
    root.querySelector<HTMLButtonElement>('[data-testid="lang-en"]')?.click();
    await settle();
    expect(text(root, 'error-message')).toBe('Your role does not allow this.');
  });

  it('says under the inbox field why the backend refused the folder', async () => {
    api.saveSettings.mockRejectedValueOnce({
      code: 'invalidInput',
      detail: "[inbox-data-folder] the document inbox cannot be the kiosk's data folder",
    });
    const root = await render();
    const field = root.querySelector<HTMLInputElement>('[data-testid="settings-document-inbox"]');
    if (!field) throw new Error('settings-document-inbox');
    field.value = '/var/lib/dayfusion';
    field.dispatchEvent(new Event('input'));
    await settle();
    root.querySelector<HTMLButtonElement>('[data-testid="settings-save"]')?.click();
    await settle();
    expect(api.saveSettings).toHaveBeenCalledTimes(1);
    expect(text(root, 'settings-form')).toContain('Esta é a pasta de dados do quiosque');
    expect(root.querySelector('[data-testid="settings-saved"]')).toBeNull();
  });

  it('reports an unexpected camera-error state as error', async () => {
    const root = await render();
    root
      .querySelector('face-liveness-widget')
      ?.dispatchEvent(
        new CustomEvent('camera-error', { detail: { state: 'weird', deviceCount: 0 } }),
      );
    await settle();
    expect(api.reportCameraState).toHaveBeenCalledWith(expect.objectContaining({ state: 'error' }));
  });

  it('reports camera-ready with the frame format', async () => {
    const root = await render();
    root.querySelector('face-liveness-widget')?.dispatchEvent(
      new CustomEvent('camera-ready', {
        detail: { state: 'live', deviceCount: 1, width: 1280, height: 720, frameRate: 29.97 },
      }),
    );
    await settle();

    expect(api.reportCameraState).toHaveBeenCalledWith({
      state: 'live',
      deviceCount: 1,
      width: 1280,
      height: 720,
      frameRate: 29.97,
    });
    expect(text(root, 'camera-status')).toContain('1280 × 720');
    expect(text(root, 'camera-status')).toContain('30 quadros por segundo');
  });
});
