import { DOCUMENT, DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import type { StaffRole } from '../ipc/bindings/StaffRole';
import type { StaffSession as Session } from '../ipc/bindings/StaffSession';
import { KioskApi } from '../ipc/kiosk-api';
import { staffRefusal } from '../visit/refusal-messages';

/** Staff are signed out after this long without a touch (or the session's own limit, if shorter). */
export const STAFF_IDLE_SECONDS = 300;

/** Events that count as staff activity. */
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart'] as const;

/** Roles that have the staff screens (review, status, liveness check, diagnostics). */
const STAFF_SCREEN_ROLES: ReadonlySet<StaffRole> = new Set(['reviewer', 'admin']);
/** Roles that may operate a field session's visits (the backend's `OperateField`). */
const FIELD_ROLES: ReadonlySet<StaffRole> = new Set(['field-agent', 'admin']);

/** Whether `role` has the staff screens. */
export function hasStaffScreens(role: StaffRole | null): boolean {
  return role !== null && STAFF_SCREEN_ROLES.has(role);
}

/** Whether `role` may operate field visits. */
export function operatesField(role: StaffRole | null): boolean {
  return role !== null && FIELD_ROLES.has(role);
}

/**
 * The signed-in staff session: its token, account, name and role. The token lives in memory only
 * (never in storage): a reload or restart signs staff out. Five minutes without a touch signs out
 * and shows the attract screen — except during a customer's visit (a field agent's session), which
 * is never interrupted: the session is only forgotten.
 */
@Injectable({ providedIn: 'root' })
export class StaffSession {
  private readonly api = inject(KioskApi);
  private readonly router = inject(Router);
  private readonly document = inject(DOCUMENT);
  private readonly sessionState = signal<Session | null>(null);
  private idleLimit = STAFF_IDLE_SECONDS;
  private idleLeft = STAFF_IDLE_SECONDS;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly onActivity = (): void => {
    this.idleLeft = this.idleLimit;
  };

  /** The bearer token of the staff commands, or `null` when nobody is signed in. */
  readonly token = computed(() => this.sessionState()?.token ?? null);
  /** The signed-in account's id (staff number). */
  readonly account = computed(() => this.sessionState()?.account ?? null);
  /** The signed-in account's display name. */
  readonly name = computed(() => this.sessionState()?.name ?? null);
  /** The signed-in account's role. */
  readonly role = computed(() => this.sessionState()?.role ?? null);
  readonly signedIn = computed(() => this.sessionState() !== null);
  /** Settings, the AWS connection and leaving kiosk mode are for admins only. */
  readonly isAdmin = computed(() => this.role() === 'admin');
  /** Reviewers and admins have the staff screens; field agents do not. */
  readonly hasStaffScreens = computed(() => hasStaffScreens(this.role()));
  /** Field agents (and admins) may operate the visits of a field session. */
  readonly operatesField = computed(() => operatesField(this.role()));

  constructor() {
    inject(DestroyRef).onDestroy(() => this.clear());
  }

  /** Holds a new session and starts its idle timeout. */
  begin(session: Session): void {
    this.clear();
    this.sessionState.set(session);
    const limit = session.idleSeconds > 0 ? session.idleSeconds : STAFF_IDLE_SECONDS;
    this.idleLimit = Math.min(limit, STAFF_IDLE_SECONDS);
    this.idleLeft = this.idleLimit;
    for (const type of ACTIVITY_EVENTS) {
      this.document.addEventListener(type, this.onActivity, { capture: true, passive: true });
    }
    this.ticker = setInterval(() => {
      this.idleLeft -= 1;
      if (this.idleLeft <= 0) void this.expire();
    }, 1000);
  }

  /** Signs out on the backend (best effort), forgets the session and shows the attract screen. */
  async signOut(): Promise<void> {
    const token = this.token();
    this.clear();
    await this.router.navigateByUrl('/');
    await this.signOutQuietly(token);
  }

  /**
   * Forgets the session without leaving the screen: a field session the backend no longer knows
   * (`[operator-required]`), or one that ran out during a customer's visit.
   */
  forget(): void {
    const token = this.token();
    this.clear();
    void this.signOutQuietly(token);
  }

  /**
   * Handles a failed staff command: `[not-signed-in]` (expired or unknown token) forgets the
   * session and goes back to the sign-in screen. Returns whether it did.
   */
  async handle(reason: unknown): Promise<boolean> {
    if (staffRefusal(reason) !== 'not-signed-in') {
      return false;
    }
    this.clear();
    await this.router.navigateByUrl('/staff');
    return true;
  }

  /** The idle timeout: a customer's visit under way keeps its screen. */
  private async expire(): Promise<void> {
    if (this.router.url.startsWith('/visit')) {
      this.forget();
    } else {
      await this.signOut();
    }
  }

  private async signOutQuietly(token: string | null): Promise<void> {
    if (!token) return;
    try {
      await this.api.staffSignOut(token);
    } catch {
      // The backend's session also expires on its own.
    }
  }

  private clear(): void {
    this.sessionState.set(null);
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const type of ACTIVITY_EVENTS) {
      this.document.removeEventListener(type, this.onActivity, { capture: true });
    }
  }
}
