import { CUSTOM_ELEMENTS_SCHEMA, Component, computed, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { AwsLivenessSession } from '../ipc/bindings/AwsLivenessSession';
import type { LivenessSummary } from '../ipc/bindings/LivenessSummary';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';

/** What the widget reported last. */
type Outcome =
  | { kind: 'complete'; summary: LivenessSummary & { fps?: number } }
  | { kind: 'submitted'; sessionId: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancel'; reason: string };

/**
 * Staff screen: one liveness session with the kiosk's camera, to check the camera, the light and
 * the engine before customers use them. On the embedded backend it runs the local engine; on the
 * AWS backend the widget asks the Rust core for a Rekognition session when "start" is pressed (and
 * for a new one on each retry) and runs Amplify's detector on it.
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
  protected readonly outcome = signal<Outcome | null>(null);
  /** Bumped to mount a fresh widget for another try (which asks for its own session on AWS). */
  protected readonly attempt = signal(0);
  /** Which liveness provider the widget runs, from the kiosk's backend. */
  protected readonly provider = computed(() => (this.settings()?.backend === 'aws' ? 'aws' : 'local'));
  /**
   * The widget's `requestSession` hook on the AWS backend: a new Rekognition session from the Rust
   * core (`{ sessionId, region }`) for each start and retry; refusals go to the widget as they are
   * (`[aws-unreachable] …` shows its own text).
   */
  protected readonly requestAwsSession = (): Promise<AwsLivenessSession> => this.api.awsLivenessSession();

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
