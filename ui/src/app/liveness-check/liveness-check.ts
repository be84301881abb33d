import { CUSTOM_ELEMENTS_SCHEMA, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe, TranslateService } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { AwsLivenessSession } from '../ipc/bindings/AwsLivenessSession';
import type { LivenessSummary } from '../ipc/bindings/LivenessSummary';
import { KioskApi } from '../ipc/kiosk-api';
import { toKioskError } from '../ipc/kiosk-error';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';

/** What the widget reported last. */
type Outcome =
  | { kind: 'complete'; summary: LivenessSummary & { fps?: number } }
  | { kind: 'submitted'; sessionId: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancel'; reason: string };

/** The AWS session of the current attempt: being created, ready, or none (embedded backend). */
type AwsSessionState = { state: 'creating' } | { state: 'ready'; session: AwsLivenessSession } | { state: 'none' };

/**
 * Staff screen: one liveness session with the kiosk's camera, to check the camera, the light and
 * the engine before customers use them. On the embedded backend it runs the local engine; on the
 * AWS backend the Rust core creates a Rekognition session and the widget runs Amplify's detector.
 * Shows how it ended (never a score).
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
  private readonly api = inject(KioskApi);
  private readonly translate = inject(TranslateService);
  protected readonly outcome = signal<Outcome | null>(null);
  /** Bumped to mount a fresh widget (and, on AWS, a fresh session) for another try. */
  protected readonly attempt = signal(0);
  /** Which liveness provider the widget runs, from the kiosk's backend. */
  protected readonly provider = computed(() => (this.settings()?.backend === 'aws' ? 'aws' : 'local'));
  protected readonly aws = signal<AwsSessionState>({ state: 'none' });

  constructor() {
    // Each attempt on the AWS backend gets its own Rekognition session.
    effect(() => {
      const attempt = this.attempt();
      if (this.provider() === 'aws') untracked(() => void this.createAwsSession(attempt));
    });
  }

  private async createAwsSession(attempt: number): Promise<void> {
    this.aws.set({ state: 'creating' });
    try {
      const session = await this.api.awsLivenessSession();
      if (attempt === this.attempt()) this.aws.set({ state: 'ready', session });
    } catch (reason) {
      if (attempt !== this.attempt()) return;
      const error = toKioskError(reason);
      this.aws.set({ state: 'none' });
      this.outcome.set({ kind: 'error', code: error.code, message: this.translate.instant(error.messageKey) });
    }
  }

  protected onComplete(event: Event): void {
    const detail = (event as CustomEvent<(LivenessSummary & { fps?: number }) | { provider: 'aws'; sessionId: string }>)
      .detail;
    if ('provider' in detail && detail.provider === 'aws') {
      this.outcome.set({ kind: 'submitted', sessionId: detail.sessionId });
    } else {
      this.outcome.set({ kind: 'complete', summary: detail as LivenessSummary & { fps?: number } });
    }
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
