import { CUSTOM_ELEMENTS_SCHEMA, Component, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { LivenessSummary } from '../ipc/bindings/LivenessSummary';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';

/** What the widget reported last. */
type Outcome =
  | { kind: 'complete'; summary: LivenessSummary & { fps?: number } }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancel'; reason: string };

/**
 * Staff screen: one local liveness session with the kiosk's camera, to check the camera, the
 * light and the engine before customers use them. Shows how it ended (never a score).
 */
@Component({
  selector: 'app-liveness-check',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './liveness-check.html',
  styleUrl: './liveness-check.css',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
})
export class LivenessCheck {
  protected readonly language = inject(LanguageService);
  protected readonly settings = inject(KioskSettingsStore).settings;
  protected readonly outcome = signal<Outcome | null>(null);
  /** Bumped to mount a fresh widget for another try. */
  protected readonly attempt = signal(0);

  protected onComplete(event: Event): void {
    this.outcome.set({ kind: 'complete', summary: (event as CustomEvent<LivenessSummary>).detail });
  }

  protected onError(event: Event): void {
    const { code, message } = (event as CustomEvent<{ code: string; message: string }>).detail;
    this.outcome.set({ kind: 'error', code, message });
  }

  protected onCancel(event: Event): void {
    this.outcome.set({ kind: 'cancel', reason: (event as CustomEvent<{ reason: string }>).detail.reason });
  }

  protected again(): void {
    this.outcome.set(null);
    this.attempt.update((n) => n + 1);
  }
}
