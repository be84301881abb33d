import { Component, input, model, output } from '@angular/core';

/** A staff PIN: 6 to 12 digits (the backend also refuses repeats and runs). */
export const PIN_PATTERN = /^\d{6,12}$/;
/** The longest PIN. */
export const PIN_MAX = 12;

/** Keeps the digits of `text`, at most {@link PIN_MAX}. */
export function pinDigits(text: string): string {
  return text.replace(/\D/g, '').slice(0, PIN_MAX);
}

/**
 * One hidden PIN field (digits only, at most 12), shared by the sign-in screen and the PIN change
 * on the staff home. `value` is two-way; `active` marks the field the on-screen keypad types into.
 */
@Component({
  selector: 'app-pin-input',
  template: `
    <input
      type="password"
      inputmode="numeric"
      autocomplete="off"
      maxlength="12"
      [id]="inputId()"
      [attr.data-testid]="testId()"
      [class.active]="active()"
      [value]="value()"
      [disabled]="disabled()"
      (focus)="focused.emit()"
      (input)="onInput($event)"
    />
  `,
  styles: `
    :host {
      display: block;
    }
    input {
      font-size: 1.6rem;
      letter-spacing: 0.4em;
    }
    input.active {
      border-color: var(--color-brand);
    }
  `,
})
export class PinInput {
  /** The input's `id`, for its `<label for>`. */
  readonly inputId = input.required<string>();
  readonly testId = input.required<string>();
  readonly value = model('');
  readonly disabled = input(false);
  readonly active = input(false);
  /** The field got the focus (the keypad now types into it). */
  readonly focused = output();

  protected onInput(event: Event): void {
    const field = event.target as HTMLInputElement;
    const digits = pinDigits(field.value);
    field.value = digits;
    this.value.set(digits);
  }
}
