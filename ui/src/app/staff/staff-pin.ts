import { Component, DestroyRef, inject, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import type { SignInOutcome } from '../ipc/bindings/SignInOutcome';
import { KioskApi } from '../ipc/kiosk-api';
import { staffMessageKey, staffRefusal } from '../visit/refusal-messages';
import { StaffSession } from './staff-session';

/** A staff PIN: 6 to 12 digits (the backend also refuses repeats and runs). */
export const PIN_PATTERN = /^\d{6,12}$/;
const PIN_MAX = 12;

type Phase = 'loading' | 'unavailable' | 'set' | 'sign-in';
type Field = 'pin' | 'newPin' | 'confirmPin';

/**
 * The way into staff mode: on first run the first staff member sets the PIN; afterwards a PIN
 * entered on the on-screen keypad signs in. Wrong PINs say how many tries are left; after too
 * many, sign-in is locked with a countdown.
 */
@Component({
  selector: 'app-staff-pin',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './staff-pin.html',
  styleUrl: './staff-pin.css',
})
export class StaffPin {
  private readonly api = inject(KioskApi);
  private readonly session = inject(StaffSession);
  private readonly router = inject(Router);

  protected readonly phase = signal<Phase>('loading');
  protected readonly pin = signal('');
  protected readonly newPin = signal('');
  protected readonly confirmPin = signal('');
  /** The field the keypad types into. */
  protected readonly field = signal<Field>('pin');
  protected readonly busy = signal(false);
  /** Tries left after a wrong PIN. */
  protected readonly attemptsLeft = signal<number | null>(null);
  /** Seconds of lockout left; 0 when not locked. */
  protected readonly lockedLeft = signal(0);
  /** Translation key of any other message. */
  protected readonly messageKey = signal<string | null>(null);
  protected readonly keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

  private lockTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stopLock());
    if (this.session.signedIn()) {
      void this.router.navigateByUrl('/staff/home');
    } else {
      void this.readStatus();
    }
  }

  protected async readStatus(): Promise<void> {
    this.phase.set('loading');
    this.messageKey.set(null);
    try {
      const status = await this.api.staffStatus();
      this.phase.set(status.pinSet ? 'sign-in' : 'set');
      this.field.set(status.pinSet ? 'pin' : 'newPin');
      if (status.lockedSeconds) this.lock(status.lockedSeconds);
    } catch (reason) {
      this.phase.set('unavailable');
      this.messageKey.set(staffMessageKey(reason));
    }
  }

  /** Typed text, digits only, at most 12. */
  protected onInput(field: Field, event: Event): void {
    const input = event.target as HTMLInputElement;
    const digits = input.value.replace(/\D/g, '').slice(0, PIN_MAX);
    input.value = digits;
    this.fieldSignal(field).set(digits);
  }

  protected press(digit: string): void {
    const target = this.fieldSignal(this.field());
    target.update((value) => (value.length < PIN_MAX ? value + digit : value));
  }

  protected backspace(): void {
    this.fieldSignal(this.field()).update((value) => value.slice(0, -1));
  }

  protected clearField(): void {
    this.fieldSignal(this.field()).set('');
  }

  protected async signIn(): Promise<void> {
    const pin = this.pin();
    if (!PIN_PATTERN.test(pin) || this.lockedLeft() > 0 || this.busy()) return;
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      this.apply(await this.api.staffSignIn(pin));
    } catch (reason) {
      this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.pin.set('');
      this.busy.set(false);
    }
  }

  protected async setPin(): Promise<void> {
    const pin = this.newPin();
    this.attemptsLeft.set(null);
    const problem = !PIN_PATTERN.test(pin)
      ? 'staff.pin.format'
      : pin !== this.confirmPin()
        ? 'staff.pin.mismatch'
        : null;
    if (problem) {
      // The fields hide what was typed: start both again.
      this.messageKey.set(problem);
      this.newPin.set('');
      this.confirmPin.set('');
      this.field.set('newPin');
      return;
    }
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      const session = await this.api.staffSetPin(pin, null);
      this.session.begin(session);
      await this.router.navigateByUrl('/staff/home');
    } catch (reason) {
      this.messageKey.set(staffMessageKey(reason));
      if (staffRefusal(reason) === 'pin-already-set') {
        this.phase.set('sign-in');
        this.field.set('pin');
      }
    } finally {
      this.newPin.set('');
      this.confirmPin.set('');
      this.field.set(this.phase() === 'set' ? 'newPin' : 'pin');
      this.busy.set(false);
    }
  }

  private apply(outcome: SignInOutcome): void {
    switch (outcome.kind) {
      case 'signed-in':
        this.attemptsLeft.set(null);
        this.session.begin(outcome.session);
        void this.router.navigateByUrl('/staff/home');
        break;
      case 'wrong-pin':
        this.attemptsLeft.set(outcome.attemptsLeft);
        break;
      case 'locked':
        this.attemptsLeft.set(null);
        this.lock(outcome.seconds);
        break;
      case 'no-pin':
        this.attemptsLeft.set(null);
        this.phase.set('set');
        this.field.set('newPin');
        break;
    }
  }

  private lock(seconds: number): void {
    this.stopLock();
    this.lockedLeft.set(Math.max(Math.ceil(seconds), 1));
    this.lockTimer = setInterval(() => {
      const left = this.lockedLeft() - 1;
      this.lockedLeft.set(Math.max(left, 0));
      if (left <= 0) this.stopLock();
    }, 1000);
  }

  private stopLock(): void {
    if (this.lockTimer) clearInterval(this.lockTimer);
    this.lockTimer = null;
  }

  private fieldSignal(field: Field) {
    return field === 'pin' ? this.pin : field === 'newPin' ? this.newPin : this.confirmPin;
  }
}
