/**
 * The customer screens' keyboard and ATM-style keypad (documented in `docs/accessibility.md`):
 *
 * | key | action |
 * |---|---|
 * | Enter (Confirma) | the focused button, else the screen's main action (`data-keypad="confirm"`) |
 * | Backspace (Corrige) | the screen's step back (`data-keypad="back"`), e.g. take the document again |
 * | Escape (Anula) | the screen's way out (`data-keypad="cancel"`), e.g. decline, cancel the visit |
 * | 1-9 | moves to the screen's first to ninth button (then Enter) |
 * | 0 | spoken guidance on; said again when it is on |
 * | arrows, Tab | move between buttons |
 *
 * Buttons are found in the open dialog when there is one, else in the screen's `main`.
 */

/** What a key asks for. */
export type KeypadAction =
  | { kind: 'confirm' }
  | { kind: 'back' }
  | { kind: 'cancel' }
  | { kind: 'focus'; index: number }
  | { kind: 'move'; step: 1 | -1 }
  | { kind: 'listen' };

/** The action of `event`'s key, or `null` for keys the keypad leaves alone. */
export function keypadAction(event: KeyboardEvent): KeypadAction | null {
  // A held key repeats: it must not act again on the screen that follows.
  if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return null;
  switch (event.key) {
    case 'Enter':
      return { kind: 'confirm' };
    case 'Backspace':
      return { kind: 'back' };
    case 'Escape':
      return { kind: 'cancel' };
    case '0':
      return { kind: 'listen' };
    case 'ArrowDown':
    case 'ArrowRight':
      return { kind: 'move', step: 1 };
    case 'ArrowUp':
    case 'ArrowLeft':
      return { kind: 'move', step: -1 };
    default:
      return /^[1-9]$/.test(event.key) ? { kind: 'focus', index: Number(event.key) - 1 } : null;
  }
}

/** Where the keypad acts: the open dialog, else the screen's `main`. */
export function keypadScope(document: Document): HTMLElement | null {
  return (
    document.querySelector<HTMLElement>('[role="alertdialog"], [role="dialog"]') ??
    document.querySelector<HTMLElement>('main')
  );
}

/** The buttons a customer can press in `scope`, in reading order. */
export function pressable(scope: HTMLElement): HTMLButtonElement[] {
  return Array.from(scope.querySelectorAll<HTMLButtonElement>('button')).filter(
    (button) => !button.disabled && !button.closest('[hidden], [aria-hidden="true"]'),
  );
}

/**
 * Carries out `action` on `document`; returns whether it did something (the key's default is then
 * prevented). `listen` is left to the caller (spoken guidance).
 */
export function applyKeypad(action: KeypadAction, document: Document): boolean {
  const scope = keypadScope(document);
  if (!scope) return false;
  const buttons = pressable(scope);
  const active = document.activeElement;
  const focusedButton =
    active instanceof HTMLButtonElement && buttons.includes(active) ? active : null;
  const marked = (role: string) =>
    buttons.find((button) => button.dataset['keypad'] === role) ?? null;
  switch (action.kind) {
    case 'confirm': {
      // A focused button is pressed by the browser itself.
      if (focusedButton) return false;
      // The only button stands in for the main action, unless it is a way back or out (Confirma must
      // never cancel: during the capture only Cancel is left).
      const only = buttons.length === 1 && !buttons[0].dataset['keypad'] ? buttons[0] : null;
      const main = marked('confirm') ?? only;
      main?.click();
      return main !== null;
    }
    case 'back':
    case 'cancel': {
      const target = marked(action.kind);
      target?.click();
      return target !== null;
    }
    case 'focus': {
      const target = buttons[action.index];
      target?.focus();
      return target !== undefined;
    }
    case 'move': {
      if (buttons.length === 0) return false;
      const from = focusedButton ? buttons.indexOf(focusedButton) : action.step > 0 ? -1 : 0;
      const next = (from + action.step + buttons.length) % buttons.length;
      buttons[next].focus();
      return true;
    }
    case 'listen':
      return false;
  }
}

/** Whether the key went to a text field (the keypad then leaves it alone). */
export function typingInField(event: KeyboardEvent): boolean {
  const target = event.target;
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}
