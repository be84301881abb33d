import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { routes } from '../app.routes';
import { provideI18n } from '../i18n/translations';
import type { CameraState } from '../ipc/bindings/CameraState';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import type { SignInOutcome } from '../ipc/bindings/SignInOutcome';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import type { VisitInfo } from '../ipc/bindings/VisitInfo';
import { KioskApi } from '../ipc/kiosk-api';
import { StaffSession } from '../staff/staff-session';
import {
  FIELD_SETTINGS,
  SETTINGS,
  HEALTHY,
  SYNC_IDLE,
  TestIds,
  staffSession,
  settleFakeTimers,
  fakeCameraProbe,
} from '../testing/fixtures';
import { SYNC_REFRESH_SECONDS } from './attract';

const INFO: VisitInfo = {
  visitId: 'visit-1',
  idleTimeoutSeconds: 60,
  retentionDays: 120,
  consentVersion: 'lgpd-2026-11',
  documentSources: { removableMedia: true, camera: true, scanner: false, inbox: true },
  processors: [],
  operatorName: null,
  receiptPrinter: false,
};

const SYNC: SyncStatus = { ...SYNC_IDLE, pending: 3 };

function fakeApi(settings: KioskSettings) {
  return {
    getSettings: vi.fn(async () => settings),
    healthReport: vi.fn(async () => HEALTHY),
    syncStatus: vi.fn(async (): Promise<SyncStatus> => SYNC),
    reportCameraState: vi.fn(async () => undefined),
    staffStatus: vi.fn(async () => ({ provisioned: true })),
    staffSignIn: vi.fn(async (): Promise<SignInOutcome> => ({
      kind: 'signed-in',
      session: staffSession('field-agent', 'field-token'),
    })),
    staffSignOut: vi.fn(async () => undefined),
    visitBegin: vi.fn(async () => INFO),
    visitConsent: vi.fn(async () => undefined),
    visitEnd: vi.fn(async () => undefined),
  };
}

describe('attract screen', () => {
  let api: ReturnType<typeof fakeApi>;
  let harness: RouterTestingHarness;
  let camera: ReturnType<typeof fakeCameraProbe>['fake'];
  const ids = TestIds.of(
    () => harness,
    () => settle(),
  );

  async function open(settings: KioskSettings, cameraState: CameraState = 'live'): Promise<void> {
    api = fakeApi(settings);
    const probe = fakeCameraProbe(cameraState);
    camera = probe.fake;
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes),
        provideI18n(),
        { provide: KioskApi, useValue: api },
        probe.provider,
      ],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    harness = await RouterTestingHarness.create('/');
    await settle();
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function settle(ms = 0): Promise<void> {
    return settleFakeTimers(harness, ms);
  }

  function url(): string {
    return TestBed.inject(Router).url;
  }

  function setOnline(online: boolean): void {
    Object.defineProperty(window.navigator, 'onLine', { configurable: true, get: () => online });
    window.dispatchEvent(new Event(online ? 'online' : 'offline'));
  }

  afterEach(() => {
    // Back to jsdom's own navigator.onLine.
    delete (window.navigator as unknown as Record<string, unknown>)['onLine'];
  });

  it('on a branch kiosk starts visits without anyone signed in and shows no field badge', async () => {
    await open(SETTINGS);
    expect(ids.get('attract').getAttribute('data-mode')).toBe('kiosk');
    expect(ids.find('field-mode')).toBeNull();
    expect(ids.find('sync-badge')).toBeNull();
    expect(api.syncStatus).not.toHaveBeenCalled();
    expect(ids.text('start')).toContain('Toque para começar');
    await ids.tap('start');
    await ids.tap('lang-pt-BR');
    expect(api.visitBegin).toHaveBeenCalledWith('pt-BR', null);
  });

  it('a camera that failed its probe stops a visit before the consent, until it works again', async () => {
    await open(SETTINGS, 'notFound');
    expect(ids.text('camera-down')).toContain('A câmera deste terminal não está funcionando');
    await ids.tap('start');
    // Probed again at once (it may have been plugged back in): still missing, so no visit.
    expect(camera.works).toHaveBeenLastCalledWith(null);
    expect(url()).toBe('/');
    expect(ids.find('visit-language')).toBeNull();
    expect(api.visitBegin).not.toHaveBeenCalled();

    // The keypad's 0 (start with speech) is stopped the same way.
    ids.get('attract').dispatchEvent(new KeyboardEvent('keydown', { key: '0', bubbles: true }));
    await settle();
    expect(url()).toBe('/');

    // Plugged back in: the next touch starts the visit.
    camera.next = 'live';
    await ids.tap('start');
    expect(url()).toBe('/visit');
    expect(ids.find('camera-down')).toBeNull();
  });

  it('staff assist a customer from staff home: their visit, shown as assisted, ends staff mode', async () => {
    await open(SETTINGS);
    const session = TestBed.inject(StaffSession);
    session.begin(staffSession('reviewer', 'rev-token'));
    await harness.navigateByUrl('/staff/home');
    await settle();
    expect(ids.text('staff-assist')).toContain('registrado como assistido');
    await ids.tap('staff-assist-visit');
    expect(url()).toBe('/visit');
    api.visitBegin.mockResolvedValueOnce({ ...INFO, operatorName: 'Rui Lima' });
    await ids.tap('lang-pt-BR');
    expect(api.visitBegin).toHaveBeenCalledWith('pt-BR', 'rev-token');
    expect(ids.text('assisted-by')).toBe('Atendimento assistido por Rui Lima');

    // The visit's end leaves no staff session on the public screen.
    await ids.tap('consent-decline');
    await settle(5000);
    expect(url()).toBe('/');
    expect(session.signedIn()).toBe(false);
    expect(api.staffSignOut).toHaveBeenCalledWith('rev-token');
    expect(ids.find('assisted-by')).toBeNull();
  });

  it('an assisted visit needs the camera too: staff home says so and nothing starts', async () => {
    await open(SETTINGS, 'notFound');
    TestBed.inject(StaffSession).begin(staffSession('reviewer', 'rev-token'));
    await harness.navigateByUrl('/staff/home');
    await settle();
    await ids.tap('staff-assist-visit');
    expect(url()).toBe('/staff/home');
    expect(ids.text('staff-message')).toContain('A câmera deste terminal não está funcionando');
    expect(api.visitBegin).not.toHaveBeenCalled();
  });

  it('an assisted visit whose staff session ran out ends, and staff sign in again', async () => {
    await open(SETTINGS);
    const session = TestBed.inject(StaffSession);
    session.begin(staffSession('reviewer', 'rev-token'));
    await harness.navigateByUrl('/staff/home');
    await settle();
    await ids.tap('staff-assist-visit');
    api.visitBegin.mockRejectedValueOnce({
      code: 'visit',
      detail: '[operator-required] staff operating a visit must be signed in',
    });
    await ids.tap('lang-pt-BR');
    // Never a self-service visit in its place: back to the staff sign-in.
    expect(url()).toBe('/staff');
    expect(session.signedIn()).toBe(false);
    expect(api.visitBegin).toHaveBeenCalledTimes(1);
    expect(ids.find('visit-language')).toBeNull();
  });

  it('a self-service visit shows no assisting staff', async () => {
    await open(SETTINGS);
    await ids.tap('start');
    await ids.tap('lang-pt-BR');
    expect(ids.find('visit-consent')).not.toBeNull();
    expect(ids.find('assisted-by')).toBeNull();
  });

  it('a working camera is not probed again on start', async () => {
    await open(SETTINGS);
    const probes = camera.probe.mock.calls.length;
    await ids.tap('start');
    expect(url()).toBe('/visit');
    expect(camera.probe.mock.calls.length).toBe(probes);
  });

  it('in field mode requires a field agent: the start button leads to the sign-in', async () => {
    await open(FIELD_SETTINGS);
    expect(ids.text('field-mode')).toBe('Modo campo');
    expect(ids.text('sync-pending')).toBe('3 aguardando sincronização');
    expect(ids.find('offline-badge')).toBeNull();
    expect(ids.find('start')).toBeNull();
    expect(ids.find('field-agent')).toBeNull();
    expect(ids.text('field-sign-in')).toContain('Entrar como agente de campo');

    await ids.tap('field-sign-in');
    expect(url()).toBe('/staff');
    expect(api.visitBegin).not.toHaveBeenCalled();
  });

  it('after the field agent signs in, shows the agent and begins visits with their token', async () => {
    await open(FIELD_SETTINGS);
    await ids.tap('field-sign-in');
    await ids.type('account-input', 'fabi.campo');
    await ids.type('pin-input', '482916');
    await ids.tap('pin-submit');
    expect(api.staffSignIn).toHaveBeenCalledWith('fabi.campo', '482916');

    expect(url()).toBe('/');
    expect(ids.text('field-agent')).toContain('Agente: Fabi Rocha');
    expect(ids.text('field-sign-out')).toBe('Sair');
    expect(ids.text('start')).toContain('Começar');
    await ids.tap('start');
    await ids.tap('lang-pt-BR');
    expect(api.visitBegin).toHaveBeenCalledWith('pt-BR', 'field-token');
    expect(ids.find('visit-consent')).not.toBeNull();

    // Back on attract after the visit: the count is read again, the agent still signed in.
    const reads = api.syncStatus.mock.calls.length;
    await ids.tap('consent-decline');
    await settle(5000);
    expect(url()).toBe('/');
    expect(api.syncStatus.mock.calls.length).toBe(reads + 1);
    expect(ids.text('field-agent')).toContain('Fabi Rocha');
  });

  it('an admin may operate field visits too; a reviewer may not', async () => {
    await open(FIELD_SETTINGS);
    const session = TestBed.inject(StaffSession);
    session.begin(staffSession('reviewer'));
    await settle();
    expect(ids.find('start')).toBeNull();
    expect(ids.find('field-sign-in')).not.toBeNull();

    session.begin(staffSession('admin', 'admin-token'));
    await settle();
    expect(ids.text('field-agent')).toContain('Ana Souza');
    await ids.tap('start');
    await ids.tap('lang-en');
    expect(api.visitBegin).toHaveBeenCalledWith('en', 'admin-token');
  });

  it('"Sair" ends the field session', async () => {
    await open(FIELD_SETTINGS);
    TestBed.inject(StaffSession).begin(staffSession('field-agent', 'field-token'));
    await settle();
    await ids.tap('field-sign-out');
    expect(api.staffSignOut).toHaveBeenCalledWith('field-token');
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
    expect(ids.find('field-sign-in')).not.toBeNull();
  });

  it('refreshes the pending count every 30 s and says when everything is synced', async () => {
    await open(FIELD_SETTINGS);
    expect(api.syncStatus).toHaveBeenCalledTimes(1);
    api.syncStatus.mockResolvedValue({ ...SYNC, pending: 0 });
    await settle(SYNC_REFRESH_SECONDS * 1000);
    expect(api.syncStatus).toHaveBeenCalledTimes(2);
    expect(ids.text('sync-pending')).toBe('Tudo sincronizado');
    expect(ids.get('sync-badge').getAttribute('data-pending')).toBe('0');
  });

  it('shows offline without network or when AWS is unreachable', async () => {
    await open(FIELD_SETTINGS);
    expect(ids.find('offline-badge')).toBeNull();
    setOnline(false);
    await settle();
    expect(ids.text('offline-badge')).toBe('Sem conexão');
    setOnline(true);
    await settle();
    expect(ids.find('offline-badge')).toBeNull();

    api.syncStatus.mockResolvedValue({ ...SYNC, failing: 3, lastError: 'aws-unreachable' });
    await settle(SYNC_REFRESH_SECONDS * 1000);
    expect(ids.text('offline-badge')).toBe('Sem conexão');
    expect(ids.text('sync-pending')).toBe('3 aguardando sincronização');

    // The app's sync service says AWS does not answer, with no failure recorded yet.
    api.syncStatus.mockResolvedValue({ ...SYNC, offline: true });
    await settle(SYNC_REFRESH_SECONDS * 1000);
    expect(ids.text('offline-badge')).toBe('Sem conexão');
  });

  it('in field mode without AWS settings says the records stay on the laptop', async () => {
    await open(FIELD_SETTINGS);
    api.syncStatus.mockResolvedValue({ ...SYNC_IDLE, awsConfigured: false });
    await settle(SYNC_REFRESH_SECONDS * 1000);
    expect(ids.text('sync-local-only')).toBe('Só neste notebook (sem AWS)');
    expect(ids.find('sync-pending')).toBeNull();
  });

  it('an [operator-required] refusal says so and asks the agent to sign in again', async () => {
    await open(FIELD_SETTINGS);
    TestBed.inject(StaffSession).begin(staffSession('field-agent', 'stale-token'));
    await settle();
    api.visitBegin.mockRejectedValueOnce({
      code: 'visit',
      detail: '[operator-required] field mode: a field agent must sign in first',
    });
    await ids.tap('start');
    await ids.tap('lang-pt-BR');
    expect(ids.text('visit-error')).toBe(
      'O atendente precisa entrar de novo com o PIN antes de começar o atendimento.',
    );
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
    await ids.tap('visit-cancel');
    expect(url()).toBe('/');
    expect(ids.find('field-sign-in')).not.toBeNull();
  });

  it("keeps a customer's visit on screen when the field session runs out", async () => {
    await open(FIELD_SETTINGS);
    TestBed.inject(StaffSession).begin(staffSession('field-agent', 'field-token'));
    await settle();
    await ids.tap('start');
    await ids.tap('lang-pt-BR');
    expect(url()).toBe('/visit');
    // The customer keeps touching the screen; the staff session's own clock is what runs out.
    const session = TestBed.inject(StaffSession);
    (session as unknown as { idleLeft: number }).idleLeft = 1;
    await settle(1000);
    expect(session.signedIn()).toBe(false);
    expect(url()).toBe('/visit');
    expect(ids.find('visit-consent')).not.toBeNull();
  });
});
