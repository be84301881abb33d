import type { StaffRefusal } from '../ipc/bindings/StaffRefusal';
import type { VisitRefusal } from '../ipc/bindings/VisitRefusal';
import { toKioskError } from '../ipc/kiosk-error';

/** Every visit refusal; typed so that a new Rust variant fails the build until it has a text. */
export const VISIT_REFUSALS: Record<VisitRefusal, true> = {
  'visit-expired': true,
  'out-of-order': true,
  'document-unreadable': true,
  'document-too-large': true,
  'no-portrait': true,
  'scanner-unavailable': true,
  'inbox-empty': true,
  'liveness-incomplete': true,
  busy: true,
  storage: true,
  'models-missing': true,
  'verification-failed': true,
  'operator-required': true,
  'medium-unavailable': true,
  'too-many-attempts': true,
  'receipt-failed': true,
};

/** Every staff refusal, likewise. */
export const STAFF_REFUSALS: Record<StaffRefusal, true> = {
  'not-signed-in': true,
  'not-provisioned': true,
  forbidden: true,
  'pin-too-weak': true,
  'pin-unchanged': true,
  'wrong-pin': true,
  locked: true,
  'not-in-review': true,
  'reason-invalid': true,
  'own-transaction': true,
};

/** The visit refusal a command rejected with (`[no-portrait] …`), or `null` for any other failure. */
export function visitRefusal(reason: unknown): VisitRefusal | null {
  const code = toKioskError(reason).refusal('visit');
  return code !== null && Object.hasOwn(VISIT_REFUSALS, code) ? (code as VisitRefusal) : null;
}

/** The staff refusal a command rejected with (`[not-signed-in] …`), or `null`. */
export function staffRefusal(reason: unknown): StaffRefusal | null {
  const code = toKioskError(reason).refusal('staff');
  return code !== null && Object.hasOwn(STAFF_REFUSALS, code) ? (code as StaffRefusal) : null;
}

/**
 * Translation key of the customer's message for a failed visit command: one per refusal code, a
 * friendly generic one for anything else. The English technical detail is never shown to customers.
 */
export function visitMessageKey(reason: unknown): string {
  return refusalMessageKey(visitRefusal(reason) ?? 'generic');
}

/** Refusals whose message lives with their screen rather than under `visit.refusal`. */
const SCREEN_MESSAGES: Partial<Record<VisitRefusal, string>> = {
  'medium-unavailable': 'visit.picker.mediumGone',
};

/** Translation key of the customer's message for `refusal` (`generic`: any other failure). */
export function refusalMessageKey(refusal: VisitRefusal | 'generic'): string {
  return (refusal !== 'generic' && SCREEN_MESSAGES[refusal]) || `visit.refusal.${refusal}`;
}

/** Translation key of the staff member's message for a failed staff command. */
export function staffMessageKey(reason: unknown): string {
  const refusal = staffRefusal(reason);
  if (refusal) {
    return `staff.refusal.${refusal}`;
  }
  return toKioskError(reason).messageKey;
}
