import { Component, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { KioskApi } from '../ipc/kiosk-api';
import { staffMessageKey } from '../visit/refusal-messages';
import { PIN_PATTERN } from './staff-pin';
import { StaffSession } from './staff-session';

/**
 * Staff mode's home: the review queue, settings and status, the liveness check, diagnostics,
 * changing the PIN, leaving kiosk mode (after a confirmation) and signing out.
 */
@Component({
  selector: 'app-staff-home',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './staff-home.html',
  styleUrl: './staff-home.css',
})
export class StaffHome {
  private readonly api = inject(KioskApi);
  protected readonly session = inject(StaffSession);
  protected readonly confirmingExit = signal(false);
  protected readonly busy = signal(false);
  protected readonly messageKey = signal<string | null>(null);
  protected readonly newPin = signal('');
  protected readonly confirmPin = signal('');
  protected readonly pinChanged = signal(false);

  protected readonly tiles = [
    {
      id: 'staff-review',
      path: '/staff/review',
      title: 'staff.nav.review',
      text: 'staff.home.reviewText',
    },
    {
      id: 'staff-status',
      path: '/staff/status',
      title: 'staff.nav.status',
      text: 'staff.home.statusText',
    },
    {
      id: 'staff-liveness',
      path: '/staff/liveness-check',
      title: 'staff.nav.liveness',
      text: 'staff.home.livenessText',
    },
    {
      id: 'staff-diagnostics',
      path: '/staff/diagnostics',
      title: 'staff.nav.diagnostics',
      text: 'staff.home.diagnosticsText',
    },
  ] as const;

  protected async exitKiosk(): Promise<void> {
    const token = this.session.token();
    if (!token) return;
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      await this.api.exitKiosk(token);
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.busy.set(false);
      this.confirmingExit.set(false);
    }
  }

  protected onPinInput(target: 'new' | 'confirm', event: Event): void {
    const input = event.target as HTMLInputElement;
    const digits = input.value.replace(/\D/g, '').slice(0, 12);
    input.value = digits;
    (target === 'new' ? this.newPin : this.confirmPin).set(digits);
    this.pinChanged.set(false);
  }

  protected async changePin(): Promise<void> {
    const token = this.session.token();
    const pin = this.newPin();
    this.pinChanged.set(false);
    if (!token) return;
    if (!PIN_PATTERN.test(pin)) {
      this.messageKey.set('staff.pin.format');
      return;
    }
    if (pin !== this.confirmPin()) {
      this.messageKey.set('staff.pin.mismatch');
      return;
    }
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      const session = await this.api.staffSetPin(pin, token);
      this.session.begin(session);
      this.pinChanged.set(true);
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.newPin.set('');
      this.confirmPin.set('');
      this.busy.set(false);
    }
  }
}
