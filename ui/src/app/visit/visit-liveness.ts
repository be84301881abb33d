import { CUSTOM_ELEMENTS_SCHEMA, Component, inject } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { VisitService } from './visit-service';

/**
 * The face capture: `<face-liveness-widget>` on the visit's liveness session (a fresh widget for
 * each new session). Completion goes on to the decision; an error or a cancel offers another try
 * or cancelling the visit; a camera that cannot be used ends the visit (staff are needed).
 */
@Component({
  selector: 'app-visit-liveness',
  imports: [TranslatePipe],
  templateUrl: './visit-liveness.html',
  styleUrl: './visit-liveness.css',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
})
export class VisitLivenessStep {
  protected readonly visit = inject(VisitService);
  protected readonly language = inject(LanguageService);
  protected readonly settings = inject(KioskSettingsStore).settings;

  protected onComplete(): void {
    void this.visit.livenessCompleted();
  }

  protected onError(event: Event): void {
    const detail = (event as CustomEvent<{ code?: unknown } | null>).detail;
    const code = typeof detail?.code === 'string' ? detail.code : 'internal';
    void this.visit.livenessFailed(code);
  }

  protected onCancel(): void {
    this.visit.livenessCancelled();
  }
}
