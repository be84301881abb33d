import { Component, DOCUMENT, DestroyRef, computed, inject, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { AccessibilityService } from '../accessibility/accessibility';
import { typingInField } from '../accessibility/keypad';
import { CameraDevices } from '../camera/camera-devices';
import { CameraProbe } from '../camera/camera-probe';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { StaffSession } from '../staff/staff-session';
import { VisitService } from '../visit/visit-service';

/** In field mode the sync badge is refreshed this often (and each time the screen shows). */
export const SYNC_REFRESH_SECONDS = 30;

/** The sync failure that means the kiosk cannot reach AWS. */
const UNREACHABLE = 'aws-unreachable';

/**
 * The kiosk at rest: the product, one large "touch to start" and a discreet staff entry. Nothing
 * of a previous customer survives here: a visit left behind is ended and wiped. While it waits it
 * checks the camera (at start, and when a device is plugged or unplugged).
 *
 * In field mode (a field agent's laptop) it says so, shows whether the kiosk is offline and how
 * many records wait to reach AWS, and visits start only once a field agent has signed in: the
 * start button leads to the staff sign-in until then, and the agent's session is the visit's
 * operator afterwards.
 *
 * On the keypad, Enter (Confirma) starts like the button, and 0 starts with spoken guidance on.
 */
@Component({
  selector: 'app-attract',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './attract.html',
  styleUrl: './attract.css',
  host: { '(document:keydown)': 'onKey($event)' },
})
export class Attract {
  protected readonly visit = inject(VisitService);
  protected readonly staff = inject(StaffSession);
  private readonly api = inject(KioskApi);
  private readonly router = inject(Router);
  private readonly probe = inject(CameraProbe);
  private readonly settings = inject(KioskSettingsStore);
  private readonly destroyRef = inject(DestroyRef);
  private readonly window = inject(DOCUMENT).defaultView;
  private readonly accessibility = inject(AccessibilityService);

  /** This kiosk is a field agent's (settings `mode: field`). */
  protected readonly fieldMode = computed(() => this.settings.settings()?.mode === 'field');
  /** The sync queue as last read; `null` until read (or when reading failed). */
  protected readonly sync = signal<SyncStatus | null>(null);
  protected readonly online = signal(this.window?.navigator.onLine ?? true);
  /** No network, or the last sync attempt could not reach AWS. */
  protected readonly offline = computed(
    () => !this.online() || this.sync()?.offline === true || this.sync()?.lastError === UNREACHABLE,
  );
  /** The signed-in field agent's name: visits may start. */
  protected readonly agent = computed(() =>
    this.fieldMode() && this.staff.operatesField() ? this.staff.name() : null,
  );

  private destroyed = false;

  constructor() {
    this.visit.abandon();
    const check = (force: boolean) =>
      void this.probe.probe(this.settings.settings()?.cameraId ?? null, force);
    check(false);
    const stop = inject(CameraDevices).watch(() => check(true));
    this.destroyRef.onDestroy(() => {
      this.destroyed = true;
      stop();
    });
    void this.watchField();
  }

  /** The camera failed its last probe: no visit can start (shown until a probe finds it again). */
  protected readonly cameraDown = computed(() => {
    const state = this.probe.state();
    return state !== null && state !== 'live';
  });

  /** A start is checking the camera: further presses wait for it. */
  protected readonly starting = signal(false);

  /**
   * "Start": a visit (once the camera works, see {@link VisitService.start}), or in field mode
   * without an agent, the agent's sign-in.
   */
  protected async start(spoken = false): Promise<void> {
    if (this.starting()) return;
    const token = this.fieldMode() && this.staff.operatesField() ? this.staff.token() : null;
    if (this.fieldMode() && !token) {
      void this.router.navigateByUrl('/staff');
      return;
    }
    this.starting.set(true);
    try {
      const started = await this.visit.start(token);
      if (started && spoken && !this.accessibility.speech()) this.accessibility.setSpeech(true);
    } finally {
      this.starting.set(false);
    }
  }

  /** Enter starts (unless a link or button has the focus: the browser presses it); 0 starts spoken. */
  protected onKey(event: KeyboardEvent): void {
    if (typingInField(event) || event.altKey || event.ctrlKey || event.metaKey) return;
    const focused =
      event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement;
    if (event.key === 'Enter' && !focused) {
      event.preventDefault();
      void this.start();
    } else if (event.key === '0' && !this.fieldMode()) {
      event.preventDefault();
      void this.start(true);
    }
  }

  /** In field mode: reads the sync queue now and every 30 s, and follows the network state. */
  private async watchField(): Promise<void> {
    let mode = this.settings.settings()?.mode;
    if (mode === undefined) {
      try {
        mode = (await this.settings.load()).mode;
      } catch {
        return;
      }
    }
    if (mode !== 'field' || this.destroyed) return;
    void this.refreshSync();
    const timer = setInterval(() => void this.refreshSync(), SYNC_REFRESH_SECONDS * 1000);
    const onNetwork = () => this.online.set(this.window?.navigator.onLine ?? true);
    this.window?.addEventListener('online', onNetwork);
    this.window?.addEventListener('offline', onNetwork);
    this.destroyRef.onDestroy(() => {
      clearInterval(timer);
      this.window?.removeEventListener('online', onNetwork);
      this.window?.removeEventListener('offline', onNetwork);
    });
  }

  private async refreshSync(): Promise<void> {
    try {
      this.sync.set(await this.api.syncStatus());
    } catch {
      this.sync.set(null);
    }
  }
}
