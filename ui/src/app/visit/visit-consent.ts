import { Component, ElementRef, computed, inject } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { VisitService } from './visit-service';

/**
 * The LGPD consent: what is collected, why, for how long, who controls it and the customer's
 * rights, with the version of the text; "I accept" or "I do not accept" (which ends the visit). An
 * acceptance carries the text exactly as shown (`data-consent-text` parts, spaces collapsed): the
 * kiosk records its SHA-256 with the version.
 */
@Component({
  selector: 'app-visit-consent',
  imports: [TranslatePipe],
  templateUrl: './visit-consent.html',
  styleUrl: './visit-consent.css',
})
export class VisitConsent {
  protected readonly visit = inject(VisitService);
  private readonly settings = inject(KioskSettingsStore).settings;
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  /** On the AWS backend the face video is analysed by the cloud service, not on the kiosk. */
  protected readonly facesKey = computed(() =>
    this.settings()?.backend === 'aws' ? 'visit.consent.whatFacesAws' : 'visit.consent.whatFaces',
  );

  protected accept(): Promise<void> {
    return this.visit.answerConsent(true, consentText(this.host.nativeElement));
  }
}

/** The words of the consent as shown, spaces collapsed. */
export function consentText(root: HTMLElement): string {
  return Array.from(root.querySelectorAll('[data-consent-text]'))
    .map((part) => part.textContent ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
