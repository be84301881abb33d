import type { SpokenScreen } from '../accessibility/accessibility';
import type { PrivacyNotice } from '../ipc/bindings/PrivacyNotice';
import type { VisitInfo } from '../ipc/bindings/VisitInfo';
import { processorPhrases } from './visit-consent';
import type { VisitResult } from '../ipc/bindings/VisitResult';
import type { LivenessProblem, ReceiptState, VisitStep } from './visit-service';

/** The idle warning's phrase (hearing it does not count as activity). */
export const IDLE_PHRASE = 'screen.idle';

/** What the visit shows now, as far as spoken guidance needs it. */
export interface VisitScreenState {
  step: VisitStep | null;
  errorKey: string | null;
  problem: LivenessProblem | null;
  result: VisitResult | null;
  info: VisitInfo | null;
  privacy: PrivacyNotice | null;
  idleWarning: boolean;
  /** The AWS backend is on (the consent names the cloud service). */
  aws: boolean;
  /** The face check offers the choice without flashing colours (the keypad numbers shift). */
  movementOffered: boolean;
  /** The receipt asked on the result screen (`null`: none yet). */
  receipt: ReceiptState | null;
  /** The consent's words for a processor's region the kiosk cannot tell. */
  unknownRegion: string;
}

/**
 * The phrase that says the screen shown: its own texts, in reading order, then how to answer with the
 * keypad (`speech.*`). Phrase ids name the screen (`screen.consent`) or the message (`error.<key>`),
 * never the customer.
 */
export function spokenScreen(state: VisitScreenState): SpokenScreen | null {
  if (state.idleWarning) return { id: IDLE_PHRASE, keys: ['visit.idle.title', 'speech.idle'] };
  switch (state.step) {
    case null:
      return null;
    case 'language':
      return { id: 'screen.language', keys: ['speech.language'] };
    case 'consent':
      return {
        id: 'screen.consent',
        keys: [
          'visit.consent.title',
          'visit.consent.intro',
          'visit.consent.whatTitle',
          'visit.consent.whatDocument',
          state.aws ? 'visit.consent.whatFacesAws' : 'visit.consent.whatFaces',
          'visit.consent.whatResult',
          'visit.consent.sensitive',
          'visit.consent.whyTitle',
          'visit.consent.why',
          'visit.consent.howLongTitle',
          { key: 'visit.consent.howLong', params: { days: state.info?.retentionDays ?? 0 } },
          'visit.consent.whoTitle',
          ...(state.privacy
            ? [
                {
                  key: 'visit.consent.controller',
                  params: { controller: state.privacy.controller },
                },
              ]
            : ['visit.consent.who']),
          'visit.consent.processorsTitle',
          ...processorPhrases(state.info?.processors ?? [], state.unknownRegion),
          'visit.consent.rightsTitle',
          'visit.consent.rights',
          'visit.consent.humanReview',
          'visit.consent.declineNote',
          'speech.consent',
        ],
      };
    case 'declined':
      return { id: 'screen.declined', keys: ['visit.declined.title', 'visit.declined.text'] };
    case 'document':
      if (state.errorKey) return errorScreen(state.errorKey);
      return {
        id: 'screen.document',
        keys: ['visit.document.title', 'visit.document.text', 'speech.document'],
      };
    case 'portrait':
      if (state.errorKey) return errorScreen(state.errorKey);
      return {
        id: 'screen.portrait',
        keys: ['visit.portrait.title', 'visit.portrait.text', 'speech.portrait'],
      };
    case 'liveness':
      if (state.problem) {
        return {
          id: `screen.liveness.${state.problem.canRetry ? 'retry' : 'staff'}`,
          keys: [
            'visit.liveness.problemTitle',
            state.problem.messageKey,
            state.problem.canRetry ? 'speech.livenessRetry' : 'speech.livenessStaff',
          ],
        };
      }
      return state.movementOffered
        ? { id: 'screen.liveness', keys: ['speech.liveness'] }
        : { id: 'screen.liveness.flash-only', keys: ['speech.livenessFlashOnly'] };
    case 'processing':
      if (state.errorKey) {
        return { id: `error.${state.errorKey}`, keys: [state.errorKey, 'speech.processingError'] };
      }
      return { id: 'screen.processing', keys: ['visit.processing.title', 'visit.processing.text'] };
    case 'result': {
      const outcome = state.result?.outcome;
      if (!outcome) return null;
      if (state.receipt === 'printed' || state.receipt === 'failed') {
        return {
          id: `screen.receipt.${state.receipt}`,
          keys: [`visit.receipt.${state.receipt}`, 'speech.result'],
        };
      }
      return {
        id: `screen.result.${outcome}`,
        keys: [
          `visit.result.${outcome}`,
          `visit.result.next.${outcome}`,
          {
            key: 'speech.reference',
            params: { reference: spelled(state.result?.reference ?? '') },
          },
          ...(state.info?.receiptPrinter ? ['speech.resultReceipt'] : []),
          'speech.result',
        ],
        personal: true,
      };
    }
    case 'camera-missing':
      return {
        id: 'screen.camera-missing',
        keys: ['visit.cameraMissing.title', 'visit.cameraMissing.text', 'speech.done'],
      };
  }
}

function errorScreen(key: string): SpokenScreen {
  return { id: `error.${key}`, keys: [key] };
}

/** The protocol said character by character ("7 F 3 A"), as a customer copies it down. */
function spelled(reference: string): string {
  return Array.from(reference.replace(/[^0-9A-Za-z]/g, '')).join(' ');
}
