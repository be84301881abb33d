import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { routes } from '../app.routes';
import { provideI18n } from '../i18n/translations';
import type { ReviewDetail } from '../ipc/bindings/ReviewDetail';
import type { ReviewItem } from '../ipc/bindings/ReviewItem';
import { KioskApi } from '../ipc/kiosk-api';
import { HEALTHY, SETTINGS, staffSession } from '../testing/fixtures';
import { StaffSession } from './staff-session';

const ITEM: ReviewItem = {
  transactionId: 'tx-0001',
  createdAt: '2026-11-25T13:05:00Z',
  kioskId: 'agencia-0001-t1',
  operator: null,
  liveness: 71.25,
  similarity: 88.5,
  reasons: ['similarity-in-review-band', 'liveness-low'],
  policy: 'default@3',
};

const DETAIL: ReviewDetail = {
  item: ITEM,
  documentPortrait: 'data:image/jpeg;base64,UE9SVFJBSVQ=',
  reference: 'data:image/jpeg;base64,UkVGRVJFTkNF',
  audit: ['data:image/jpeg;base64,QVVESVQx', 'data:image/jpeg;base64,QVVESVQy'],
  checks: [
    { check: 'movement', outcome: 'pass', score: 82, reason: 'Movimento natural ao se aproximar.' },
    { check: 'colour', outcome: 'fail', score: 31.5, reason: 'As cores refletidas não batem.' },
    { check: 'depth', outcome: 'not-applicable', score: null, reason: 'Câmera sem profundidade.' },
  ],
  livenessFailure: null,
};

function fakeApi() {
  return {
    getSettings: vi.fn(async () => SETTINGS),
    healthReport: vi.fn(async () => HEALTHY),
    staffSignOut: vi.fn(async () => undefined),
    reviewQueue: vi.fn(async (): Promise<ReviewItem[]> => [
      ITEM,
      { ...ITEM, transactionId: 'tx-0002', liveness: null },
    ]),
    reviewDetail: vi.fn(async () => DETAIL),
    reviewResolve: vi.fn(async () => undefined),
    exitKiosk: vi.fn(async () => undefined),
    staffChangePin: vi.fn(async () => undefined),
    staffStatus: vi.fn(async () => ({ provisioned: true })),
  };
}

describe('staff review and home', () => {
  let api: ReturnType<typeof fakeApi>;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    api = fakeApi();
    TestBed.configureTestingModule({
      providers: [provideRouter(routes), provideI18n(), { provide: KioskApi, useValue: api }],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    TestBed.inject(StaffSession).begin(staffSession('admin'));
  });

  async function open(url: string): Promise<void> {
    harness = await RouterTestingHarness.create(url);
    await settle();
  }

  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i += 1) {
      await new Promise((resolve) => setTimeout(resolve));
    }
    await harness.fixture.whenStable();
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

  async function tap(testId: string): Promise<void> {
    get(testId).click();
    await settle();
  }

  async function writeReason(text: string): Promise<void> {
    const area = get<HTMLTextAreaElement>('review-reason');
    area.value = text;
    area.dispatchEvent(new Event('input'));
    await settle();
  }

  function url(): string {
    return TestBed.inject(Router).url;
  }

  it('lists the queue with the scores staff need, each opening its detail', async () => {
    await open('/staff/review');
    expect(api.reviewQueue).toHaveBeenCalledWith('staff-token-1');
    const items = root().querySelectorAll('[data-testid="review-item"]');
    expect(Array.from(items, (item) => item.getAttribute('data-transaction-id'))).toEqual([
      'tx-0001',
      'tx-0002',
    ]);
    expect(items[0].textContent).toContain('71.3');
    expect(items[0].textContent).toContain('88.5');
    expect(items[0].textContent).toContain('similarity-in-review-band');
    expect(items[1].textContent).toContain('—');
    expect(items[0].querySelector('a')?.getAttribute('href')).toBe('/staff/review/tx-0001');
  });

  it('says when nothing waits for review', async () => {
    api.reviewQueue.mockResolvedValue([]);
    await open('/staff/review');
    expect(get('review-empty').textContent).toContain('Nenhuma verificação');
  });

  it('shows the images side by side, the scores and every check with its reason', async () => {
    await open('/staff/review/tx-0001');
    expect(api.reviewDetail).toHaveBeenCalledWith('staff-token-1', 'tx-0001', 'pt-BR');
    expect(get('review-portrait').getAttribute('src')).toBe(DETAIL.documentPortrait);
    expect(get('review-reference').getAttribute('src')).toBe(DETAIL.reference);
    expect(root().querySelectorAll('[data-testid="review-audit"]')).toHaveLength(2);
    expect(get('review-liveness-score').textContent?.trim()).toBe('71.3');
    expect(get('review-similarity-score').textContent?.trim()).toBe('88.5');
    expect(get('review-reasons').textContent).toContain('liveness-low');

    const checks = root().querySelectorAll('[data-testid="review-check"]');
    expect(checks).toHaveLength(3);
    expect(checks[1].getAttribute('data-outcome')).toBe('fail');
    expect(checks[1].textContent).toContain('Falhou');
    expect(checks[1].textContent).toContain('31.5');
    expect(checks[1].textContent).toContain('As cores refletidas não batem.');
    expect(checks[2].textContent).toContain('Não se aplica');
  });

  it('approves with the written reason and returns to the queue with a confirmation', async () => {
    await open('/staff/review/tx-0001');
    const approve = get<HTMLButtonElement>('review-approve');
    expect(approve.disabled).toBe(true);
    await writeReason('  ok');
    expect(get<HTMLButtonElement>('review-approve').disabled).toBe(true);

    await writeReason('  Documento conferido pessoalmente com o cliente.  ');
    expect(get<HTMLButtonElement>('review-approve').disabled).toBe(false);
    await tap('review-approve');

    expect(api.reviewResolve).toHaveBeenCalledWith(
      'staff-token-1',
      'tx-0001',
      'approve',
      'Documento conferido pessoalmente com o cliente.',
    );
    expect(url()).toBe('/staff/review?resolved=tx-0001&verdict=approve');
    expect(get('review-resolved').textContent).toContain('tx-0001 aprovada');
  });

  it('rejects with the written reason', async () => {
    await open('/staff/review/tx-0001');
    await writeReason('Rosto diferente da foto do documento.');
    await tap('review-reject');
    expect(api.reviewResolve).toHaveBeenCalledWith(
      'staff-token-1',
      'tx-0001',
      'reject',
      'Rosto diferente da foto do documento.',
    );
    expect(get('review-resolved').getAttribute('data-verdict')).toBe('reject');
  });

  it('refuses a reason longer than 500 characters', async () => {
    await open('/staff/review/tx-0001');
    await writeReason('x'.repeat(501));
    expect(get<HTMLButtonElement>('review-reject').disabled).toBe(true);
    await writeReason('x'.repeat(500));
    expect(get<HTMLButtonElement>('review-reject').disabled).toBe(false);
  });

  it('says when the transaction is no longer in review, and stays', async () => {
    api.reviewResolve.mockRejectedValue({
      code: 'staff',
      detail: '[not-in-review] tx-0001 resolved',
    });
    await open('/staff/review/tx-0001');
    await writeReason('Conferido.');
    await tap('review-approve');
    expect(get('staff-message').textContent).toContain('não está mais em revisão');
    expect(url()).toBe('/staff/review/tx-0001');
  });

  it('refuses a reviewer the transaction they operated (segregation of duties)', async () => {
    api.reviewResolve.mockRejectedValue({
      code: 'staff',
      detail: '[own-transaction] ana.admin operated tx-0001',
    });
    await open('/staff/review/tx-0001');
    await writeReason('Conferido pessoalmente.');
    await tap('review-approve');
    expect(get('staff-message').textContent?.trim()).toBe(
      'Você atendeu esta transação e não pode revisá-la; peça a outra pessoa da equipe.',
    );
    expect(get('staff-message').textContent).not.toContain('operated');
    expect(url()).toBe('/staff/review/tx-0001');
  });

  it('goes back to the sign-in when the session expired', async () => {
    api.reviewResolve.mockRejectedValue({ code: 'staff', detail: '[not-signed-in] expired' });
    await open('/staff/review/tx-0001');
    await writeReason('Conferido.');
    await tap('review-approve');
    expect(url()).toBe('/staff');
    expect(TestBed.inject(StaffSession).signedIn()).toBe(false);
  });

  it('an admin home greets by name and leaves kiosk mode only after a confirmation', async () => {
    await open('/staff/home');
    expect(get('staff-greeting').textContent?.trim()).toBe('Olá, Ana Souza (administração)');
    expect(get('staff-nav-account').textContent?.trim()).toBe('Ana Souza');
    expect(get('staff-review').getAttribute('href')).toBe('/staff/review');
    expect(get('staff-status').getAttribute('href')).toBe('/staff/status');
    expect(get('staff-liveness').getAttribute('href')).toBe('/staff/liveness-check');
    expect(get('staff-diagnostics').getAttribute('href')).toBe('/staff/diagnostics');

    await tap('exit-kiosk');
    expect(api.exitKiosk).not.toHaveBeenCalled();
    await tap('exit-kiosk-cancel');
    expect(find('exit-kiosk-dialog')).toBeNull();

    await tap('exit-kiosk');
    await tap('exit-kiosk-confirm');
    expect(api.exitKiosk).toHaveBeenCalledWith('staff-token-1');
  });

  it('"sign out" ends the session and shows attract', async () => {
    await open('/staff/home');
    await tap('staff-sign-out');
    expect(api.staffSignOut).toHaveBeenCalledWith('staff-token-1');
    expect(url()).toBe('/');
    expect(find('attract')).not.toBeNull();
  });
  it('a reviewer home has the review screens but no leaving kiosk mode', async () => {
    const session = TestBed.inject(StaffSession);
    session.begin(staffSession('reviewer'));
    await open('/staff/home');
    expect(get('staff-home').getAttribute('data-role')).toBe('reviewer');
    expect(get('staff-greeting').textContent?.trim()).toBe('Olá, Rui Lima (revisão)');
    for (const tile of ['staff-review', 'staff-status', 'staff-liveness', 'staff-diagnostics']) {
      expect(find(tile), tile).not.toBeNull();
    }
    expect(find('exit-kiosk')).toBeNull();
    expect(find('exit-kiosk-confirm')).toBeNull();
    expect(get('exit-kiosk-admin-only').textContent).toContain('Só a administração');
    expect(find('pin-change-form')).not.toBeNull();
  });

  it('says when the role may not do something ([forbidden])', async () => {
    api.exitKiosk.mockRejectedValue({
      code: 'staff',
      detail: '[forbidden] the reviewer role may not',
    });
    await open('/staff/home');
    await tap('exit-kiosk');
    await tap('exit-kiosk-confirm');
    expect(get('staff-message').textContent?.trim()).toBe('Seu papel não permite esta ação.');
    expect(url()).toBe('/staff/home');
  });

  it('changes the PIN with the current one, a new one and its confirmation', async () => {
    await open('/staff/home');
    const typePin = async (testId: string, value: string) => {
      const input = get<HTMLInputElement>(testId);
      input.value = value;
      input.dispatchEvent(new Event('input'));
      await settle();
    };
    await typePin('pin-change-old', '240817');
    await typePin('pin-change-new', '739205');
    await typePin('pin-change-confirm', '739206');
    await tap('pin-change-submit');
    expect(get('pin-change-message').textContent).toContain('não são iguais');
    expect(api.staffChangePin).not.toHaveBeenCalled();

    await typePin('pin-change-new', '240817');
    await typePin('pin-change-confirm', '240817');
    await tap('pin-change-submit');
    expect(get('pin-change-message').textContent).toContain('diferente do atual');

    await typePin('pin-change-new', '739205');
    await typePin('pin-change-confirm', '739205');
    await tap('pin-change-submit');
    expect(api.staffChangePin).toHaveBeenCalledWith('staff-token-1', '240817', '739205');
    expect(find('pin-changed')).not.toBeNull();
    expect(get<HTMLInputElement>('pin-change-old').value).toBe('');
    // The session goes on.
    expect(TestBed.inject(StaffSession).token()).toBe('staff-token-1');
  });

  it('says when the current PIN is wrong or the new one is too weak', async () => {
    await open('/staff/home');
    const fill = async (old: string, pin: string) => {
      for (const [testId, value] of [
        ['pin-change-old', old],
        ['pin-change-new', pin],
        ['pin-change-confirm', pin],
      ]) {
        const input = get<HTMLInputElement>(testId);
        input.value = value;
        input.dispatchEvent(new Event('input'));
      }
      await settle();
      await tap('pin-change-submit');
    };
    api.staffChangePin.mockRejectedValueOnce({
      code: 'staff',
      detail: '[wrong-pin] the old PIN is wrong',
    });
    await fill('111112', '739205');
    expect(get('pin-change-message').textContent?.trim()).toBe('PIN atual incorreto.');

    api.staffChangePin.mockRejectedValueOnce({ code: 'staff', detail: '[pin-too-weak] a run' });
    await fill('240817', '123456');
    expect(get('pin-change-message').textContent).toContain('PIN fraco');
    expect(find('pin-changed')).toBeNull();
  });
});
