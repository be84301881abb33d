import { Component, inject } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import type { Language } from '../ipc/bindings/Language';
import { VisitConsent } from './visit-consent';
import { VisitDocument } from './visit-document';
import { VisitLivenessStep } from './visit-liveness';
import { VisitService } from './visit-service';

/**
 * The customer's visit, one screen per step of `VisitService`: language, consent, document,
 * portrait confirmation, liveness, processing and result (or declined / camera missing). Any
 * touch or key press counts as activity for the idle timeout, whose last seconds show a warning.
 */
@Component({
  selector: 'app-visit-flow',
  imports: [TranslatePipe, VisitConsent, VisitDocument, VisitLivenessStep],
  templateUrl: './visit-flow.html',
  styleUrl: './visit-flow.css',
  host: {
    '(document:pointerdown)': 'visit.activity()',
    '(document:touchstart)': 'visit.activity()',
    '(document:keydown)': 'visit.activity()',
  },
})
export class VisitFlow {
  protected readonly visit = inject(VisitService);

  /** Languages offered, each named in itself. */
  protected readonly languages: readonly { lang: Language; name: string; hint: string }[] = [
    { lang: 'pt-BR', name: 'Português', hint: 'Continuar em português' },
    { lang: 'en', name: 'English', hint: 'Continue in English' },
  ];
}
