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
import {
  FIELD_SETTINGS,
  SETTINGS,
  HEALTHY,
  SYNC_IDLE,
  TestIds,
  staffSession,
  settleFakeTimers,
} from '../testing/fixtures';
import { StaffSession } from './staff-session';

function fakeApi(status: StaffStatus, settings: KioskSettings) {
  return {
    getSettings: vi.fn(async () => settings),
    staffStatus: vi.fn(async () => status),
    staffSignIn: vi.fn(async (): Promise<SignInOutcome> => ({
      kind: 'signed-in',
      session: staffSession('admin'),
    })),
    staffSignOut: vi.fn(async () => undefined),
    reviewQueue: vi.fn(async () => []),
    healthReport: vi.fn(async () => HEALTHY),
    syncStatus: vi.fn(async () => SYNC_IDLE),
  };
}

describe('staff sign-in screen and guard', () => {
  let api: ReturnType<typeof fakeApi>;
  let harness: RouterTestingHarness;
  const ids = TestIds.of(
    () => harness,
    () => settle(),
  );

  async function open(
    status: StaffStatus = { provisioned: true },
    url = '/staff',
    settings = SETTINGS,
  ): Promise<void> {
    api = fakeApi(status, settings);
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

  function settle(ms = 0): Promise<void> {
    return settleFakeTimers(harness, ms);
  }

  function root(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  function url(): string {
    return TestBed.inject(Router).url;
  }

  async function signIn(account: string, pin: string): Promise<void> {
    await ids.type('account-input', account);
    await ids.type('pin-input', pin);
    await ids.tap('pin-submit');
  }

  it('a kiosk without staff accounts says it is not provisioned and offers no way in', async () => {
    await open({ provisioned: false });
    const screen = ids.text('staff-not-provisioned');
    expect(screen).toContain('Quiosque não provisionado');
    expect(screen).toContain('TI do banco');
    expect(screen).toContain('dayfusion staff add');
    // No sign-in, no first-run "set PIN" form, no keypad: only "back".
    expect(root().querySelectorAll('input, form, textarea')).toHaveLength(0);
    expect(ids.find('pin-key-1')).toBeNull();
    const buttons = Array.from(root().querySelectorAll('button, a'), (e) =>
      e.getAttribute('data-testid'),
    );
    expect(buttons).toEqual(['staff-back']);
    expect(ids.get('staff-back').getAttribute('href')).toBe('/');
    expect(api.staffSignIn).not.toHaveBeenCalled();
  });

  it('shows the not-provisioned screen when sign-in answers not-provisioned', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'not-provisioned' });
    await signIn('ana.admin', '135790');
    expect(ids.find('staff-not-provisioned')).not.toBeNull();
    expect(ids.find('pin-input')).toBeNull();
  });

  it('signs in with the staff number (lowercase) and PIN, and keeps name and role', async () => {
    await open();
    expect(ids.get<HTMLButtonElement>('pin-submit').disabled).toBe(true);
    await ids.type('account-input', ' Ana.Admin ');
    expect(ids.get<HTMLInputElement>('account-input').value).toBe('ana.admin');
    await ids.type('pin-input', '1357a90');
    expect(ids.get<HTMLInputElement>('pin-input').value).toBe('135790');
    await ids.tap('pin-submit');

    expect(api.staffSignIn).toHaveBeenCalledWith('ana.admin', '135790');
    expect(url()).toBe('/staff/home');
    const session = TestBed.inject(StaffSession);
    expect(session.token()).toBe('staff-token-1');
    expect(session.account()).toBe('ana.admin');
    expect(session.name()).toBe('Ana Souza');
    expect(session.role()).toBe('admin');
    expect(ids.text('staff-greeting')).toBe('Olá, Ana Souza (administração)');
  });

  it('the on-screen keypad types digits into whichever field is active', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'signed-in', session: staffSession('reviewer') });
    ids.get('account-input').focus();
    for (const digit of '4021') await ids.tap(`pin-key-${digit}`);
    await ids.tap('pin-key-backspace');
    await ids.tap('pin-key-7');
    ids.get('pin-input').focus();
    for (const digit of '482916') await ids.tap(`pin-key-${digit}`);
    expect(ids.get<HTMLInputElement>('account-input').value).toBe('4027');
    await ids.tap('pin-submit');
    expect(api.staffSignIn).toHaveBeenCalledWith('4027', '482916');
    expect(url()).toBe('/staff/home');
  });

  it('a wrong staff number or PIN gets one answer, with no tries-left count', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'wrong-pin' });
    await signIn('nobody', '135790');

    expect(ids.text('pin-error')).toBe('Matrícula ou PIN incorretos.');
    expect(ids.text('pin-error')).not.toMatch(/\d/);
    expect(ids.get<HTMLInputElement>('pin-input').value).toBe('');
    expect(ids.get<HTMLInputElement>('account-input').value).toBe('nobody');
    expect(url()).toBe('/staff');
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
  });

  it('a locked account shows its countdown and blocks only that account', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'locked', seconds: 30 });
    await signIn('rui.revisor', '135790');

    expect(ids.text('pin-locked')).toContain('rui.revisor');
    expect(ids.text('pin-locked')).toContain('30 s');
    expect(ids.get<HTMLInputElement>('pin-input').disabled).toBe(true);
    expect(ids.get<HTMLButtonElement>('pin-submit').disabled).toBe(true);

    await settle(1000);
    expect(ids.text('pin-locked')).toContain('29 s');

    // Another staff member may still sign in.
    await ids.type('account-input', 'ana.admin');
    expect(ids.find('pin-locked')).toBeNull();
    expect(ids.get<HTMLInputElement>('pin-input').disabled).toBe(false);

    await ids.type('account-input', 'rui.revisor');
    expect(ids.text('pin-locked')).toContain('29 s');
    await settle(29_000);
    expect(ids.find('pin-locked')).toBeNull();
    expect(ids.get<HTMLInputElement>('pin-input').disabled).toBe(false);
  });

  it('a reviewer goes to the staff home', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({ kind: 'signed-in', session: staffSession('reviewer') });
    await signIn('rui.revisor', '135790');
    expect(url()).toBe('/staff/home');
    expect(ids.text('staff-greeting')).toBe('Olá, Rui Lima (revisão)');
  });

  it('a field agent on a branch kiosk is told the role has no staff screens here', async () => {
    await open();
    api.staffSignIn.mockResolvedValue({
      kind: 'signed-in',
      session: staffSession('field-agent', 'field-token'),
    });
    await signIn('fabi.campo', '135790');

    expect(ids.text('staff-role-no-screens')).toContain('Fabi Rocha');
    expect(ids.text('staff-role-no-screens')).toContain('Agentes de campo não têm telas');
    expect(api.staffSignOut).toHaveBeenCalledWith('field-token');
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
    expect(url()).toBe('/staff');
  });

  it('a field agent on a field-mode kiosk goes back to attract with the field session', async () => {
    await open({ provisioned: true }, '/staff', FIELD_SETTINGS);
    api.staffSignIn.mockResolvedValue({
      kind: 'signed-in',
      session: staffSession('field-agent', 'field-token'),
    });
    await signIn('fabi.campo', '135790');

    expect(url()).toBe('/');
    expect(TestBed.inject(StaffSession).token()).toBe('field-token');
    expect(ids.text('field-agent')).toContain('Agente: Fabi Rocha');
    expect(api.staffSignOut).not.toHaveBeenCalled();
  });

  it('signs in, then signs out after 5 minutes without a touch', async () => {
    await open();
    await signIn('ana.admin', '135790');
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
    expect(ids.get('staff-back').getAttribute('href')).toBe('/');
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
      expect(ids.find('staff-pin')).not.toBeNull();
    });

    it('keeps a field agent out of the staff screens', async () => {
      await open();
      TestBed.inject(StaffSession).begin(staffSession('field-agent'));
      await harness.navigateByUrl('/staff/review');
      await settle();
      expect(url()).toBe('/staff');
      expect(api.reviewQueue).not.toHaveBeenCalled();
      expect(ids.find('account-input')).not.toBeNull();
    });

    it('lets a signed-in session through, and an expired one back to sign-in', async () => {
      await open();
      TestBed.inject(StaffSession).begin(staffSession('reviewer'));
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
