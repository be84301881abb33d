import { DOCUMENT, Injectable, effect, inject, signal } from '@angular/core';
import { TranslateService } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import { KioskApi } from '../ipc/kiosk-api';
import { toKioskError } from '../ipc/kiosk-error';

/** Class on `<html>` for text at 150%. */
export const LARGE_TEXT_CLASS = 'a11y-large-text';
/** Class on `<html>` for the high-contrast palette. */
export const HIGH_CONTRAST_CLASS = 'a11y-high-contrast';

/** A part of a phrase: a translation key (with its parameters), or a text already translated. */
export type SpokenPart =
  string | { key: string; params: Record<string, unknown> } | { text: string };

/** One phrase to say: its id (what the kiosk's log records) and the translation keys said in order. */
export interface SpokenScreen {
  id: string;
  keys: readonly SpokenPart[];
  /** Holds something of this customer's (the protocol): never cached by the kiosk. */
  personal?: boolean;
}

/**
 * The customer's accessibility choices for one visit (spoken guidance, larger text, high contrast),
 * chosen on the language screen or with the keypad's 0, and undone when the visit ends. Spoken
 * phrases are the screen's own texts in the visit's language, said by the kiosk (espeak-ng, offline)
 * through `speak`; nothing is sent anywhere else.
 */
@Injectable({ providedIn: 'root' })
export class AccessibilityService {
  private readonly api = inject(KioskApi);
  private readonly translate = inject(TranslateService);
  private readonly language = inject(LanguageService);
  private readonly root = inject(DOCUMENT).documentElement;

  private readonly speechState = signal(false);
  private readonly largeTextState = signal(false);
  private readonly highContrastState = signal(false);
  private readonly speechErrorState = signal<string | null>(null);
  private readonly spokenState = signal<{ phraseId: string; durationMs: number } | null>(null);
  private lastScreen: SpokenScreen | null = null;

  /** Spoken guidance is on. */
  readonly speech = this.speechState.asReadonly();
  /** Text at 150%. */
  readonly largeText = this.largeTextState.asReadonly();
  /** The high-contrast palette. */
  readonly highContrast = this.highContrastState.asReadonly();
  /** The code of the last failure to speak (no engine, no audio), or `null`. */
  readonly speechError = this.speechErrorState.asReadonly();
  /**
   * The last phrase the kiosk began to say and how long it plays (a new object each time): the visit
   * keeps the customer's time running only once it has been heard (the consent takes minutes).
   */
  readonly spoken = this.spokenState.asReadonly();

  constructor() {
    effect(() => this.root.classList.toggle(LARGE_TEXT_CLASS, this.largeTextState()));
    effect(() => this.root.classList.toggle(HIGH_CONTRAST_CLASS, this.highContrastState()));
  }

  /** Turns spoken guidance on or off; on, the screen shown is said at once. */
  setSpeech(on: boolean): void {
    this.speechState.set(on);
    if (on && this.lastScreen) void this.say(this.lastScreen);
    if (!on) void this.api.speechStop().catch(() => undefined);
  }

  setLargeText(on: boolean): void {
    this.largeTextState.set(on);
  }

  setHighContrast(on: boolean): void {
    this.highContrastState.set(on);
  }

  /** The keypad's 0: turns spoken guidance on, or says the screen again when it is on. */
  listen(): void {
    if (!this.speechState()) {
      this.setSpeech(true);
    } else if (this.lastScreen) {
      void this.say(this.lastScreen);
    }
  }

  /** The screen shown now: said when spoken guidance is on, and remembered for the repeat key. */
  announce(screen: SpokenScreen): void {
    this.lastScreen = screen;
    if (this.speechState()) void this.say(screen);
  }

  /** The visit ended: back to the kiosk's defaults, silence. */
  reset(): void {
    const speaking = this.speechState();
    this.speechState.set(false);
    this.largeTextState.set(false);
    this.highContrastState.set(false);
    this.speechErrorState.set(null);
    this.spokenState.set(null);
    this.lastScreen = null;
    if (speaking) void this.api.speechStop().catch(() => undefined);
  }

  private async say(screen: SpokenScreen): Promise<void> {
    const text = screen.keys
      .map((part) =>
        typeof part === 'string'
          ? this.translate.instant(part)
          : 'text' in part
            ? part.text
            : this.translate.instant(part.key, part.params),
      )
      .filter((line): line is string => typeof line === 'string' && line.trim() !== '')
      .join(' ');
    if (!text) return;
    try {
      const said = await this.api.speak({
        phraseId: screen.id,
        text,
        language: this.language.current(),
        personal: screen.personal ?? false,
      });
      this.speechErrorState.set(null);
      if (this.speechState())
        this.spokenState.set({ phraseId: screen.id, durationMs: said.durationMs });
    } catch (reason) {
      const error = toKioskError(reason);
      // Cut by the end of the visit, or by a newer phrase: nothing went wrong.
      if (error.refusal('speech') === 'speech-stopped') return;
      this.speechErrorState.set(error.code);
    }
  }
}
