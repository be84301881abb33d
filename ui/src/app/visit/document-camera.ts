import { Injectable } from '@angular/core';

/**
 * The kiosk camera as the document screen uses it: open, show in a `<video>`, grab JPEG frames,
 * stop. Kept apart so that tests replace it (jsdom has no camera, canvas or media playback).
 */
@Injectable({ providedIn: 'root' })
export class DocumentCamera {
  /** Opens `deviceId` (or the default camera) at a resolution that keeps a document's text sharp. */
  open(deviceId: string | null): Promise<MediaStream> {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.getUserMedia) {
      return Promise.reject(new Error('no camera API'));
    }
    return media.getUserMedia({
      audio: false,
      video: {
        ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        width: { ideal: 1920 },
        height: { ideal: 1080 },
      },
    });
  }

  /** Shows `stream` in `video`. */
  async attach(video: HTMLVideoElement, stream: MediaStream): Promise<void> {
    video.srcObject = stream;
    video.muted = true;
    await video.play();
  }

  /** Stops every track of `stream`. */
  stop(stream: MediaStream | null): void {
    stream?.getTracks().forEach((track) => track.stop());
  }

  /** The current frame of `video` as JPEG bytes, at most `maxWidth` pixels wide. */
  async grab(video: HTMLVideoElement, maxWidth: number, quality: number): Promise<Uint8Array> {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) {
      throw new Error('no frame yet');
    }
    const scale = Math.min(1, maxWidth / width);
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext('2d');
    if (!context) {
      throw new Error('no 2D canvas');
    }
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) =>
      canvas.toBlob(resolve, 'image/jpeg', quality),
    );
    if (!blob) {
      throw new Error('JPEG encoding failed');
    }
    return new Uint8Array(await blob.arrayBuffer());
  }
}
