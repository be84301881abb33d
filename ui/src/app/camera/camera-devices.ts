import { Injectable } from '@angular/core';

/** A video input the webview can open. */
export interface CameraDevice {
  deviceId: string;
  label: string;
}

/** Lists the cameras of the machine through `navigator.mediaDevices`. */
@Injectable({ providedIn: 'root' })
export class CameraDevices {
  /**
   * Video inputs with a usable id. Before camera permission is granted browsers hide ids and
   * labels, so the list may be empty until a preview has opened.
   */
  async list(): Promise<CameraDevice[]> {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.enumerateDevices) {
      return [];
    }
    const devices = await media.enumerateDevices();
    return devices
      .filter((device) => device.kind === 'videoinput' && device.deviceId !== '')
      .map(({ deviceId, label }) => ({ deviceId, label }));
  }

  /** Calls `listener` whenever a device is plugged or unplugged; returns the unsubscribe function. */
  watch(listener: () => void): () => void {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.addEventListener) {
      return () => undefined;
    }
    media.addEventListener('devicechange', listener);
    return () => media.removeEventListener('devicechange', listener);
  }
}
