import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { routes } from '../app.routes';
import { provideI18n } from '../i18n/translations';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import type { SignInOutcome } from '../ipc/bindings/SignInOutcome';
import type { StaffStatus } from '../ipc/bindings/StaffStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { StaffSession } from './staff-session';

const SETTINGS: KioskSettings = {
  backend: 'embedded',
  language: 'pt-BR',
  cameraId: null,
  kioskId: 'kiosk-7',
  policyId: 'default',
  retentionDays: 180,
  idleTimeoutSeconds: 90,
  documentInbox: null,
};

const SESSION = { token: 'staff-token-1', idleSeconds: 300 };

function fakeApi(status: StaffStatus = { pinSet: true, lockedSeconds: null }) {
  return {
    getSettings: vi.fn(async () => SETTINGS),
    staffStatus: vi.fn(async () => status),
    staffSignIn: vi.fn(async (): Promise<SignInOutcome> => ({
      kind: 'signed-in',
      session: SESSION,
    })),
    staffSetPin: vi.fn(async () => SESSION),
    staffSignOut: vi.fn(async () => undefined),
    reviewQueue: vi.fn(async () => []),
  };
}

describe('staff PIN screen and guard', () => {
  let api: ReturnType<typeof fakeApi>;
  let harness: RouterTestingHarness;

  async function open(status?: StaffStatus, url = '/staff'): Promise<void> {
    api = fakeApi(status);
    TestBed.configureTestingModule({
      providers: [provideRouter(routes), provideI18n(), { provide: KioskApi, useValue: api }],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    harness = await RouterTestingHarness.create(url);
    await settle();
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function settle(ms = 0): Promise<void> {
    await vi.advanceTimersByTimeAsync(ms);
    for (let i = 0; i < 10; i += 1) {
      await vi.advanceTimersByTimeAsync(0);
    }
    harness.detectChanges();
  }

  function root(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  function find<T extends HTMLElement = HTMLElement>(testId: string): T | null {
    return root().querySelector<T>(`[data-testid="${testId}"]`);
  }

  function get<T extends HTMLElement = HTMLElement>(testId: string): T {
    const element = find<T>(testId);
    if (!element) throw new Error(`no [data-testid="${testId}"] in: ${root().textContent}`);
    return element;
  }

  async function type(testId: string, value: string): Promise<void> {
    const input = get<HTMLInputElement>(testId);
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await settle();
  }

  async function tap(testId: string): Promise<void> {
    get(testId).click();
    await settle();
  }

  function url(): string {
    return TestBed.inject(Router).url;
  }

  it('with no PIN yet shows the set-PIN form and signs the first staff member in', async () => {
    await open({ pinSet: false, lockedSeconds: null });
    expect(find('pin-set-form')).not.toBeNull();
    expect(find('pin-input')).toBeNull();

    await type('pin-new', '4829');
    await type('pin-confirm', '4829');
    await tap('pin-set-submit');
    expect(get('pin-message').textContent).toContain('de 6 a 12 dígitos');
    expect(api.staffSetPin).not.toHaveBeenCalled();

    await type('pin-new', '482916');
    await type('pin-confirm', '482917');
    await tap('pin-set-submit');
    expect(get('pin-message').textContent).toContain('não são iguais');
    // Both hidden fields start over.
    expect(get<HTMLInputElement>('pin-new').value).toBe('');
    expect(get<HTMLInputElement>('pin-confirm').value).toBe('');

    // The on-screen keypad types into the chosen field.
    get('pin-new').focus();
    for (const digit of '482916') await tap(`pin-key-${digit}`);
    get('pin-confirm').focus();
    for (const digit of '482916') await tap(`pin-key-${digit}`);
    await tap('pin-set-submit');

    expect(api.staffSetPin).toHaveBeenCalledWith('482916', null);
    expect(url()).toBe('/staff/home');
    expect(TestBed.inject(StaffSession).token()).toBe('staff-token-1');
    expect(find('staff-home')).not.toBeNull();
  });

  it('says when the new PIN is too weak', async () => {
    await open({ pinSet: false, lockedSeconds: null });
    api.staffSetPin.mockRejectedValue({ code: 'staff', detail: '[pin-too-weak] a run of digits' });
    await type('pin-new', '123456');
    await type('pin-confirm', '123456');
    await tap('pin-set-submit');
    expect(get('pin-message').textContent).toContain('PIN fraco');
    expect(get('pin-message').textContent).not.toContain('a run of digits');
    expect(url()).toBe('/staff');
  });

  it('a wrong PIN says how many tries are left', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'wrong-pin', attemptsLeft: 2 });
    expect(get<HTMLButtonElement>('pin-submit').disabled).toBe(true);
    await type('pin-input', '135790');
    await tap('pin-submit');

    expect(api.staffSignIn).toHaveBeenCalledWith('135790');
    expect(get('pin-error').textContent?.trim()).toBe('PIN incorreto, 2 tentativas restantes.');
    expect(get<HTMLInputElement>('pin-input').value).toBe('');
    expect(url()).toBe('/staff');
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
  });

  it('when locked shows a countdown and disables the input until it ends', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'locked', seconds: 30 });
    await type('pin-input', '135790');
    await tap('pin-submit');

    expect(get('pin-locked').textContent).toContain('Bloqueado por 30 s');
    expect(get<HTMLInputElement>('pin-input').disabled).toBe(true);
    expect(get<HTMLButtonElement>('pin-submit').disabled).toBe(true);
    expect(get<HTMLButtonElement>('pin-key-5').disabled).toBe(true);

    await settle(1000);
    expect(get('pin-locked').textContent).toContain('Bloqueado por 29 s');
    await settle(29_000);
    expect(find('pin-locked')).toBeNull();
    expect(get<HTMLInputElement>('pin-input').disabled).toBe(false);
  });

  it('starts locked when the backend says so', async () => {
    await open({ pinSet: true, lockedSeconds: 12 });
    expect(get('pin-locked').textContent).toContain('12 s');
    expect(get<HTMLInputElement>('pin-input').disabled).toBe(true);
  });

  it('switches to the set-PIN form when the backend answers no-pin', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'no-pin' });
    await type('pin-input', '135790');
    await tap('pin-submit');
    expect(find('pin-set-form')).not.toBeNull();
  });

  it('signs in, then signs out after 5 minutes without a touch', async () => {
    await open();
    await type('pin-input', '135790');
    await tap('pin-submit');
    expect(url()).toBe('/staff/home');

    await settle(299_000);
    expect(url()).toBe('/staff/home');
    document.dispatchEvent(new Event('pointerdown'));
    await settle(299_000);
    expect(url()).toBe('/staff/home');
    await settle(1000);
    expect(url()).toBe('/');
    expect(api.staffSignOut).toHaveBeenCalledWith('staff-token-1');
    expect(TestBed.inject(StaffSession).token()).toBeNull();
  });

  it('"back" returns to the attract screen', async () => {
    await open();
    expect(get('staff-back').getAttribute('href')).toBe('/');
  });

  describe('guard', () => {
    it.each([
      '/staff/home',
      '/staff/review',
      '/staff/review/tx-1',
      '/staff/status',
      '/status',
      '/liveness-check',
    ])('%s needs a signed-in session', async (target) => {
      await open(undefined, target);
      expect(url()).toBe('/staff');
      expect(find('staff-pin')).not.toBeNull();
    });

    it('lets a signed-in session through, and an expired one back to the PIN', async () => {
      await open();
      TestBed.inject(StaffSession).begin(SESSION);
      await harness.navigateByUrl('/staff/review');
      await settle();
      expect(url()).toBe('/staff/review');
      expect(api.reviewQueue).toHaveBeenCalledWith('staff-token-1');

      api.reviewQueue.mockRejectedValue({ code: 'staff', detail: '[not-signed-in] expired' });
      await harness.navigateByUrl('/staff/home');
      await harness.navigateByUrl('/staff/review');
      await settle();
      expect(url()).toBe('/staff');
      expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
    });
  });
});
