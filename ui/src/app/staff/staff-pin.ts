import { Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import type { SignInOutcome } from '../ipc/bindings/SignInOutcome';
import type { StaffSession as Session } from '../ipc/bindings/StaffSession';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { staffMessageKey } from '../visit/refusal-messages';
import { PIN_MAX, PIN_PATTERN, PinInput } from './pin-input';
import { StaffSession, hasStaffScreens, operatesField } from './staff-session';

/** The longest staff number (account id): 3-32 of `a-z 0-9 . _ -`. */
export const ACCOUNT_MAX = 32;

/** Keeps what a staff number may hold: lowercase `a-z 0-9 . _ -`, at most 32. */
export function accountText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '')
    .slice(0, ACCOUNT_MAX);
}

type Phase = 'loading' | 'unavailable' | 'not-provisioned' | 'sign-in' | 'no-staff-screens';
type Field = 'account' | 'pin';

/**
 * The way into staff mode: a staff number and its PIN, typed or entered on the on-screen keypad
 * (which types into the active field). Accounts are provisioned out of band (`dayfusion staff
 * add`): a kiosk without any says so and offers no way in. A wrong staff number and a wrong PIN
 * get the same answer; too many wrong PINs lock that account, with a countdown. A field agent
 * is taken back to the attract screen of a field-mode kiosk, with the field session active.
 */
@Component({
  selector: 'app-staff-pin',
  imports: [TranslatePipe, RouterLink, PinInput],
  templateUrl: './staff-pin.html',
  styleUrl: './staff-pin.css',
})
export class StaffPin {
  private readonly api = inject(KioskApi);
  private readonly session = inject(StaffSession);
  private readonly settings = inject(KioskSettingsStore);
  private readonly router = inject(Router);

  protected readonly phase = signal<Phase>('loading');
  protected readonly account = signal('');
  protected readonly pin = signal('');
  /** The field the keypad types into. */
  protected readonly field = signal<Field>('account');
  protected readonly busy = signal(false);
  /** The last try had a wrong staff number or PIN (the backend does not say which). */
  protected readonly wrong = signal(false);
  /** The account the last lockout was for, and the seconds left of it. */
  protected readonly lockedAccount = signal<string | null>(null);
  protected readonly lockedLeft = signal(0);
  /** The staff number in the field is locked now. */
  protected readonly locked = computed(
    () => this.lockedLeft() > 0 && this.lockedAccount() === this.account(),
  );
  /** A field agent signed in on a branch kiosk: their name, for the message. */
  protected readonly fieldAgentName = signal<string | null>(null);
  /** Translation key of any other message. */
  protected readonly messageKey = signal<string | null>(null);
  protected readonly keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
  protected readonly accountMax = ACCOUNT_MAX;

  private lockTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stopLock());
    if (this.session.hasStaffScreens()) {
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
      this.phase.set(status.provisioned ? 'sign-in' : 'not-provisioned');
    } catch (reason) {
      this.phase.set('unavailable');
      this.messageKey.set(staffMessageKey(reason));
    }
  }

  /** Typed staff number: lowercase, only the characters an id may hold. */
  protected onAccount(event: Event): void {
    const input = event.target as HTMLInputElement;
    const text = accountText(input.value);
    input.value = text;
    this.account.set(text);
  }

  protected press(digit: string): void {
    if (this.field() === 'account') {
      this.account.update((value) => accountText(value + digit));
    } else {
      this.pin.update((value) => (value.length < PIN_MAX ? value + digit : value));
    }
  }

  protected backspace(): void {
    this.fieldSignal().update((value) => value.slice(0, -1));
  }

  protected clearField(): void {
    this.fieldSignal().set('');
  }

  protected async signIn(): Promise<void> {
    const account = this.account();
    const pin = this.pin();
    if (!account || !PIN_PATTERN.test(pin) || this.locked() || this.busy()) return;
    this.busy.set(true);
    this.wrong.set(false);
    this.messageKey.set(null);
    try {
      await this.apply(account, await this.api.staffSignIn(account, pin));
    } catch (reason) {
      this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.pin.set('');
      this.busy.set(false);
    }
  }

  private async apply(account: string, outcome: SignInOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'signed-in':
        await this.enter(outcome.session);
        break;
      case 'wrong-pin':
        this.wrong.set(true);
        this.field.set('pin');
        break;
      case 'locked':
        this.lock(account, outcome.seconds);
        this.field.set('account');
        break;
      case 'not-provisioned':
        this.phase.set('not-provisioned');
        break;
    }
  }

  /** Where a signed-in account goes: its role decides. */
  private async enter(session: Session): Promise<void> {
    if (hasStaffScreens(session.role)) {
      this.session.begin(session);
      await this.router.navigateByUrl('/staff/home');
      return;
    }
    if (operatesField(session.role) && (await this.fieldMode())) {
      // The field session: back to the attract screen, where visits now start.
      this.session.begin(session);
      await this.router.navigateByUrl('/');
      return;
    }
    // A field agent on a branch kiosk: nothing here for that role.
    this.fieldAgentName.set(session.name);
    this.phase.set('no-staff-screens');
    this.account.set('');
    try {
      await this.api.staffSignOut(session.token);
    } catch {
      // The backend's session also expires on its own.
    }
  }

  private async fieldMode(): Promise<boolean> {
    try {
      const settings = this.settings.settings() ?? (await this.settings.load());
      return settings.mode === 'field';
    } catch {
      return false;
    }
  }

  private lock(account: string, seconds: number): void {
    this.stopLock();
    this.lockedAccount.set(account);
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

  private fieldSignal() {
    return this.field() === 'account' ? this.account : this.pin;
  }
}
