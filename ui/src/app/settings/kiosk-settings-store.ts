import { Injectable, Injector, inject, signal } from '@angular/core';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import { KioskApi } from '../ipc/kiosk-api';
import { StaffSession } from '../staff/staff-session';

/** Holds the kiosk settings last read from, or stored by, the backend. */
@Injectable({ providedIn: 'root' })
export class KioskSettingsStore {
  private readonly api = inject(KioskApi);
  private readonly injector = inject(Injector);
  private readonly current = signal<KioskSettings | null>(null);
  /** Saves run one after the other so that each one builds on the previous result. */
  private queue: Promise<unknown> = Promise.resolve();

  /** The settings, or `null` until they have been read. */
  readonly settings = this.current.asReadonly();

  /** Reads the settings from the backend. */
  async load(): Promise<KioskSettings> {
    const settings = await this.api.getSettings();
    this.current.set(settings);
    return settings;
  }

  /**
   * Merges `patch` into the settings, persists them and keeps what the backend stored. Only staff
   * may: the backend checks the signed-in staff session's token.
   */
  save(patch: Partial<KioskSettings>): Promise<KioskSettings> {
    return this.enqueue(async (token) => {
      const base = this.current() ?? (await this.load());
      return this.api.saveSettings({ ...base, ...patch }, token);
    });
  }

  /** Pins the camera the webview names `label` (admins only) and keeps the settings stored. */
  pinCamera(label: string): Promise<KioskSettings> {
    return this.enqueue((token) => this.api.pinCamera(label, token));
  }

  /** Runs `change` after the changes before it, with the staff token; keeps what it stored. */
  private enqueue(change: (token: string) => Promise<KioskSettings>): Promise<KioskSettings> {
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        const token = this.injector.get(StaffSession).token() ?? '';
        const stored = await change(token);
        this.current.set(stored);
        return stored;
      });
    this.queue = run;
    return run;
  }
}
