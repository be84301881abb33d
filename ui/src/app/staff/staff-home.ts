import { Component, computed, inject, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import type { StaffRole } from '../ipc/bindings/StaffRole';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { staffMessageKey } from '../visit/refusal-messages';
import { VisitService } from '../visit/visit-service';
import { PIN_PATTERN, PinInput } from './pin-input';
import { StaffSession } from './staff-session';
import { LivenessAlert } from './liveness-alert';
import { SyncSummary } from './sync-summary';

/** A tile of the staff home and the roles that see it. */
interface Tile {
  id: string;
  path: string;
  title: string;
  text: string;
  roles: readonly StaffRole[];
}

/** Every tile; each role sees those that list it. */
export const STAFF_TILES: readonly Tile[] = [
  {
    id: 'staff-review',
    path: '/staff/review',
    title: 'staff.nav.review',
    text: 'staff.home.reviewText',
    roles: ['reviewer', 'admin'],
  },
  {
    id: 'staff-status',
    path: '/staff/status',
    title: 'staff.nav.status',
    text: 'staff.home.statusText',
    roles: ['reviewer', 'admin'],
  },
  {
    id: 'staff-liveness',
    path: '/staff/liveness-check',
    title: 'staff.nav.liveness',
    text: 'staff.home.livenessText',
    roles: ['reviewer', 'admin'],
  },
  {
    id: 'staff-diagnostics',
    path: '/staff/diagnostics',
    title: 'staff.nav.diagnostics',
    text: 'staff.home.diagnosticsText',
    roles: ['reviewer', 'admin'],
  },
];

/**
 * Staff mode's home: a greeting with the account's name and role, the screens the role may open,
 * an alert when the kiosk refused liveness checks after repeated failures, the AWS sync queue
 * (queued, failing, last success, overdue),
 * changing the account's PIN (old, new, confirmation), and — for admins — leaving kiosk mode (after
 * a confirmation) and, on a field-mode kiosk, serving customers as the operator; on a branch kiosk,
 * any staff member may start an assisted visit (driving the customer's flow beside them).
 */
@Component({
  selector: 'app-staff-home',
  imports: [TranslatePipe, RouterLink, PinInput, SyncSummary, LivenessAlert],
  templateUrl: './staff-home.html',
  styleUrl: './staff-home.css',
})
export class StaffHome {
  private readonly api = inject(KioskApi);
  private readonly router = inject(Router);
  private readonly settings = inject(KioskSettingsStore);
  protected readonly session = inject(StaffSession);
  private readonly visit = inject(VisitService);
  protected readonly confirmingExit = signal(false);
  protected readonly busy = signal(false);
  protected readonly messageKey = signal<string | null>(null);
  protected readonly oldPin = signal('');
  protected readonly newPin = signal('');
  protected readonly confirmPin = signal('');
  protected readonly pinChanged = signal(false);
  /** Translation key of what is wrong with the PIN change. */
  protected readonly pinMessageKey = signal<string | null>(null);

  /** Translation key of the signed-in role's name. */
  protected readonly roleKey = computed(() => `staff.role.${this.session.role() ?? 'reviewer'}`);
  protected readonly tiles = computed(() => {
    const role = this.session.role();
    return STAFF_TILES.filter((tile) => role !== null && tile.roles.includes(role));
  });
  /** An admin on a field-mode kiosk may serve customers as the operator. */
  protected readonly fieldVisits = computed(
    () => this.session.operatesField() && this.settings.settings()?.mode === 'field',
  );

  /** A branch kiosk: staff may drive a customer's visit from this screen. */
  protected readonly assistedVisits = computed(
    () => this.session.signedIn() && this.settings.settings()?.mode !== 'field',
  );

  /**
   * Starts an assisted visit operated by this account (staff mode ends with it), once the camera
   * works: the face check needs it, assisted or not.
   */
  protected async assist(): Promise<void> {
    const token = this.session.token();
    if (!token || this.busy()) return;
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      if (!(await this.visit.start(token))) this.messageKey.set('attract.cameraDown');
    } finally {
      this.busy.set(false);
    }
  }

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

  /** Leaves staff mode for the attract screen with the session kept (field mode). */
  protected serveCustomers(): void {
    void this.router.navigateByUrl('/');
  }

  /** A PIN field changed: the previous outcome no longer applies. */
  protected editedPin(): void {
    this.pinChanged.set(false);
    this.pinMessageKey.set(null);
  }

  protected async changePin(): Promise<void> {
    const token = this.session.token();
    const oldPin = this.oldPin();
    const pin = this.newPin();
    this.pinChanged.set(false);
    if (!token || this.busy()) return;
    const problem = !PIN_PATTERN.test(oldPin)
      ? 'staff.pin.format'
      : !PIN_PATTERN.test(pin)
        ? 'staff.pin.format'
        : pin !== this.confirmPin()
          ? 'staff.pin.mismatch'
          : pin === oldPin
            ? 'staff.refusal.pin-unchanged'
            : null;
    if (problem) {
      this.pinMessageKey.set(problem);
      // Hidden fields: the new PIN and its confirmation start again.
      this.newPin.set('');
      this.confirmPin.set('');
      return;
    }
    this.busy.set(true);
    this.pinMessageKey.set(null);
    try {
      await this.api.staffChangePin(token, oldPin, pin);
      this.pinChanged.set(true);
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.pinMessageKey.set(staffMessageKey(reason));
    } finally {
      // The fields hide what was typed: start them all again.
      this.oldPin.set('');
      this.newPin.set('');
      this.confirmPin.set('');
      this.busy.set(false);
    }
  }
}
