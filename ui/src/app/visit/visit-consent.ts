import { Component, ElementRef, computed, inject } from '@angular/core';
import { TranslatePipe, TranslateService } from '@ngx-translate/core';
import type { SpokenPart } from '../accessibility/accessibility';
import type { DataProcessor } from '../ipc/bindings/DataProcessor';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { QrCode, contactUri } from './qr-code';
import { VisitService } from './visit-service';

/**
 * The LGPD consent: what is collected, why, for how long, who controls it (with the DPO's contact
 * as a QR code), which companies process it for the controller and whether it leaves Brazil, and
 * the customer's rights, with the version of the text; "I accept" or "I do not accept" (which ends the visit). An
 * acceptance carries the text exactly as shown (`data-consent-text` parts, spaces collapsed): the
 * kiosk records its SHA-256 with the version.
 */
@Component({
  selector: 'app-visit-consent',
  imports: [TranslatePipe, QrCode],
  templateUrl: './visit-consent.html',
  styleUrl: './visit-consent.css',
})
export class VisitConsent {
  protected readonly visit = inject(VisitService);
  private readonly settings = inject(KioskSettingsStore).settings;
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly translate = inject(TranslateService);
  protected readonly dpoUri = contactUri;
  /** On the AWS backend the face video is analysed by the cloud service, not on the kiosk. */
  protected readonly facesKey = computed(() =>
    this.settings()?.backend === 'aws' ? 'visit.consent.whatFacesAws' : 'visit.consent.whatFaces',
  );

  /** Where a processor keeps the data, as the customer reads it. */
  protected regionText(processor: DataProcessor): string {
    return regionLabel(processor) ?? this.translate.instant('visit.consent.regionUnknown');
  }

  protected accept(): Promise<void> {
    return this.visit.answerConsent(true, consentText(this.host.nativeElement));
  }
}

/** A processor's region as the customer reads it (AWS's name and the code); `null` when unknown. */
export function regionLabel(processor: DataProcessor): string | null {
  if (!processor.region) return null;
  return processor.regionName ? `${processor.regionName}, ${processor.region}` : processor.region;
}

/** The processors' paragraphs as spoken phrase parts (the screen's texts, in its order). */
export function processorPhrases(
  processors: readonly DataProcessor[],
  unknownRegion: string,
): SpokenPart[] {
  if (processors.length === 0) return ['visit.consent.noProcessor'];
  return processors.flatMap((processor) => {
    const params = { name: processor.name, region: regionLabel(processor) ?? unknownRegion };
    return [
      { key: `visit.consent.processor.${processor.purpose}`, params },
      {
        key: processor.internationalTransfer
          ? 'visit.consent.transferAbroad'
          : 'visit.consent.staysInBrazil',
        params,
      },
    ];
  });
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
