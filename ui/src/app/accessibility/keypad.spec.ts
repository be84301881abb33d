import { applyKeypad, keypadAction, pressable } from './keypad';

function press(key: string, extra: KeyboardEventInit = {}): KeyboardEvent {
  return new KeyboardEvent('keydown', { key, ...extra });
}

describe('keypad', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('maps the ATM keys and leaves the rest alone', () => {
    expect(keypadAction(press('Enter'))).toEqual({ kind: 'confirm' });
    expect(keypadAction(press('Backspace'))).toEqual({ kind: 'back' });
    expect(keypadAction(press('Escape'))).toEqual({ kind: 'cancel' });
    expect(keypadAction(press('0'))).toEqual({ kind: 'listen' });
    expect(keypadAction(press('3'))).toEqual({ kind: 'focus', index: 2 });
    expect(keypadAction(press('ArrowDown'))).toEqual({ kind: 'move', step: 1 });
    expect(keypadAction(press('ArrowLeft'))).toEqual({ kind: 'move', step: -1 });
    expect(keypadAction(press('a'))).toBeNull();
    expect(keypadAction(press('Enter', { ctrlKey: true }))).toBeNull();
    expect(keypadAction(press('Enter', { repeat: true }))).toBeNull();
  });

  it('acts on the open dialog before the screen, on marked buttons only', () => {
    document.body.innerHTML = `
      <main>
        <button data-keypad="cancel" id="screen-cancel">x</button>
        <button data-keypad="confirm" id="screen-ok">ok</button>
      </main>`;
    const clicked: string[] = [];
    document
      .querySelectorAll('button')
      .forEach((b) => b.addEventListener('click', () => clicked.push(b.id)));

    expect(applyKeypad({ kind: 'confirm' }, document)).toBe(true);
    expect(applyKeypad({ kind: 'back' }, document)).toBe(false);
    expect(clicked).toEqual(['screen-ok']);

    const dialog = document.createElement('div');
    dialog.setAttribute('role', 'alertdialog');
    dialog.innerHTML =
      '<button id="more">more</button><button data-keypad="cancel" id="end">end</button>';
    document.body.append(dialog);
    dialog
      .querySelectorAll('button')
      .forEach((b) => b.addEventListener('click', () => clicked.push(b.id)));
    expect(applyKeypad({ kind: 'cancel' }, document)).toBe(true);
    expect(clicked).toEqual(['screen-ok', 'end']);
    expect(applyKeypad({ kind: 'focus', index: 0 }, document)).toBe(true);
    expect(document.activeElement?.id).toBe('more');
  });

  it('Confirma never presses a way out, even when it is the only button', () => {
    document.body.innerHTML = '<main><button data-keypad="cancel" id="cancel">x</button></main>';
    let cancelled = false;
    document.getElementById('cancel')?.addEventListener('click', () => (cancelled = true));
    expect(applyKeypad({ kind: 'confirm' }, document)).toBe(false);
    expect(cancelled).toBe(false);
    document.body.innerHTML = '<main><button id="done">ok</button></main>';
    let done = false;
    document.getElementById('done')?.addEventListener('click', () => (done = true));
    expect(applyKeypad({ kind: 'confirm' }, document)).toBe(true);
    expect(done).toBe(true);
  });

  it('Enter on a focused button is left to the browser; focus moves round, skipping disabled buttons', () => {
    document.body.innerHTML = `
      <main>
        <button id="a">a</button>
        <button id="b" disabled>b</button>
        <button id="c" data-keypad="confirm">c</button>
      </main>`;
    const main = document.querySelector('main') as HTMLElement;
    expect(pressable(main).map((b) => b.id)).toEqual(['a', 'c']);
    expect(applyKeypad({ kind: 'move', step: 1 }, document)).toBe(true);
    expect(document.activeElement?.id).toBe('a');
    expect(applyKeypad({ kind: 'confirm' }, document)).toBe(false);
    applyKeypad({ kind: 'move', step: 1 }, document);
    expect(document.activeElement?.id).toBe('c');
    applyKeypad({ kind: 'move', step: 1 }, document);
    expect(document.activeElement?.id).toBe('a');
    applyKeypad({ kind: 'move', step: -1 }, document);
    expect(document.activeElement?.id).toBe('c');
    expect(applyKeypad({ kind: 'focus', index: 5 }, document)).toBe(false);
  });
});
