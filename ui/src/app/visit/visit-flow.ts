import { Component, DOCUMENT, computed, effect, inject, untracked } from '@angular/core';
import { TranslatePipe, TranslateService } from '@ngx-translate/core';
import { AccessibilityService } from '../accessibility/accessibility';
import { applyKeypad, keypadAction, typingInField } from '../accessibility/keypad';
import { LanguageService } from '../i18n/language';
import type { Language } from '../ipc/bindings/Language';
import type { VisitResult } from '../ipc/bindings/VisitResult';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { QrCode } from './qr-code';
import { VisitConsent } from './visit-consent';
import { VisitDocument } from './visit-document';
import { VisitLivenessStep } from './visit-liveness';
import { VisitService, type VisitStep } from './visit-service';
import { IDLE_PHRASE, spokenScreen } from './visit-speech';

/** The steps counted by the step indicator ("Etapa 2 de 4"), in order. */
const COUNTED_STEPS: readonly VisitStep[] = ['consent', 'document', 'liveness', 'result'];

/**
 * The customer's visit, one screen per step of `VisitService`: language, consent, document,
 * portrait confirmation, liveness, processing and result (or declined / camera missing). Any
 * touch or key press counts as activity for the idle timeout, whose last seconds show a warning.
 * The keypad and keyboard drive every screen (`../accessibility/keypad`); with spoken guidance on,
 * each screen is said when it shows.
 */
@Component({
  selector: 'app-visit-flow',
  imports: [TranslatePipe, QrCode, VisitConsent, VisitDocument, VisitLivenessStep],
  templateUrl: './visit-flow.html',
  styleUrl: './visit-flow.css',
  host: {
    '[class.with-step]': 'stepNumber() !== null',
    '(document:pointerdown)': 'visit.activity()',
    '(document:touchstart)': 'visit.activity()',
    '(document:keydown)': 'onKey($event)',
  },
})
export class VisitFlow {
  protected readonly visit = inject(VisitService);
  protected readonly accessibility = inject(AccessibilityService);
  private readonly document = inject(DOCUMENT);
  private readonly settings = inject(KioskSettingsStore).settings;
  private readonly translate = inject(TranslateService);
  private readonly language = inject(LanguageService);

  /** Prints the result as the screen says it, with the date, the kiosk and the controller. */
  protected printReceipt(result: VisitResult): void {
    const say = (key: string, params?: Record<string, unknown>): string =>
      this.translate.instant(key, params);
    // Plain spaces: ICU's narrow no-break space has no byte on the printer's code page.
    const when = new Date()
      .toLocaleString(this.language.current(), { dateStyle: 'short', timeStyle: 'short' })
      .replace(/\s/gu, ' ');
    const privacy = this.visit.privacy();
    // The decision itself is printed in the kiosk's own words, before these lines.
    const lines = [
      say(`visit.result.next.${result.outcome}`),
      say('visit.receipt.when', { when, kiosk: this.settings()?.kioskId ?? '' }),
      ...(privacy ? [say('visit.consent.controller', { controller: privacy.controller })] : []),
    ];
    void this.visit.printReceipt(lines, say('visit.receipt.protocol'));
  }

  /** Languages offered, each named in itself. */
  protected readonly languages: readonly { lang: Language; name: string; hint: string }[] = [
    { lang: 'pt-BR', name: 'Português', hint: 'Continuar em português' },
    { lang: 'en', name: 'English', hint: 'Continue in English' },
  ];

  /** "Etapa n de 4" for the counted steps (portrait and processing belong to the step before). */
  protected readonly stepNumber = computed(() => {
    const step = this.visit.step();
    const counted: VisitStep | null =
      step === 'portrait' ? 'document' : step === 'processing' ? 'liveness' : step;
    const index = counted ? COUNTED_STEPS.indexOf(counted) : -1;
    return index < 0 ? null : { current: index + 1, total: COUNTED_STEPS.length };
  });

  private readonly screen = computed(() =>
    spokenScreen({
      step: this.visit.step(),
      errorKey: this.visit.errorKey(),
      problem: this.visit.livenessProblem(),
      result: this.visit.result(),
      info: this.visit.info(),
      privacy: this.visit.privacy(),
      idleWarning: this.visit.idleWarning(),
      aws: this.settings()?.backend === 'aws',
      movementOffered: this.visit.liveness()?.movementChallenge ?? false,
      receipt: this.visit.receipt(),
      unknownRegion: this.translate.instant('visit.consent.regionUnknown'),
    }),
  );

  constructor() {
    // Said once per screen: the phrase id changes with the screen, its message or its dialog.
    let said: string | null = null;
    effect(() => {
      const screen = this.screen();
      if (!screen || screen.id === said) return;
      said = screen.id;
      untracked(() => this.accessibility.announce(screen));
    });
    // The idle countdown starts over once a phrase has been heard to its end (but the idle
    // warning's own phrase, or the visit would never time out).
    effect(() => {
      const spoken = this.accessibility.spoken();
      // (untracked: the countdown's own signals must not run this again)
      untracked(() => {
        if (!spoken || spoken.phraseId === IDLE_PHRASE) return;
        // Only a phrase of the screen shown counts (one from a screen already left does not).
        const ofThisScreen =
          spoken.phraseId === this.screen()?.id || spoken.phraseId.startsWith('liveness.');
        if (ofThisScreen) this.visit.holdIdleFor(spoken.durationMs / 1000);
      });
    });
  }

  protected onKey(event: KeyboardEvent): void {
    this.visit.activity();
    if (typingInField(event)) return;
    // A held key must not press a focused button again and again.
    if (event.repeat && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      return;
    }
    const action = keypadAction(event);
    if (!action) return;
    if (action.kind === 'listen') {
      this.accessibility.listen();
      event.preventDefault();
      return;
    }
    if (applyKeypad(action, this.document)) event.preventDefault();
  }
}
