import { Component, DestroyRef, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { CameraDevices } from '../camera/camera-devices';
import { CameraProbe } from '../camera/camera-probe';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { VisitService } from '../visit/visit-service';

/**
 * The kiosk at rest: the product, one large "touch to start" and a discreet staff entry. Nothing
 * of a previous customer survives here: a visit left behind is ended and wiped. While it waits it
 * checks the camera (at start, and when a device is plugged or unplugged).
 */
@Component({
  selector: 'app-attract',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './attract.html',
  styleUrl: './attract.css',
})
export class Attract {
  protected readonly visit = inject(VisitService);
  private readonly probe = inject(CameraProbe);
  private readonly settings = inject(KioskSettingsStore);

  constructor() {
    this.visit.abandon();
    const check = (force: boolean) => void this.probe.probe(this.settings.settings()?.cameraId ?? null, force);
    check(false);
    const stop = inject(CameraDevices).watch(() => check(true));
    inject(DestroyRef).onDestroy(stop);
  }
}
