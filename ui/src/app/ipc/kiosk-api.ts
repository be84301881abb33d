import { Injectable } from '@angular/core';
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import type { AppInfo } from './bindings/AppInfo';
import type { AwsLivenessSession } from './bindings/AwsLivenessSession';
import type { CameraReport } from './bindings/CameraReport';
import type { HealthReport } from './bindings/HealthReport';
import type { KioskSettings } from './bindings/KioskSettings';
import { toKioskError } from './kiosk-error';

/**
 * Typed access to the Rust commands of the kiosk, one method per command.
 * Every method rejects with a `KioskError`.
 */
@Injectable({ providedIn: 'root' })
export class KioskApi {
  /** Product name, version and build facts. */
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  }

  /** Runs every health check and returns the summary. */
  healthReport(): Promise<HealthReport> {
    return call('health_report');
  }

  /** Reads the persisted kiosk settings. */
  getSettings(): Promise<KioskSettings> {
    return call('get_settings');
  }

  /** Validates and persists `settings`; resolves to what was stored. */
  saveSettings(settings: KioskSettings): Promise<KioskSettings> {
    return call('save_settings', { settings });
  }

  /** Creates a Rekognition liveness session for the widget's AWS mode (AWS backend only). */
  awsLivenessSession(): Promise<AwsLivenessSession> {
    return call('aws_liveness_session');
  }

  /** Tells the backend what the webview observed when opening the camera. */
  reportCameraState(report: CameraReport): Promise<void> {
    return call('report_camera_state', { report });
  }
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toKioskError(reason);
  }
}
