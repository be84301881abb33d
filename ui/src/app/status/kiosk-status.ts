import {
  CUSTOM_ELEMENTS_SCHEMA,
  Component,
  DestroyRef,
  computed,
  inject,
  signal,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { type CameraDevice, CameraDevices } from '../camera/camera-devices';
import { CAMERA_NOT_REPORTED, reportFromError, reportFromReady } from '../camera/camera-report';
import { LanguageSwitch } from '../i18n/language-switch';
import { LanguageService } from '../i18n/language';
import type { AppInfo } from '../ipc/bindings/AppInfo';
import type { CameraReport } from '../ipc/bindings/CameraReport';
import type { CameraState } from '../ipc/bindings/CameraState';
import type { HealthReport } from '../ipc/bindings/HealthReport';
import type { HealthStatus } from '../ipc/bindings/HealthStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { AwsConnection } from '../staff/aws-connection';
import { StaffSession } from '../staff/staff-session';
import { staffMessageKey } from '../visit/refusal-messages';
import { type KioskError, toKioskError } from '../ipc/kiosk-error';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { SettingsForm } from '../settings/settings-form';

/** Symbol shown beside each health status so that it never relies on colour alone. */
const STATUS_ICONS: Record<HealthStatus, string> = { ok: '✓', warning: '!', failing: '✕' };

/** The backend's refusals of a camera to pin (`CameraRefusal` codes). */
export const PIN_REFUSALS = [
  'camera-virtual',
  'camera-unknown',
  'camera-ambiguous',
  'camera-not-usb',
] as const;

/** Symbol shown beside each camera state. */
const CAMERA_ICONS: Record<CameraState, string> = {
  unknown: '…',
  live: '✓',
  denied: '✕',
  notFound: '✕',
  notReadable: '✕',
  error: '✕',
};

/**
 * Staff screen with the application facts, the health checks, the camera choice and a live
 * camera preview. Each failed command shows a translated banner; the rest keeps working. Only
 * admins change settings: for reviewers the camera choice, the settings and the AWS connection
 * are read-only, and the language switch changes this screen only.
 */
@Component({
  selector: 'app-kiosk-status',
  imports: [TranslatePipe, LanguageSwitch, RouterLink, SettingsForm, AwsConnection],
  templateUrl: './kiosk-status.html',
  styleUrl: './kiosk-status.css',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
})
export class KioskStatus {
  private readonly api = inject(KioskApi);
  private readonly settingsStore = inject(KioskSettingsStore);
  private readonly cameraDevices = inject(CameraDevices);
  protected readonly language = inject(LanguageService);
  protected readonly statusIcons = STATUS_ICONS;
  protected readonly cameraIcons = CAMERA_ICONS;

  protected readonly appInfo = signal<AppInfo | null>(null);
  protected readonly health = signal<HealthReport | null>(null);
  protected readonly settings = this.settingsStore.settings;
  /** True once reading the settings has finished, well or not: the preview waits for it. */
  protected readonly settingsRead = signal(false);
  protected readonly cameras = signal<CameraDevice[]>([]);
  protected readonly camera = signal<CameraReport>(CAMERA_NOT_REPORTED);
  protected readonly refreshing = signal(false);
  protected readonly error = signal<KioskError | null>(null);
  /** The banner's message: a staff refusal's own (`[forbidden]`), else the error code's. */
  protected readonly errorMessageKey = computed(() => {
    const error = this.error();
    return error ? staffMessageKey(error) : null;
  });
  /** Only admins change settings (camera, language, the form); the others see them. */
  protected readonly canEdit = inject(StaffSession).isAdmin;

  /** The saved camera is not among the cameras the webview can see. */
  protected readonly savedCameraMissing = computed(() => {
    const saved = this.settings()?.cameraId;
    const cameras = this.cameras();
    return !!saved && cameras.length > 0 && !cameras.some((c) => c.deviceId === saved);
  });

  /** Device id given to the preview; empty for the system default. */
  protected readonly selectedCameraId = computed(() =>
    this.savedCameraMissing() ? '' : (this.settings()?.cameraId ?? ''),
  );

  /** The chosen camera when it has a label (the kiosk finds the device to pin by it). */
  protected readonly selectedCamera = computed(
    () => this.cameras().find((c) => c.deviceId === this.selectedCameraId() && c.label) ?? null,
  );
  /** Translation key of why the kiosk refused to pin the camera. */
  protected readonly pinRefusal = signal<string | null>(null);
  protected readonly pinning = signal(false);

  /** `checkedAt` of the health report in the current language. */
  protected readonly checkedAt = computed(() => {
    const report = this.health();
    if (!report) {
      return '';
    }
    const format = new Intl.DateTimeFormat(this.language.current(), {
      dateStyle: 'short',
      timeStyle: 'medium',
    });
    return format.format(new Date(report.checkedAt));
  });

  constructor() {
    void this.readSettings();
    void this.attempt(async () => this.appInfo.set(await this.api.appInfo()));
    void this.refreshHealth();
    void this.listCameras();
    const stopWatching = this.cameraDevices.watch(() => void this.listCameras());
    inject(DestroyRef).onDestroy(stopWatching);
  }

  /** Runs every health check again. */
  protected async refreshHealth(): Promise<void> {
    this.refreshing.set(true);
    await this.attempt(async () => this.health.set(await this.api.healthReport()));
    this.refreshing.set(false);
  }

  /** Persists the chosen camera; an empty id means the system default. */
  protected async selectCamera(deviceId: string): Promise<void> {
    if (!this.canEdit()) return;
    await this.attempt(() => this.settingsStore.save({ cameraId: deviceId || null }));
  }

  /** Pins the chosen camera: from then on only it may film a liveness check. */
  protected async pinSelectedCamera(): Promise<void> {
    const camera = this.selectedCamera();
    if (!camera || !this.canEdit()) return;
    await this.changePin(() => this.settingsStore.pinCamera(camera.label));
  }

  /** Removes the pin: any real camera may film again. */
  protected async unpinCamera(): Promise<void> {
    if (!this.canEdit()) return;
    await this.changePin(() => this.settingsStore.save({ cameraPin: null }));
  }

  /** Handles `camera-ready` of the preview. */
  protected onCameraReady(event: Event): Promise<void> {
    return this.reportCamera(reportFromReady(event));
  }

  /** Handles `camera-error` of the preview. */
  protected onCameraError(event: Event): Promise<void> {
    return this.reportCamera(reportFromError(event));
  }

  /** Shows `error` in the banner (used by children such as the language switch). */
  protected showError(error: KioskError): void {
    this.error.set(error);
  }

  protected dismissError(): void {
    this.error.set(null);
  }

  /** Uses the settings read at start-up, or reads them now to show why that failed. */
  private async readSettings(): Promise<void> {
    if (!this.settings()) {
      await this.attempt(() => this.settingsStore.load());
    }
    this.settingsRead.set(true);
  }

  /** Tells the backend what the preview saw, then refreshes health and the camera list. */
  private async reportCamera(report: CameraReport): Promise<void> {
    this.camera.set(report);
    // Labels and ids only appear once the camera has been opened, so list the cameras again.
    void this.listCameras();
    await this.attempt(() => this.api.reportCameraState(report));
    await this.refreshHealth();
  }

  private async listCameras(): Promise<void> {
    try {
      this.cameras.set(await this.cameraDevices.list());
    } catch {
      // Without a list the selector only offers the system default; the preview reports the rest.
      this.cameras.set([]);
    }
  }

  /** Runs a pin change; a camera the kiosk refuses is said under the buttons, the rest in the banner. */
  private async changePin(change: () => Promise<unknown>): Promise<void> {
    this.pinRefusal.set(null);
    this.pinning.set(true);
    try {
      await change();
    } catch (reason) {
      const error = toKioskError(reason);
      const code = error.refusal('invalidInput');
      if (code !== null && (PIN_REFUSALS as readonly string[]).includes(code)) {
        this.pinRefusal.set(`camera.pin.refused.${code}`);
      } else {
        this.error.set(error);
      }
    } finally {
      this.pinning.set(false);
    }
  }

  /** Runs `action`, turning a failure into the error banner. */
  private async attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (reason) {
      this.error.set(toKioskError(reason));
    }
  }
}
