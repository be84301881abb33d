import { Component, inject, input, output } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import type { Language } from '../ipc/bindings/Language';
import { type KioskError, toKioskError } from '../ipc/kiosk-error';
import { LanguageService } from './language';

/**
 * Two large buttons (styled for the dark brand bar) that switch the language and, unless `persist`
 * is false, store it.
 */
@Component({
  selector: 'app-language-switch',
  imports: [TranslatePipe],
  template: `
    <div class="language-switch" role="group" [attr.aria-label]="'status.language' | translate">
      @for (option of options; track option.lang) {
        <button
          type="button"
          class="language-button"
          [attr.lang]="option.lang"
          [attr.data-testid]="'lang-' + option.lang"
          [attr.aria-pressed]="language.current() === option.lang"
          (click)="choose(option.lang)"
        >
          {{ option.name }}
        </button>
      }
    </div>
  `,
  styles: `
    .language-switch {
      display: flex;
      gap: var(--space-2);
    }
    .language-button {
      min-width: 10rem;
      border-color: var(--color-on-brand);
    }
    .language-button[aria-pressed='true'] {
      background: var(--color-on-brand);
      color: var(--color-brand);
      border-color: var(--color-on-brand);
    }
  `,
})
export class LanguageSwitch {
  protected readonly language = inject(LanguageService);
  /** Languages offered, each named in itself. */
  protected readonly options: readonly { lang: Language; name: string }[] = [
    { lang: 'pt-BR', name: 'Português' },
    { lang: 'en', name: 'English' },
  ];

  /** Emitted when the chosen language could not be stored. */
  readonly saveFailed = output<KioskError>();
  /** Whether the choice is stored in the kiosk settings (admins); otherwise it only shows. */
  readonly persist = input(true);

  protected async choose(lang: Language): Promise<void> {
    if (!this.persist()) {
      this.language.apply(lang);
      return;
    }
    try {
      await this.language.choose(lang);
    } catch (reason) {
      this.saveFailed.emit(toKioskError(reason));
    }
  }
}
