import { Injectable, inject, signal } from '@angular/core';
import type { CameraReport } from '../ipc/bindings/CameraReport';
import type { CameraState } from '../ipc/bindings/CameraState';
import { KioskApi } from '../ipc/kiosk-api';
import { CAMERA_NOT_REPORTED } from '../camera/camera-report';
import { CameraDevices } from './camera-devices';

/** Least time between two probes, ms (a probe briefly turns the camera on). */
export const PROBE_INTERVAL_MS = 60_000;

/** How long a visit's start waits for a probe before taking the camera as not working, ms. */
export const START_PROBE_TIMEOUT_MS = 8_000;

/** The camera state a `getUserMedia` failure means. */
export function stateOfError(error: unknown): CameraState {
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'notFound';
    case 'NotReadableError':
    case 'AbortError':
      return 'notReadable';
    default:
      return 'error';
  }
}

/**
 * Checks the kiosk's camera while no customer is using it (on the attract screen, at start and when
 * a device is plugged or unplugged): opens it for a moment, reads its format, closes it, and tells
 * the back end (health, logs). A camera unplugged between customers shows up in staff diagnostics
 * before the next customer needs it.
 */
@Injectable({ providedIn: 'root' })
export class CameraProbe {
  private readonly api = inject(KioskApi);
  private readonly devices = inject(CameraDevices);
  private lastProbe = Number.NEGATIVE_INFINITY;
  private running: Promise<CameraReport> | null = null;
  private readonly stateSignal = signal<CameraState | null>(null);

  /** What the last probe found; `null` before the first one ends. */
  readonly state = this.stateSignal.asReadonly();

  /** Probes unless one ran in the last minute (or `force`); resolves to what was reported. */
  probe(cameraId: string | null, force = false): Promise<CameraReport | null> {
    if (this.running) return this.running;
    if (!force && Date.now() - this.lastProbe < PROBE_INTERVAL_MS) return Promise.resolve(null);
    this.lastProbe = Date.now();
    this.running = this.open(cameraId).finally(() => (this.running = null));
    return this.running;
  }

  /**
   * Whether the camera works now, before a visit starts (a visit needs it for the face check): the
   * last probe found it, or a fresh one does within {@link START_PROBE_TIMEOUT_MS} (a probe that
   * hangs counts as a camera that does not work).
   */
  async works(cameraId: string | null): Promise<boolean> {
    if (this.stateSignal() === 'live') return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), START_PROBE_TIMEOUT_MS);
    });
    const report = await Promise.race([this.probe(cameraId, true), timeout]);
    clearTimeout(timer);
    if (report === null && this.stateSignal() === null) this.stateSignal.set('notReadable');
    return this.stateSignal() === 'live';
  }

  /** The camera failed during a visit: the next start probes it again before anything else. */
  invalidate(): void {
    this.stateSignal.set(null);
    this.lastProbe = Number.NEGATIVE_INFINITY;
  }

  private async open(cameraId: string | null): Promise<CameraReport> {
    const media = globalThis.navigator?.mediaDevices;
    let report: CameraReport;
    if (!media?.getUserMedia) {
      report = { ...CAMERA_NOT_REPORTED, state: 'error' };
    } else {
      try {
        const stream = await media.getUserMedia({
          audio: false,
          video: cameraId ? { deviceId: { exact: cameraId } } : true,
        });
        const track = stream.getVideoTracks()[0];
        const settings = track?.getSettings() ?? {};
        stream.getTracks().forEach((t) => t.stop());
        report = {
          state: 'live',
          deviceCount: (await this.devices.list()).length,
          width: settings.width ?? null,
          height: settings.height ?? null,
          frameRate: settings.frameRate ?? null,
        };
      } catch (error) {
        report = {
          ...CAMERA_NOT_REPORTED,
          state: stateOfError(error),
          deviceCount: (await this.devices.list().catch(() => [])).length,
        };
      }
    }
    this.stateSignal.set(report.state);
    try {
      await this.api.reportCameraState(report);
    } catch {
      // Health shows the camera as not reported; the next probe tries again.
    }
    return report;
  }
}
