import { CUSTOM_ELEMENTS_SCHEMA, Component, inject } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { AccessibilityService } from '../accessibility/accessibility';
import { LanguageService } from '../i18n/language';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { VisitService } from './visit-service';

/**
 * The face capture: `<face-liveness-widget>` on the visit's liveness session (a fresh widget for
 * each new session). Completion goes on to the decision; each new instruction is spoken when guidance is on; an error or a cancel offers another try
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
  private readonly accessibility = inject(AccessibilityService);

  protected onComplete(): void {
    void this.visit.livenessCompleted();
  }

  protected onError(event: Event): void {
    const detail = (event as CustomEvent<{ code?: unknown } | null>).detail;
    const code = typeof detail?.code === 'string' ? detail.code : 'internal';
    void this.visit.livenessFailed(code);
  }

  /**
   * A new instruction on the widget's banner, said when spoken guidance is on. The intro's camera
   * status is left out: the screen's own phrase (with the photosensitivity warning) is said then.
   */
  protected onInstruction(event: Event): void {
    const detail = (event as CustomEvent<{ id?: unknown; text?: unknown } | null>).detail;
    const id = typeof detail?.id === 'string' ? detail.id : '';
    const text = typeof detail?.text === 'string' ? detail.text : '';
    if (!id || !text || id.startsWith('intro.') || id.startsWith('opening.')) return;
    this.accessibility.announce({ id: `liveness.${id}`, keys: [{ text }] });
  }

  protected onCancel(): void {
    this.visit.livenessCancelled();
  }
}
