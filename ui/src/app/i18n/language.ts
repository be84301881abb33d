import { DOCUMENT, Injectable, inject, signal } from '@angular/core';
import { TranslateService } from '@ngx-translate/core';
import type { Language } from '../ipc/bindings/Language';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';

/** Brazilian Portuguese: the language of the kiosk until the settings say otherwise. */
export const DEFAULT_LANGUAGE: Language = 'pt-BR';

/** The interface language: applied to translations and `<html lang>`, persisted in the settings. */
@Injectable({ providedIn: 'root' })
export class LanguageService {
  private readonly translate = inject(TranslateService);
  private readonly document = inject(DOCUMENT);
  private readonly settings = inject(KioskSettingsStore);
  private readonly language = signal<Language>(DEFAULT_LANGUAGE);

  /** The language shown now. */
  readonly current = this.language.asReadonly();

  /** Shows the interface in `lang` without persisting it. */
  apply(lang: Language): void {
    this.translate.use(lang);
    this.document.documentElement.lang = lang;
    this.language.set(lang);
  }

  /** Shows the interface in `lang` at once, then stores it in the kiosk settings. */
  async choose(lang: Language): Promise<void> {
    this.apply(lang);
    await this.settings.save({ language: lang });
  }

  /**
   * Applies the stored language at start-up. A failure to read the settings keeps the default;
   * the screens that need the settings read them again and report the error.
   */
  async restore(): Promise<void> {
    this.apply(DEFAULT_LANGUAGE);
    try {
      this.apply((await this.settings.load()).language);
    } catch {
      // Keep the default language.
    }
  }
}
