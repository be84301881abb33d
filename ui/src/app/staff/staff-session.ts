import { DOCUMENT, DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import type { StaffSession as Session } from '../ipc/bindings/StaffSession';
import { KioskApi } from '../ipc/kiosk-api';
import { staffRefusal } from '../visit/refusal-messages';

/** Staff are signed out after this long without a touch (or the session's own limit, if shorter). */
export const STAFF_IDLE_SECONDS = 300;

/** Events that count as staff activity. */
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart'] as const;

/**
 * The signed-in staff session. The token lives in memory only (never in storage): a reload or
 * restart signs staff out. Five minutes without a touch signs out and shows the attract screen.
 */
@Injectable({ providedIn: 'root' })
export class StaffSession {
  private readonly api = inject(KioskApi);
  private readonly router = inject(Router);
  private readonly document = inject(DOCUMENT);
  private readonly tokenState = signal<string | null>(null);
  private idleLimit = STAFF_IDLE_SECONDS;
  private idleLeft = STAFF_IDLE_SECONDS;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly onActivity = (): void => {
    this.idleLeft = this.idleLimit;
  };

  /** The bearer token of the staff commands, or `null` when nobody is signed in. */
  readonly token = this.tokenState.asReadonly();
  readonly signedIn = computed(() => this.tokenState() !== null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.clear());
  }

  /** Holds a new session and starts its idle timeout. */
  begin(session: Session): void {
    this.clear();
    this.tokenState.set(session.token);
    const limit = session.idleSeconds > 0 ? session.idleSeconds : STAFF_IDLE_SECONDS;
    this.idleLimit = Math.min(limit, STAFF_IDLE_SECONDS);
    this.idleLeft = this.idleLimit;
    for (const type of ACTIVITY_EVENTS) {
      this.document.addEventListener(type, this.onActivity, { capture: true, passive: true });
    }
    this.ticker = setInterval(() => {
      this.idleLeft -= 1;
      if (this.idleLeft <= 0) void this.signOut();
    }, 1000);
  }

  /** Signs out on the backend (best effort), forgets the token and shows the attract screen. */
  async signOut(): Promise<void> {
    const token = this.tokenState();
    this.clear();
    await this.router.navigateByUrl('/');
    if (token) {
      try {
        await this.api.staffSignOut(token);
      } catch {
        // The backend's session also expires on its own.
      }
    }
  }

  /**
   * Handles a failed staff command: `[not-signed-in]` (expired or unknown token) forgets the
   * session and goes back to the PIN screen. Returns whether it did.
   */
  async handle(reason: unknown): Promise<boolean> {
    if (staffRefusal(reason) !== 'not-signed-in') {
      return false;
    }
    this.clear();
    await this.router.navigateByUrl('/staff');
    return true;
  }

  private clear(): void {
    this.tokenState.set(null);
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const type of ACTIVITY_EVENTS) {
      this.document.removeEventListener(type, this.onActivity, { capture: true });
    }
  }
}
