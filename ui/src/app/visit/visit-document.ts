import {
  Component,
  DestroyRef,
  type ElementRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import type { DocumentHint } from '../ipc/bindings/DocumentHint';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { DocumentCamera } from './document-camera';
import { VisitPicker } from './visit-picker';
import { type DocumentSource, VisitService } from './visit-service';

/** How often a framing frame is sent for feedback (never two at once). */
export const FRAME_CHECK_MS = 500;
/** "Take photo" is allowed after this long whatever the feedback says. */
export const CAPTURE_ANYWAY_MS = 10_000;
/** Width of the frames sent for framing feedback. */
const CHECK_WIDTH = 640;
/** Width and quality of the photo taken. */
const CAPTURE_WIDTH = 1920;
const CAPTURE_QUALITY = 0.92;

/** The order the sources are offered in. */
const SOURCES: readonly DocumentSource[] = ['camera', 'scanner', 'inbox', 'removableMedia'];

/** Translation key of a source's button ("Pendrive / cartão de memória" for removable media). */
export function documentSourceKey(source: DocumentSource): string {
  return source === 'removableMedia' ? 'visit.picker.source' : `visit.document.source.${source}`;
}

/**
 * The document photo: the customer picks one of the kiosk's sources. With the camera, a live
 * picture with a framing rectangle and the backend's feedback (blur, glare, no portrait); the
 * photo can be taken once the feedback says ready, or after 10 s anyway.
 */
@Component({
  selector: 'app-visit-document',
  imports: [TranslatePipe, VisitPicker],
  templateUrl: './visit-document.html',
  styleUrl: './visit-document.css',
})
export class VisitDocument {
  protected readonly visit = inject(VisitService);
  private readonly api = inject(KioskApi);
  private readonly camera = inject(DocumentCamera);
  private readonly settings = inject(KioskSettingsStore).settings;
  private readonly video = viewChild<ElementRef<HTMLVideoElement>>('video');

  /** The sources this kiosk has. */
  protected readonly sources = computed(() => {
    const available = this.visit.info()?.documentSources;
    return available ? SOURCES.filter((source) => available[source]) : [];
  });
  protected readonly mode = signal<'choose' | 'camera'>('choose');
  protected readonly sourceKey = documentSourceKey;
  protected readonly cameraFailed = signal(false);
  /** The last framing feedback; `null` until the first answer. */
  protected readonly hint = signal<DocumentHint | null>(null);
  protected readonly waitedLongEnough = signal(false);
  protected readonly canCapture = computed(
    () => !this.visit.busy() && (this.hint() === 'ready' || this.waitedLongEnough()),
  );
  /** The source tried last, for "try again". */
  protected readonly lastSource = signal<DocumentSource | null>(null);

  /** The open camera; shown in the video once both exist. */
  private readonly stream = signal<MediaStream | null>(null);
  private checkTimer: ReturnType<typeof setInterval> | null = null;
  private anywayTimer: ReturnType<typeof setTimeout> | null = null;
  private checking = false;
  private destroyed = false;

  constructor() {
    effect(() => {
      const video = this.video()?.nativeElement;
      const stream = this.stream();
      if (video && stream) untracked(() => void this.show(video, stream));
    });
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      this.stopCamera();
    });
  }

  protected async choose(source: DocumentSource): Promise<void> {
    this.lastSource.set(source);
    if (source === 'camera') {
      await this.openCamera();
    } else if (source === 'removableMedia') {
      await this.visit.openPicker();
    } else {
      await this.visit.takeDocument(source);
    }
  }

  protected async capture(): Promise<void> {
    const video = this.video()?.nativeElement;
    if (!video || !this.canCapture()) return;
    let jpeg: Uint8Array;
    try {
      jpeg = await this.camera.grab(video, CAPTURE_WIDTH, CAPTURE_QUALITY);
    } catch {
      return;
    }
    await this.visit.captureDocument(jpeg);
  }

  protected backToSources(): void {
    this.stopCamera();
    this.mode.set('choose');
  }

  private async openCamera(): Promise<void> {
    this.cameraFailed.set(false);
    this.hint.set(null);
    this.waitedLongEnough.set(false);
    this.mode.set('camera');
    let stream: MediaStream;
    try {
      stream = await this.camera.open(this.settings()?.cameraId ?? null);
    } catch {
      this.cameraUnavailable();
      return;
    }
    if (this.destroyed || this.mode() !== 'camera') {
      this.camera.stop(stream);
      return;
    }
    this.stream.set(stream);
  }

  /** Plays the camera in the viewfinder, then starts the framing feedback. */
  private async show(video: HTMLVideoElement, stream: MediaStream): Promise<void> {
    try {
      await this.camera.attach(video, stream);
    } catch {
      this.cameraUnavailable();
      return;
    }
    if (this.stream() !== stream) return;
    this.checkTimer = setInterval(() => void this.checkFrame(), FRAME_CHECK_MS);
    this.anywayTimer = setTimeout(() => this.waitedLongEnough.set(true), CAPTURE_ANYWAY_MS);
  }

  private cameraUnavailable(): void {
    this.stopCamera();
    this.mode.set('choose');
    this.cameraFailed.set(true);
  }

  /** Sends a small frame for feedback, unless the previous one is still being checked. */
  private async checkFrame(): Promise<void> {
    const video = this.video()?.nativeElement;
    if (this.checking || !video || this.visit.busy()) return;
    this.checking = true;
    try {
      const jpeg = await this.camera.grab(video, CHECK_WIDTH, 0.8);
      const quality = await this.api.documentFrameQuality(jpeg);
      if (!this.destroyed) this.hint.set(quality.hint);
    } catch {
      // No frame yet or a refused frame: keep the last hint.
    } finally {
      this.checking = false;
    }
  }

  private stopCamera(): void {
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.anywayTimer) clearTimeout(this.anywayTimer);
    this.checkTimer = null;
    this.anywayTimer = null;
    this.camera.stop(this.stream());
    this.stream.set(null);
  }
}
