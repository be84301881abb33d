import { TRANSLATIONS } from '../i18n/translations';
import type { VisitRefusal } from '../ipc/bindings/VisitRefusal';
import { KioskError } from '../ipc/kiosk-error';
import {
  STAFF_REFUSALS,
  VISIT_REFUSALS,
  refusalMessageKey,
  staffMessageKey,
  staffRefusal,
  visitMessageKey,
  visitRefusal,
} from './refusal-messages';

/** The text at a dotted key of a translation table. */
function textAt(table: object, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], table);
}

describe('refusal messages', () => {
  it('reads the refusal code in the detail of a visit error', () => {
    expect(visitRefusal({ code: 'visit', detail: '[no-portrait] no face on the page' })).toBe(
      'no-portrait',
    );
    expect(visitRefusal(new KioskError('visit', '[visit-expired] gone'))).toBe('visit-expired');
    // Another error code, an unknown refusal, or no brackets: no refusal.
    expect(visitRefusal({ code: 'liveness', detail: '[no-portrait] x' })).toBeNull();
    expect(visitRefusal({ code: 'visit', detail: '[brand-new-code] x' })).toBeNull();
    expect(visitRefusal({ code: 'visit', detail: 'no-portrait' })).toBeNull();
    expect(visitRefusal(new Error('offline'))).toBeNull();
  });

  it('maps each visit refusal to its own customer message and anything else to a generic one', () => {
    expect(visitMessageKey({ code: 'visit', detail: '[document-too-large] 31 MB' })).toBe(
      'visit.refusal.document-too-large',
    );
    expect(visitMessageKey({ code: 'visit', detail: '[inbox-empty] /srv/scans' })).toBe(
      'visit.refusal.inbox-empty',
    );
    // The picker's own message for a medium taken out.
    expect(visitMessageKey({ code: 'visit', detail: '[medium-unavailable] gone' })).toBe(
      'visit.picker.mediumGone',
    );
    expect(visitMessageKey({ code: 'storage', detail: 'disk full' })).toBe('visit.refusal.generic');
    expect(visitMessageKey(new TypeError('no IPC'))).toBe('visit.refusal.generic');
  });

  it('has a pt-BR and an en text for every visit refusal, none of them the English detail', () => {
    for (const code of [...Object.keys(VISIT_REFUSALS), 'generic']) {
      const key = refusalMessageKey(code as VisitRefusal | 'generic');
      const pt = textAt(TRANSLATIONS['pt-BR'], key);
      const en = textAt(TRANSLATIONS.en, key);
      expect(typeof pt, key).toBe('string');
      expect(typeof en, key).toBe('string');
      expect(pt).not.toBe(en);
    }
    expect(textAt(TRANSLATIONS['pt-BR'], 'visit.refusal.no-portrait')).toContain(
      'foto no documento',
    );
    expect(textAt(TRANSLATIONS.en, 'visit.refusal.scanner-unavailable')).toContain('scanner');
  });

  it('maps staff refusals, falling back to the error code message', () => {
    expect(staffRefusal({ code: 'staff', detail: '[not-signed-in] expired' })).toBe(
      'not-signed-in',
    );
    expect(staffMessageKey({ code: 'staff', detail: '[pin-too-weak] a run' })).toBe(
      'staff.refusal.pin-too-weak',
    );
    expect(
      staffMessageKey({ code: 'staff', detail: '[forbidden] the reviewer role may not' }),
    ).toBe('staff.refusal.forbidden');
    expect(staffMessageKey({ code: 'staff', detail: '[own-transaction] ana operated it' })).toBe(
      'staff.refusal.own-transaction',
    );
    // The retired first-run PIN is no refusal any more.
    expect(staffRefusal({ code: 'staff', detail: '[pin-already-set] x' })).toBeNull();
    expect(staffMessageKey({ code: 'storage', detail: 'x' })).toBe('errors.storage');
    expect(staffMessageKey({ code: 'staff', detail: 'no code' })).toBe('errors.staff');
    for (const code of Object.keys(STAFF_REFUSALS)) {
      expect(typeof textAt(TRANSLATIONS['pt-BR'], `staff.refusal.${code}`)).toBe('string');
      expect(typeof textAt(TRANSLATIONS.en, `staff.refusal.${code}`)).toBe('string');
    }
  });

  it('says who may sign in and why a visit operated by staff cannot start', () => {
    expect(
      visitMessageKey({ code: 'visit', detail: '[operator-required] a field agent must sign in' }),
    ).toBe('visit.refusal.operator-required');
    expect(textAt(TRANSLATIONS['pt-BR'], 'visit.refusal.operator-required')).toContain(
      'precisa entrar de novo com o PIN',
    );
    expect(textAt(TRANSLATIONS['pt-BR'], 'staff.refusal.own-transaction')).toBe(
      'Você atendeu esta transação e não pode revisá-la; peça a outra pessoa da equipe.',
    );
    expect(textAt(TRANSLATIONS.en, 'staff.pin.wrong')).toBe('Wrong staff number or PIN.');
    expect(textAt(TRANSLATIONS['pt-BR'], 'staff.pin.wrong')).toBe('Matrícula ou PIN incorretos.');
  });
});
