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

/**
 * The consent as shown: each heading, paragraph and list item of its `data-consent-text` parts on a
 * line of its own, spaces collapsed (so that the same text always gives the same hash).
 */
export function consentText(root: HTMLElement): string {
  const blocks = root.querySelectorAll(
    'h1[data-consent-text], p[data-consent-text], [data-consent-text] :is(h2, p, li)',
  );
  return Array.from(blocks, (block) => (block.textContent ?? '').replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}
