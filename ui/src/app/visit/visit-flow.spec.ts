import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { routes } from '../app.routes';
import { provideI18n } from '../i18n/translations';
import type { DocumentFrameQuality } from '../ipc/bindings/DocumentFrameQuality';
import type { DocumentHint } from '../ipc/bindings/DocumentHint';
import type { DocumentPreview } from '../ipc/bindings/DocumentPreview';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import type { MediaFolder } from '../ipc/bindings/MediaFolder';
import type { PrivacyNotice } from '../ipc/bindings/PrivacyNotice';
import type { QrCode } from '../ipc/bindings/QrCode';
import type { RemovableMedium } from '../ipc/bindings/RemovableMedium';
import type { SpeechRequest } from '../ipc/bindings/SpeechRequest';
import type { VisitCapture } from '../ipc/bindings/VisitCapture';
import type { VisitInfo } from '../ipc/bindings/VisitInfo';
import type { VisitLiveness } from '../ipc/bindings/VisitLiveness';
import type { VisitResult } from '../ipc/bindings/VisitResult';
import { AccessibilityService } from '../accessibility/accessibility';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import {
  SETTINGS as BRANCH_SETTINGS,
  fakeCameraProbe,
  settleFakeTimers,
} from '../testing/fixtures';
import { DocumentCamera } from './document-camera';
import { consentText } from './visit-consent';
import { contactUri } from './qr-code';
import { VisitService } from './visit-service';

const SETTINGS: KioskSettings = {
  ...BRANCH_SETTINGS,
  cameraId: 'cam-desk',
  kioskId: 'agencia-0001-t1',
  idleTimeoutSeconds: 60,
  documentInbox: '/srv/scans',
};

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

const PREVIEW: DocumentPreview = {
  portrait: 'data:image/jpeg;base64,UE9SVFJBSVQ=',
  document: 'data:image/jpeg;base64,RE9DVU1FTlQ=',
  rotationDegrees: 90,
  fromPdf: false,
};

const PRIVACY: PrivacyNotice = {
  controller: 'Banco Exemplo S.A., CNPJ 00.000.000/0001-00',
  dpoName: 'Maria Souza',
  dpoContact: 'dpo@bancoexemplo.com.br',
};

const STICK: RemovableMedium = { id: 'm-1', label: 'PENDRIVE', readOnly: false };

const STICK_ROOT: MediaFolder = {
  path: '',
  truncated: false,
  entries: [
    { name: 'DCIM', path: 'DCIM', kind: 'folder', size: 0 },
    { name: 'rg-frente.jpg', path: 'rg-frente.jpg', kind: 'image', size: 1_234_567 },
    { name: 'rg.pdf', path: 'rg.pdf', kind: 'pdf', size: 80_000 },
  ],
};

const STICK_DCIM: MediaFolder = {
  path: 'DCIM',
  truncated: false,
  entries: [{ name: 'foto.jpeg', path: 'DCIM/foto.jpeg', kind: 'image', size: 512_000 }],
};

const CAPTURE: VisitCapture = { provider: 'local', attemptsLeft: 5, movementChallenge: true };
const LIVENESS: VisitLiveness = { sessionId: 'live-1', provider: 'local', region: null };
const RESULT: VisitResult = { outcome: 'approved', reference: 'A1B2C3', elapsedMs: 41234 };

function quality(hint: DocumentHint): DocumentFrameQuality {
  return { hint, sharpness: 812.5, glare: 0.01, brightness: 130, portraitFound: hint === 'ready' };
}

/** Test double of the IPC edge for the visit: resolves with fixed data, records every call. */
function fakeApi() {
  return {
    getSettings: vi.fn(async () => SETTINGS),
    saveSettings: vi.fn(async (settings: KioskSettings) => settings),
    visitBegin: vi.fn(async () => INFO),
    privacyNotice: vi.fn(async (): Promise<PrivacyNotice | null> => null),
    qrCode: vi.fn(async (text: string): Promise<QrCode> => ({
      size: 21,
      path: `M0 0h${Math.min(21, text.length)}v1h-${Math.min(21, text.length)}z`,
    })),
    visitTouch: vi.fn(async () => undefined),
    visitConsent: vi.fn(async () => undefined),
    visitMediaList: vi.fn(async (): Promise<RemovableMedium[]> => [STICK]),
    visitMediaBrowse: vi.fn(
      async (_visitId: string, _mediumId: string, path: string): Promise<MediaFolder> =>
        path === 'DCIM' ? STICK_DCIM : STICK_ROOT,
    ),
    visitDocumentMedia: vi.fn(async () => PREVIEW),
    visitDocumentInbox: vi.fn(async () => PREVIEW),
    visitDocumentScan: vi.fn(async () => PREVIEW),
    visitDocumentImage: vi.fn(async () => PREVIEW),
    documentFrameQuality: vi.fn(async () => quality('no-portrait')),
    visitConfirmDocument: vi.fn(async () => CAPTURE),
    visitRetakeDocument: vi.fn(async () => undefined),
    visitLivenessSession: vi.fn(async (): Promise<VisitLiveness> => LIVENESS),
    visitComplete: vi.fn(async () => RESULT),
    visitEnd: vi.fn(async () => undefined),
    visitPrintReceipt: vi.fn<(visitId: string, lines: string[], label: string) => Promise<void>>(
      async () => undefined,
    ),
    speak: vi.fn(async (request: SpeechRequest) => ({
      durationMs: request.text.length * 60,
      cached: false,
    })),
    speechStop: vi.fn(async () => undefined),
  };
}

/** The camera without hardware: a fake stream and fixed JPEG bytes. */
function fakeCamera() {
  const stream = { id: 'fake-stream' } as unknown as MediaStream;
  return {
    stream,
    open: vi.fn(async () => stream),
    attach: vi.fn(async () => undefined),
    stop: vi.fn(),
    grab: vi.fn(
      async (_video: HTMLVideoElement, maxWidth: number) =>
        new Uint8Array([0xff, 0xd8, maxWidth % 256]),
    ),
  };
}

describe('customer visit', () => {
  let api: ReturnType<typeof fakeApi>;
  let camera: ReturnType<typeof fakeCamera>;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    vi.useFakeTimers();
    api = fakeApi();
    camera = fakeCamera();
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes),
        provideI18n(),
        { provide: KioskApi, useValue: api },
        { provide: DocumentCamera, useValue: camera },
        fakeCameraProbe().provider,
      ],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    harness = await RouterTestingHarness.create('/');
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

  function find(testId: string): HTMLElement | null {
    return root().querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  }

  function get(testId: string): HTMLElement {
    const element = find(testId);
    if (!element) throw new Error(`no [data-testid="${testId}"] in: ${root().textContent}`);
    return element;
  }

  async function tap(testId: string): Promise<void> {
    get(testId).click();
    await settle();
  }

  function url(): string {
    return TestBed.inject(Router).url;
  }

  /** From the attract screen to the consent, in `lang`. */
  async function toConsent(lang: 'pt-BR' | 'en' = 'pt-BR'): Promise<void> {
    expect(find('attract')).not.toBeNull();
    await tap('start');
    expect(url()).toBe('/visit');
    await tap(`lang-${lang}`);
    expect(find('visit-consent')).not.toBeNull();
  }

  async function toPortrait(): Promise<void> {
    await toConsent();
    await tap('consent-accept');
    await tap('doc-inbox');
    expect(find('visit-portrait')).not.toBeNull();
  }

  async function toLiveness(): Promise<void> {
    await toPortrait();
    await tap('portrait-confirm');
    expect(find('visit-liveness')).not.toBeNull();
  }

  function widget(): HTMLElement {
    const element = root().querySelector<HTMLElement>('face-liveness-widget');
    if (!element) throw new Error('no widget');
    return element;
  }

  it('attract → language → consent declined ends the visit as declined, then returns to attract', async () => {
    expect(get('start').textContent).toContain('Toque para começar');
    expect(find('staff-entry')?.getAttribute('href')).toBe('/staff');
    await toConsent('en');

    expect(api.visitBegin).toHaveBeenCalledWith('en', null);
    expect(document.documentElement.lang).toBe('en');
    // Choosing the customer's language never changes the kiosk's stored language.
    expect(api.saveSettings).not.toHaveBeenCalled();
    const consent = get('visit-consent').textContent ?? '';
    expect(consent).toContain('What we collect');
    expect(consent).toContain('120 days');
    expect(consent).toContain('analysed on this kiosk');
    expect(consent).toContain('Data Protection Officer');
    expect(get('consent-version').textContent).toContain('lgpd-2026-11');

    await tap('consent-decline');
    expect(api.visitConsent).toHaveBeenCalledWith('visit-1', false);
    expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'declined');
    expect(get('declined').textContent).toContain('Nothing was kept');
    expect(TestBed.inject(VisitService).info()).toBeNull();

    await settle(5000);
    expect(url()).toBe('/');
    expect(find('attract')).not.toBeNull();
    // Back in the kiosk's own language for the next customer.
    expect(document.documentElement.lang).toBe('pt-BR');
    expect(get('start').textContent).toContain('Toque para começar');
    expect(api.visitEnd).toHaveBeenCalledTimes(1);
  });

  describe('the privacy notice on the consent', () => {
    const GENERIC_PT = 'A instituição que opera este quiosque é a controladora dos seus dados.';

    it('names the controller and the DPO (name and contact) from the kiosk notice', async () => {
      api.privacyNotice.mockResolvedValue(PRIVACY);
      await toConsent();

      expect(api.privacyNotice).toHaveBeenCalledTimes(1);
      expect(get('consent-controller').textContent?.trim()).toBe(
        'Controlador: Banco Exemplo S.A., CNPJ 00.000.000/0001-00',
      );
      expect(get('consent-dpo').textContent?.trim()).toBe(
        'Encarregado (DPO): Maria Souza — dpo@bancoexemplo.com.br',
      );
      expect(get('consent-who').textContent).not.toContain(GENERIC_PT);
    });

    it("gives the DPO's contact as a QR code a phone opens (mailto, tel, web)", async () => {
      api.privacyNotice.mockResolvedValue(PRIVACY);
      await toConsent();
      const qr = get('consent-dpo-qr').querySelector('svg');
      expect(qr?.getAttribute('data-text')).toBe('mailto:dpo@bancoexemplo.com.br');
      expect(qr?.getAttribute('aria-label')).toBe('Contato do Encarregado em código QR');
      expect(qr?.getAttribute('viewBox')).toBe('-4 -4 29 29');
      expect(qr?.querySelector('path')?.getAttribute('d')).toBe('M0 0h21v1h-21z');
      expect(api.qrCode).toHaveBeenCalledWith('mailto:dpo@bancoexemplo.com.br');
      expect(contactUri('+55 (11) 4004-0001')).toBe('tel:+551140040001');
      expect(contactUri('0800 123 4567')).toBe('tel:08001234567');
      expect(contactUri('www.bancoexemplo.com.br/privacidade')).toBe(
        'https://www.bancoexemplo.com.br/privacidade',
      );
      expect(contactUri('https://exemplo.com.br/dpo')).toBe('https://exemplo.com.br/dpo');
      expect(contactUri('Agência 0001, balcão 3')).toBe('Agência 0001, balcão 3');
      expect(contactUri('mailto:dpo@banco.example')).toBe('mailto:dpo@banco.example');
    });

    it('names AWS as processor, with its region and the transfer abroad, only where it applies', async () => {
      api.visitBegin.mockResolvedValueOnce({
        ...INFO,
        processors: [
          {
            name: 'Amazon Web Services (AWS)',
            purpose: 'face-check-and-storage',
            region: 'us-east-1',
            regionName: 'US East (N. Virginia)',
            internationalTransfer: true,
          },
        ],
      });
      await toConsent();
      const processor = get('consent-processor');
      expect(processor.getAttribute('data-transfer')).toBe('true');
      expect(processor.textContent).toContain(
        'Amazon Web Services (AWS) analisa as imagens do rosto e do documento',
      );
      expect(processor.textContent).toContain(
        'transferidos para fora do Brasil (US East (N. Virginia), us-east-1)',
      );
      expect(processor.textContent).toContain('art. 33');
      expect(find('consent-no-processor')).toBeNull();
      // Hashed with the rest of the text.
      await tap('consent-accept');
      expect(api.visitConsent).toHaveBeenCalledWith(
        'visit-1',
        true,
        expect.stringContaining('transferência internacional (art. 33)'),
      );
      await tap('visit-cancel');
      await settle(5000);

      // A kiosk syncing to São Paulo: a copy is kept, and it stays in Brazil.
      api.visitBegin.mockResolvedValueOnce({
        ...INFO,
        processors: [
          {
            name: 'Amazon Web Services (AWS)',
            purpose: 'storage',
            region: 'sa-east-1',
            regionName: 'South America (Sao Paulo)',
            internationalTransfer: false,
          },
        ],
      });
      await toConsent('en');
      expect(get('consent-processor').textContent).toContain('keeps an encrypted copy');
      expect(get('consent-processor').textContent).toContain(
        'stays in Brazil (South America (Sao Paulo), sa-east-1)',
      );
    });

    it('says that nobody else processes the data on a kiosk without AWS', async () => {
      await toConsent();
      expect(find('consent-processor')).toBeNull();
      expect(get('consent-no-processor').textContent).toContain(
        'Nenhuma empresa além da instituição',
      );
    });

    it('names the DPO by contact alone when the notice has no name, in English too', async () => {
      api.privacyNotice.mockResolvedValue({ ...PRIVACY, dpoName: null });
      await toConsent('en');

      expect(get('consent-controller').textContent?.trim()).toBe(
        'Controller: Banco Exemplo S.A., CNPJ 00.000.000/0001-00',
      );
      expect(get('consent-dpo').textContent?.trim()).toBe(
        'Data Protection Officer (DPO): dpo@bancoexemplo.com.br',
      );
      expect(get('consent-who').textContent).not.toContain('A member of staff at the branch');
    });

    it('keeps the generic text without a notice', async () => {
      await toConsent();

      expect(api.privacyNotice).toHaveBeenCalledTimes(1);
      expect(get('consent-who').textContent).toContain(GENERIC_PT);
      expect(find('consent-controller')).toBeNull();
      expect(find('consent-dpo')).toBeNull();
    });

    it('keeps the generic text and the visit when the notice cannot be read', async () => {
      api.privacyNotice.mockRejectedValue(new Error('privacy notice task failed'));
      await toConsent();

      expect(get('consent-who').textContent).toContain(GENERIC_PT);
      expect(find('consent-controller')).toBeNull();
      expect(find('visit-error')).toBeNull();
      await tap('consent-accept');
      expect(api.visitConsent).toHaveBeenCalledWith(
        'visit-1',
        true,
        expect.stringContaining('LGPD'),
      );
      expect(find('visit-document')).not.toBeNull();
    });

    it('is read afresh for every visit and forgotten when one ends', async () => {
      api.privacyNotice.mockResolvedValueOnce(PRIVACY);
      await toConsent();
      expect(find('consent-controller')).not.toBeNull();
      await tap('consent-decline');
      expect(TestBed.inject(VisitService).privacy()).toBeNull();
      await settle(5000);

      await toConsent();
      expect(api.privacyNotice).toHaveBeenCalledTimes(2);
      expect(find('consent-controller')).toBeNull();
      expect(get('consent-who').textContent).toContain(GENERIC_PT);
    });
  });

  it('consent accepted → document → portrait → liveness → result without scores', async () => {
    await toConsent();
    expect(get('consent-retention').textContent).toContain('120 dias');
    const shown = consentText(root());
    // One line per heading, paragraph and item, as shown.
    expect(shown.split('\n')).toContain('O que coletamos');
    expect(shown).toContain('dados pessoais sensíveis');
    expect(shown).toContain('LGPD, art. 20');
    await tap('consent-accept');
    // The text as shown goes with the acceptance (the kiosk records its SHA-256).
    expect(api.visitConsent).toHaveBeenCalledWith('visit-1', true, shown);

    // Only the sources this kiosk has.
    expect(find('doc-removableMedia')).not.toBeNull();
    expect(find('doc-camera')).not.toBeNull();
    expect(find('doc-inbox')).not.toBeNull();
    expect(find('doc-scanner')).toBeNull();

    await tap('doc-inbox');
    expect(api.visitDocumentInbox).toHaveBeenCalledWith('visit-1');
    expect(get('portrait-image').getAttribute('src')).toBe(PREVIEW.portrait);
    expect(get('document-image').getAttribute('src')).toBe(PREVIEW.document);

    await tap('portrait-confirm');
    expect(api.visitConfirmDocument).toHaveBeenCalledWith('visit-1');
    // No session yet: the widget asks for one when the customer presses start.
    expect(api.visitLivenessSession).not.toHaveBeenCalled();
    expect(widget().hasAttribute('session-id')).toBe(false);
    expect(widget().getAttribute('provider')).toBe('local');
    const hook = (widget() as HTMLElement & { requestSession?: () => Promise<VisitLiveness> })
      .requestSession;
    expect(hook).toBeTypeOf('function');
    await expect(hook!()).resolves.toEqual(LIVENESS);
    expect(api.visitLivenessSession).toHaveBeenCalledWith('visit-1', 'movement-and-light');
    // The customer's choice of the check without flashing colours reaches the backend.
    const request = { provider: 'local', attempt: 2, lang: 'pt-BR', challenge: 'movement' };
    await expect(
      (hook as unknown as (r: typeof request) => Promise<VisitLiveness>)(request),
    ).resolves.toEqual(LIVENESS);
    expect(api.visitLivenessSession).toHaveBeenLastCalledWith('visit-1', 'movement');
    expect(widget().getAttribute('lang')).toBe('pt-BR');
    expect(widget().getAttribute('camera-id')).toBe('cam-desk');

    let decide!: (result: VisitResult) => void;
    api.visitComplete.mockImplementation(() => new Promise((resolve) => (decide = resolve)));
    widget().dispatchEvent(
      new CustomEvent('liveness-complete', {
        detail: { sessionId: 'live-1', status: 'SUCCEEDED' },
      }),
    );
    await settle();
    expect(find('processing')).not.toBeNull();
    expect(api.visitComplete).toHaveBeenCalledWith('visit-1', 'pt-BR');

    decide({ ...RESULT, outcome: 'review' });
    await settle();
    const result = get('result');
    expect(result.getAttribute('data-outcome')).toBe('review');
    expect(get('result-outcome').textContent?.trim()).toBe('EM REVISÃO');
    expect(get('result-next').textContent).toContain('Um funcionário vai analisar');
    expect(get('result-reference').textContent).toContain('A1B2C3');
    // The protocol as a QR code too (the same text), never instead of it.
    expect(get('result-qr').querySelector('svg')?.getAttribute('data-text')).toBe('A1B2C3');
    expect(api.qrCode).toHaveBeenCalledWith('A1B2C3');
    // No score, no timing: only the outcome and the reference.
    expect(result.textContent).not.toMatch(/41234|%|score|pontua/i);
    expect(result.textContent?.replace('A1B2C3', '')).not.toMatch(/\d/);

    await tap('result-done');
    expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'done');
    expect(url()).toBe('/');
    expect(TestBed.inject(VisitService).result()).toBeNull();
  });

  it('shows each outcome in English and finishes by itself after 20 s', async () => {
    api.visitComplete.mockResolvedValue({ ...RESULT, outcome: 'rejected' });
    await toConsent('en');
    await tap('consent-accept');
    await tap('doc-inbox');
    await tap('portrait-confirm');
    widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
    await settle();
    expect(get('result').getAttribute('data-outcome')).toBe('rejected');
    expect(get('result-outcome').textContent?.trim()).toBe('REJECTED');
    expect(api.visitComplete).toHaveBeenCalledWith('visit-1', 'en');

    await settle(19_000);
    expect(api.visitEnd).not.toHaveBeenCalled();
    await settle(1000);
    expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'done');
    expect(url()).toBe('/');
  });

  it('prints the receipt where the kiosk has a printer, and says when it could not', async () => {
    api.visitBegin.mockResolvedValue({ ...INFO, receiptPrinter: true });
    api.privacyNotice.mockResolvedValue(PRIVACY);
    await toLiveness();
    widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
    await settle();
    expect(find('receipt-status')).toBeNull();
    await tap('result-print');
    expect(api.visitPrintReceipt).toHaveBeenCalledTimes(1);
    const [visitId, lines, label] = api.visitPrintReceipt.mock.calls[0];
    expect(visitId).toBe('visit-1');
    expect(label).toBe('Protocolo');
    expect(lines[0]).toContain('Sua identidade foi confirmada');
    expect(lines[1]).toMatch(/^\d{2}\/\d{2}\/\d{4}.* · Quiosque /);
    expect(lines[1]).not.toMatch(/[\u00a0\u202f]/);
    expect(lines[2]).toBe('Controlador: Banco Exemplo S.A., CNPJ 00.000.000/0001-00');
    // The screen never sends the decision or the protocol: the backend prints its own.
    expect(lines.join(' ')).not.toContain(RESULT.reference);
    expect(lines.join(' ')).not.toContain('APROVADO');
    expect(get('receipt-status').getAttribute('data-state')).toBe('printed');

    api.visitPrintReceipt.mockRejectedValueOnce({
      code: 'visit',
      detail: '[receipt-failed] printer-unavailable: no paper',
    });
    await tap('result-print');
    expect(get('receipt-status').getAttribute('role')).toBe('alert');
    expect(get('receipt-status').textContent).toContain('Anote o protocolo');
    // The protocol stays on the screen.
    expect(get('result-reference').textContent).toContain('A1B2C3');
  });

  it('says how to print the receipt, and what became of it, when speech is on', async () => {
    api.visitBegin.mockResolvedValue({ ...INFO, receiptPrinter: true });
    await toLiveness();
    TestBed.inject(AccessibilityService).setSpeech(true);
    widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
    await settle();
    const said = () => api.speak.mock.calls.map(([request]) => request);
    const result = said().find((r) => r.phraseId === 'screen.result.approved');
    expect(result?.text).toContain('Para imprimir o comprovante, tecle 1 e depois Confirma.');
    // 1 focuses the print button (the first), Enter presses it.
    expect(get('result-print').textContent).toContain('Imprimir comprovante');
    await tap('result-print');
    expect(said().at(-1)?.phraseId).toBe('screen.receipt.printed');
    expect(said().at(-1)?.text).toContain('Comprovante impresso');
    // The result stays up for a while after printing.
    await settle(19_000);
    expect(find('result')).not.toBeNull();
  });

  it('offers no receipt on a kiosk without a printer', async () => {
    await toLiveness();
    widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
    await settle();
    expect(find('result')).not.toBeNull();
    expect(find('result-print')).toBeNull();
  });

  it('"take another" drops the document and goes back to the sources', async () => {
    await toPortrait();
    await tap('portrait-retake');
    expect(api.visitRetakeDocument).toHaveBeenCalledWith('visit-1');
    expect(find('visit-document')).not.toBeNull();
    expect(TestBed.inject(VisitService).preview()).toBeNull();
  });

  /** The entries the picker shows, by name. */
  function pickerNames(): string[] {
    return [...root().querySelectorAll('[data-testid="picker-entry"]')].map(
      (e) => e.getAttribute('data-name') ?? '',
    );
  }

  function pickerEntry(name: string): HTMLElement {
    const entry = root().querySelector<HTMLElement>(
      `[data-testid="picker-entry"][data-name="${name}"]`,
    );
    if (!entry) throw new Error(`no picker entry ${name} among ${pickerNames().join(', ')}`);
    return entry;
  }

  async function toPicker(): Promise<void> {
    await toConsent();
    await tap('consent-accept');
    expect(get('doc-removableMedia').textContent).toContain('Pendrive / cartão de memória');
    await tap('doc-removableMedia');
    expect(get('visit-picker').getAttribute('data-view')).toBe('media');
  }

  it("picks the document on a USB stick in the kiosk's own picker: media, folders, files, back", async () => {
    await toPicker();
    expect(api.visitMediaList).toHaveBeenCalledWith('visit-1');
    // No path to type, nothing but the media.
    expect(root().querySelector('input, textarea')).toBeNull();
    expect(get('picker-medium').textContent).toContain('PENDRIVE');

    await tap('picker-medium');
    expect(api.visitMediaBrowse).toHaveBeenLastCalledWith('visit-1', 'm-1', '');
    expect(get('visit-picker').getAttribute('data-view')).toBe('folder');
    expect(get('picker-where').textContent).toContain('PENDRIVE');
    expect(pickerNames()).toEqual(['DCIM', 'rg-frente.jpg', 'rg.pdf']);
    expect(pickerEntry('rg-frente.jpg').textContent).toContain('1,2 MB');
    expect(pickerEntry('rg.pdf').getAttribute('data-kind')).toBe('pdf');
    expect(pickerEntry('DCIM').textContent).toContain('Pasta');

    pickerEntry('DCIM').click();
    await settle();
    expect(api.visitMediaBrowse).toHaveBeenLastCalledWith('visit-1', 'm-1', 'DCIM');
    expect(pickerNames()).toEqual(['foto.jpeg']);
    expect(get('picker-where').textContent).toContain('DCIM');

    // "Voltar": up one folder, then the media, then the sources.
    await tap('picker-back');
    expect(api.visitMediaBrowse).toHaveBeenLastCalledWith('visit-1', 'm-1', '');
    expect(pickerNames()).toEqual(['DCIM', 'rg-frente.jpg', 'rg.pdf']);
    await tap('picker-back');
    expect(get('visit-picker').getAttribute('data-view')).toBe('media');
    expect(api.visitMediaList).toHaveBeenCalledTimes(2);
    await tap('picker-back');
    expect(find('visit-picker')).toBeNull();
    expect(find('doc-inbox')).not.toBeNull();

    await tap('doc-removableMedia');
    await tap('picker-medium');
    pickerEntry('DCIM').click();
    await settle();
    pickerEntry('foto.jpeg').click();
    await settle();
    expect(api.visitDocumentMedia).toHaveBeenCalledWith('visit-1', 'm-1', 'DCIM/foto.jpeg');
    expect(find('visit-portrait')).not.toBeNull();
    expect(TestBed.inject(VisitService).picker()).toBeNull();

    // "Take another" comes back to the sources, not to the picker.
    await tap('portrait-retake');
    expect(find('visit-document')).not.toBeNull();
    expect(find('visit-picker')).toBeNull();
  });

  it('says when no medium is connected, looks again, and closes back to the sources', async () => {
    api.visitMediaList.mockResolvedValueOnce([]);
    await toPicker();
    expect(get('picker-no-media').textContent).toContain('Nenhum pendrive');
    await tap('picker-refresh');
    expect(get('picker-medium').textContent).toContain('PENDRIVE');
    await tap('picker-close');
    expect(find('visit-picker')).toBeNull();
    expect(find('doc-removableMedia')).not.toBeNull();
  });

  it("goes back to the media with the picker's message when the stick was taken out", async () => {
    api.visitDocumentMedia.mockRejectedValueOnce({
      code: 'visit',
      detail: '[medium-unavailable] the medium is no longer mounted',
    });
    await toPicker();
    await tap('picker-medium');
    pickerEntry('rg-frente.jpg').click();
    await settle();
    const error = get('visit-error');
    expect(error.textContent).toContain('foi retirado');
    expect(error.textContent).not.toContain('mounted');
    expect(get('visit-picker').getAttribute('data-view')).toBe('media');
    expect(api.visitMediaList).toHaveBeenCalledTimes(2);
    expect(find('visit-portrait')).toBeNull();
  });

  it('says what is wrong with the document in the customer language, never the technical detail, and retries', async () => {
    api.visitDocumentInbox.mockRejectedValueOnce({
      code: 'visit',
      detail: '[no-portrait] no face found on page 1',
    });
    await toConsent();
    await tap('consent-accept');
    await tap('doc-inbox');

    const error = get('visit-error');
    expect(error.textContent).toContain('Não encontramos a foto no documento');
    expect(error.textContent).not.toContain('no face found');
    await tap('doc-retry');
    expect(api.visitDocumentInbox).toHaveBeenCalledTimes(2);
    expect(find('visit-portrait')).not.toBeNull();
  });

  it('wipes the visit and shows attract on a visit-expired refusal', async () => {
    api.visitConfirmDocument.mockRejectedValue({
      code: 'visit',
      detail: '[visit-expired] no visit visit-1',
    });
    await toPortrait();
    await tap('portrait-confirm');
    expect(url()).toBe('/');
    const visit = TestBed.inject(VisitService);
    expect(visit.info()).toBeNull();
    expect(visit.preview()).toBeNull();
    expect(root().querySelector('img')).toBeNull();
    // The backend already forgot it: nothing to end.
    expect(api.visitEnd).not.toHaveBeenCalled();
  });

  it('after a cancelled capture offers another try with a fresh widget, which asks for its own session', async () => {
    await toLiveness();
    const first = widget();
    first.dispatchEvent(new CustomEvent('liveness-cancel', { detail: { reason: 'user' } }));
    await settle();
    expect(get('liveness-problem').textContent).toContain('Você cancelou');
    expect(root().querySelector('face-liveness-widget')).toBeNull();

    await tap('liveness-retry');
    expect(widget()).not.toBe(first);
    // No command on "try again": the new widget's start asks for the new session.
    expect(api.visitLivenessSession).not.toHaveBeenCalled();
    expect(widget().getAttribute('provider')).toBe('local');

    widget().dispatchEvent(
      new CustomEvent('liveness-error', { detail: { code: 'engine-unavailable', message: '…' } }),
    );
    await settle();
    expect(find('liveness-retry')).toBeNull();
    await tap('liveness-cancel');
    expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'cancelled');
    expect(url()).toBe('/');
  });

  it('ends the visit as failed when the camera is missing, then returns to attract', async () => {
    await toLiveness();
    widget().dispatchEvent(
      new CustomEvent('liveness-error', { detail: { code: 'camera-not-found', message: 'x' } }),
    );
    await settle();
    expect(get('camera-missing').textContent).toContain('chame um atendente');
    expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'failed');
    expect(TestBed.inject(VisitService).info()).toBeNull();

    await settle(12_000);
    expect(url()).toBe('/');
    expect(find('attract')).not.toBeNull();
  });

  it('goes back to the capture when the decision says the liveness was incomplete', async () => {
    api.visitComplete.mockRejectedValueOnce({
      code: 'visit',
      detail: '[liveness-incomplete] not finished',
    });
    await toLiveness();
    widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
    await settle();
    expect(get('liveness-problem-message').textContent).toContain('não foi concluída');
    expect(root().querySelector('face-liveness-widget')).toBeNull();
    await tap('liveness-retry');
    expect(widget().getAttribute('provider')).toBe('local');
    expect(api.visitLivenessSession).not.toHaveBeenCalled();
  });

  it("passes the backend's too-many-attempts refusal to the widget, then sends the customer to staff", async () => {
    const refusal = {
      code: 'visit',
      detail: '[too-many-attempts] too many failed liveness attempts; retry in 130000 ms',
    };
    api.visitLivenessSession.mockRejectedValueOnce(refusal);
    await toLiveness();
    const hook = (widget() as HTMLElement & { requestSession: () => Promise<VisitLiveness> })
      .requestSession;
    // The widget reads the bracketed code and shows its staff path.
    await expect(hook()).rejects.toBe(refusal);
    widget().dispatchEvent(
      new CustomEvent('liveness-error', { detail: { code: 'too-many-attempts', message: '…' } }),
    );
    await settle();
    expect(get('liveness-problem-message').textContent).toContain('chame um atendente');
    expect(find('liveness-retry')).toBeNull();
    expect(TestBed.inject(VisitService).info()).not.toBeNull();
  });

  describe('document camera', () => {
    async function toCamera(): Promise<void> {
      await toConsent();
      await tap('consent-accept');
      await tap('doc-camera');
    }

    it('shows the framing feedback and takes the photo once it is ready', async () => {
      api.documentFrameQuality
        .mockResolvedValueOnce(quality('glare'))
        .mockResolvedValue(quality('ready'));
      await toCamera();
      expect(camera.open).toHaveBeenCalledWith('cam-desk');
      expect(camera.attach).toHaveBeenCalledWith(expect.any(HTMLVideoElement), camera.stream);
      expect((get('doc-capture') as HTMLButtonElement).disabled).toBe(true);

      await settle(500);
      expect(get('doc-hint').textContent).toContain('reflexo');
      expect((get('doc-capture') as HTMLButtonElement).disabled).toBe(true);
      // Small frames for the feedback.
      expect(camera.grab).toHaveBeenCalledWith(
        expect.any(HTMLVideoElement),
        640,
        expect.any(Number),
      );

      await settle(500);
      expect(get('doc-hint').getAttribute('data-hint')).toBe('ready');
      expect((get('doc-capture') as HTMLButtonElement).disabled).toBe(false);

      await tap('doc-capture');
      expect(api.visitDocumentImage).toHaveBeenCalledWith('visit-1', expect.any(Uint8Array));
      expect(find('visit-portrait')).not.toBeNull();
      expect(camera.stop).toHaveBeenCalledWith(camera.stream);
    });

    it('allows the photo after 10 s whatever the feedback', async () => {
      await toCamera();
      await settle(9500);
      expect(get('doc-hint').getAttribute('data-hint')).toBe('no-portrait');
      expect((get('doc-capture') as HTMLButtonElement).disabled).toBe(true);
      await settle(500);
      expect((get('doc-capture') as HTMLButtonElement).disabled).toBe(false);
    });

    it('offers the other sources when the camera cannot be opened', async () => {
      camera.open.mockRejectedValue(new DOMException('denied', 'NotAllowedError'));
      await toCamera();
      expect(find('doc-camera-error')).not.toBeNull();
      expect(find('doc-removableMedia')).not.toBeNull();
    });
  });

  describe('idle timeout', () => {
    it('warns in the last 30 s, and "continue" keeps the visit', async () => {
      await toConsent();
      await settle(29_000);
      expect(find('idle-warning')).toBeNull();
      await settle(1000);
      expect(get('idle-warning').textContent).toContain('Ainda está aí?');
      expect(get('idle-seconds').textContent).toContain('30 s');
      expect(get('idle-more-time').textContent).toContain('Preciso de mais tempo');
      expect(get('idle-end').textContent).toContain('Encerrar agora');

      await tap('idle-continue');
      expect(find('idle-warning')).toBeNull();
      await settle(29_000);
      expect(find('visit-consent')).not.toBeNull();
      expect(api.visitEnd).not.toHaveBeenCalled();
    });

    it('"I need more time" doubles the time for the rest of the visit; "end now" ends it', async () => {
      await toConsent();
      await settle(30_000);
      api.visitTouch.mockClear();
      // A finger on the warning does not dismiss it before its button is pressed.
      document.dispatchEvent(new Event('pointerdown'));
      await settle();
      expect(find('idle-warning')).not.toBeNull();
      await tap('idle-more-time');
      expect(api.visitTouch).toHaveBeenCalledWith('visit-1');
      expect(find('idle-warning')).toBeNull();
      // 120 s now: the warning comes after 90 s, on this step and the next.
      await settle(89_000);
      expect(find('idle-warning')).toBeNull();
      await tap('consent-accept');
      await settle(90_000);
      expect(get('idle-seconds').textContent).toContain('30 s');
      await tap('idle-end');
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'cancelled');
      expect(url()).toBe('/');
    });

    it('on timeout ends the visit as idle, wipes everything and shows attract', async () => {
      await toPortrait();
      const visit = TestBed.inject(VisitService);
      expect(visit.preview()).not.toBeNull();

      await settle(60_000);
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
      expect(url()).toBe('/');
      expect(find('attract')).not.toBeNull();
      expect(visit.step()).toBeNull();
      expect(visit.info()).toBeNull();
      expect(visit.preview()).toBeNull();
      expect(visit.liveness()).toBeNull();
      expect(visit.result()).toBeNull();
      expect(root().querySelector('img')).toBeNull();
      expect(root().innerHTML).not.toContain(PREVIEW.portrait);

      // Nothing of that visit comes back: /visit leads to attract.
      await harness.navigateByUrl('/visit');
      expect(url()).toBe('/');
    });

    it('touches reset the countdown and keep the visit alive at most every 15 s', async () => {
      await toConsent();
      api.visitTouch.mockClear();
      for (let second = 0; second < 40; second += 5) {
        await settle(5000);
        document.dispatchEvent(new Event('pointerdown'));
      }
      // 40 s of activity: still there, the backend told twice (at 15 s and 30 s).
      expect(find('visit-consent')).not.toBeNull();
      expect(api.visitTouch).toHaveBeenCalledTimes(2);
      expect(api.visitTouch).toHaveBeenCalledWith('visit-1');
      await settle(60_000);
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
    });

    it('does not time out during the capture, and keeps the backend visit alive meanwhile', async () => {
      await toLiveness();
      api.visitTouch.mockClear();
      await settle(120_000);
      expect(find('visit-liveness')).not.toBeNull();
      expect(api.visitEnd).not.toHaveBeenCalled();
      expect(api.visitTouch.mock.calls.length).toBeGreaterThanOrEqual(7);
      // The longer limit still ends a capture left alone.
      await settle(60_000);
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
      expect(url()).toBe('/');
    });

    it('on timeout with the picker open ends the visit, wipes the picker and drops its late answer', async () => {
      await toPicker();
      await tap('picker-medium');
      const visit = TestBed.inject(VisitService);
      expect(visit.picker()?.folder).not.toBeNull();
      let answer!: (folder: MediaFolder) => void;
      api.visitMediaBrowse.mockImplementationOnce(
        () => new Promise<MediaFolder>((resolve) => (answer = resolve)),
      );
      pickerEntry('DCIM').click();
      await settle(60_000);
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
      expect(url()).toBe('/');
      expect(find('attract')).not.toBeNull();
      expect(visit.picker()).toBeNull();
      expect(find('visit-picker')).toBeNull();
      answer(STICK_DCIM);
      await settle();
      expect(visit.picker()).toBeNull();
      expect(root().textContent).not.toContain('foto.jpeg');
    });

    it('drops an answer that arrives after the timeout', async () => {
      let begin!: (info: VisitInfo) => void;
      api.visitBegin.mockImplementation(() => new Promise((resolve) => (begin = resolve)));
      await tap('start');
      await tap('lang-pt-BR');
      await settle(60_000);
      expect(url()).toBe('/');
      begin(INFO);
      await settle();
      expect(TestBed.inject(VisitService).info()).toBeNull();
      expect(find('attract')).not.toBeNull();
      // The visit the late answer began is ended at once.
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
    });
  });
  describe('accessibility', () => {
    /** A key press; Enter on a focused button presses it, as a browser does unless the page prevents it. */
    function key(name: string): Promise<void> {
      const target = document.activeElement ?? document.body;
      const event = new KeyboardEvent('keydown', { key: name, bubbles: true, cancelable: true });
      const proceed = target.dispatchEvent(event);
      if (proceed && name === 'Enter' && target instanceof HTMLButtonElement) target.click();
      return settle();
    }

    /** What the kiosk was asked to say, by phrase id. */
    function spoken(): string[] {
      return api.speak.mock.calls.map(([request]) => request.phraseId);
    }

    it('staff turned spoken guidance on for every visit: it starts on, and the customer may turn it off', async () => {
      api.getSettings.mockResolvedValue({ ...SETTINGS, spokenGuidance: true });
      await TestBed.inject(KioskSettingsStore).load();
      await tap('start');
      expect(spoken()).toEqual(['screen.language']);
      expect(get('access-speech').getAttribute('aria-pressed')).toBe('true');
      await tap('access-speech');
      expect(get('access-speech').getAttribute('aria-pressed')).toBe('false');
      await tap('lang-pt-BR');
      expect(spoken()).toEqual(['screen.language']);
    });

    it('the whole visit by keypad alone, each screen said in order when 0 turned speech on', async () => {
      (document.activeElement as HTMLElement | null)?.blur();
      await key('0');
      expect(url()).toBe('/visit');
      expect(spoken()).toEqual(['screen.language']);
      expect(api.speak.mock.calls[0][0]).toMatchObject({ language: 'pt-BR', personal: false });
      expect(api.speak.mock.calls[0][0].text).toContain('Tecle 1 para português');

      // 1 moves to Português, Enter presses it.
      await key('1');
      expect(document.activeElement?.getAttribute('data-testid')).toBe('lang-pt-BR');
      await key('Enter');
      expect(find('visit-consent')).not.toBeNull();
      expect(get('step-indicator').textContent).toContain('Etapa 1 de 4');
      // 0 says the screen again.
      await key('0');
      expect(spoken()).toEqual(['screen.language', 'screen.consent', 'screen.consent']);
      const consent = api.speak.mock.calls[1][0].text;
      expect(consent).toContain('dados pessoais sensíveis');
      expect(consent).toContain('revise');

      // Confirma accepts.
      (document.activeElement as HTMLElement | null)?.blur();
      await key('Enter');
      expect(api.visitConsent).toHaveBeenCalledWith(
        'visit-1',
        true,
        expect.stringContaining('LGPD'),
      );
      expect(find('visit-document')).not.toBeNull();
      // The inbox is the second source here: 2, then Enter.
      await key('2');
      expect(document.activeElement?.getAttribute('data-testid')).toBe('doc-inbox');
      await key('Enter');
      expect(find('visit-portrait')).not.toBeNull();
      // Corrige goes back to the document; the portrait again; Confirma confirms it.
      (document.activeElement as HTMLElement | null)?.blur();
      await key('Backspace');
      expect(api.visitRetakeDocument).toHaveBeenCalled();
      await key('2');
      await key('Enter');
      (document.activeElement as HTMLElement | null)?.blur();
      await key('Enter');
      expect(find('visit-liveness')).not.toBeNull();
      widget().dispatchEvent(
        new CustomEvent('liveness-instruction', {
          detail: { id: 'capture.move-closer', text: 'Aproxime-se' },
        }),
      );
      widget().dispatchEvent(new CustomEvent('liveness-complete', { detail: {} }));
      await settle();
      expect(find('result')).not.toBeNull();
      expect(get('step-indicator').textContent).toContain('Etapa 4 de 4');
      const result = api.speak.mock.calls.at(-1)?.[0];
      if (!result) throw new Error('nothing said');
      expect(result.personal).toBe(true);
      expect(result.text).toContain('A 1 B 2 C 3');
      expect(spoken()).toEqual([
        'screen.language',
        'screen.consent',
        'screen.consent',
        'screen.document',
        'screen.portrait',
        'screen.document',
        'screen.portrait',
        'screen.liveness',
        'liveness.capture.move-closer',
        // (the decision came at once: the processing screen never showed)
        'screen.result.approved',
      ]);
      // Confirma finishes; the visit's choices and the speech end with it.
      await key('Enter');
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'done');
      expect(TestBed.inject(AccessibilityService).speech()).toBe(false);
      expect(api.speechStop).toHaveBeenCalled();
    });

    it('Anula declines on the consent; nothing is said while speech is off', async () => {
      await toConsent();
      (document.activeElement as HTMLElement | null)?.blur();
      await key('Escape');
      expect(api.visitConsent).toHaveBeenCalledWith('visit-1', false);
      expect(find('declined')).not.toBeNull();
      expect(api.speak).not.toHaveBeenCalled();
    });

    it('larger text and high contrast hold for the visit only', async () => {
      await tap('start');
      await tap('access-large-text');
      await tap('access-high-contrast');
      const html = document.documentElement;
      expect(html.classList).toContain('a11y-large-text');
      expect(html.classList).toContain('a11y-high-contrast');
      expect(get('access-large-text').getAttribute('aria-pressed')).toBe('true');
      await tap('lang-en');
      expect(html.classList).toContain('a11y-large-text');
      await tap('consent-decline');
      await settle(10_000);
      expect(url()).toBe('/');
      expect(html.classList).not.toContain('a11y-large-text');
      expect(html.classList).not.toContain('a11y-high-contrast');
    });

    it('counts listening as activity: the idle countdown starts once a long phrase has been said', async () => {
      await tap('start');
      await tap('access-speech');
      await tap('lang-pt-BR');
      // (The kiosk's answer arrives: the visit hears how long the consent plays.)
      await settle();
      const consent = api.speak.mock.calls.find(
        ([request]) => request.phraseId === 'screen.consent',
      );
      if (!consent) throw new Error('the consent was not said');
      // The fake kiosk says 60 ms a character: the whole consent takes minutes.
      const seconds = Math.ceil((consent[0].text.length * 60) / 1000);
      expect(seconds).toBeGreaterThan(60);
      await settle(seconds * 1000);
      expect(find('idle-warning')).toBeNull();
      expect(api.visitEnd).not.toHaveBeenCalled();
      // Then the step's own 60 s: the warning, said (hearing it is not activity), then the end.
      await settle(31_000);
      expect(find('idle-warning')).not.toBeNull();
      expect(api.speak.mock.calls.map(([request]) => request.phraseId)).toContain('screen.idle');
      await settle(30_000);
      expect(api.visitEnd).toHaveBeenCalledWith('visit-1', 'idle');
    });

    it('says when the kiosk cannot speak', async () => {
      api.speak.mockRejectedValue({
        code: 'speech',
        detail: '[speech-engine-missing] cannot run espeak-ng',
      });
      await tap('start');
      await tap('access-speech');
      expect(get('speech-error').textContent).toContain('instruções faladas estão indisponíveis');
    });
  });
});
