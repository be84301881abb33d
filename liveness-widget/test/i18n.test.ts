import { describe, expect, it } from 'vitest';
import type { LivenessRefusal } from '../../ui/src/app/ipc/bindings/LivenessRefusal';
import { errorMessage } from '../src/controller';
import { texts } from '../src/i18n';

/** The shape of a texts tree: every key path with the kind of its leaf. */
function shape(value: unknown, path = ''): string[] {
  if (typeof value === 'function') return [`${path}: function`];
  if (typeof value === 'string') return [`${path}: string`];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => shape(child, `${path}.${key}`));
}

/** Every string of a texts tree, functions called with a sample argument. */
function strings(value: unknown): string[] {
  if (typeof value === 'function') return [String((value as (arg: unknown) => unknown)(2))];
  if (typeof value === 'string') return [value];
  return Object.values(value as Record<string, unknown>).flatMap(strings);
}

/** Every refusal the engine can answer with (the generated LivenessRefusal union, written out). */
const refusals: LivenessRefusal[] = [
  'too-many-attempts',
  'unknown-session',
  'already-used',
  'expired',
  'bad-frame',
  'no-frames',
  'models-missing',
];

describe('texts', () => {
  it('has the same keys in Portuguese and English, none empty', () => {
    expect(shape(texts.en)).toEqual(shape(texts['pt-BR']));
    for (const lang of ['pt-BR', 'en'] as const) {
      for (const text of strings(texts[lang])) expect(text.trim().length, `${lang}: "${text}"`).toBeGreaterThan(0);
    }
  });

  it('has its own text for every refusal, the camera, the engine and the provider, in both languages', () => {
    for (const lang of ['pt-BR', 'en'] as const) {
      const generic = texts[lang].errors.internal;
      for (const code of [...refusals, 'engine-unavailable', 'camera-too-weak', 'provider-unavailable', 'camera-denied']) {
        expect(errorMessage(lang, { code, arg: 'aws' }), `${lang} ${code}`).not.toBe(generic);
      }
      expect(errorMessage(lang, { code: 'whatever' })).toBe(generic);
    }
  });

  it('speaks Brazilian Portuguese with its accents', () => {
    const pt = texts['pt-BR'];
    expect(pt.buttons).toEqual({
      start: 'Começar',
      noFlash: 'Verificar sem cores piscando',
      cancel: 'Cancelar',
      retry: 'Tentar novamente',
      callStaff: 'Chamar um funcionário',
      staffInstead: 'Prefiro ser atendido por um funcionário',
    });
    expect(pt.success).toBe('Verificação concluída');
    expect(pt.moveCloser).toBe('Aproxime-se');
    expect(pt.intro.warning).toMatch(/^A tela vai piscar em cores/);
    expect(pt.errors['too-many-attempts']).toBe('Foram muitas tentativas sem sucesso neste quiosque (5 em 3 minutos). Por favor, chame um atendente.');
    expect(texts.en.buttons.staffInstead).toBe("I'd rather be helped by staff");
    expect(pt.attemptsLeft(1)).toBe('Resta 1 tentativa.');
    expect(pt.attemptsLeft(3)).toBe('Restam 3 tentativas.');
  });

  it('gives each button an accessible name that starts with its visible text', () => {
    for (const lang of ['pt-BR', 'en'] as const) {
      const t = texts[lang];
      for (const key of Object.keys(t.buttons) as (keyof typeof t.buttons)[]) {
        expect(t.aria[key].toLowerCase().startsWith(t.buttons[key].toLowerCase().slice(0, 5)), `${lang} ${key}`).toBe(true);
      }
    }
  });
});
