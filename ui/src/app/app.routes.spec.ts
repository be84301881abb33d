import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { CameraDevices } from './camera/camera-devices';
import { provideI18n } from './i18n/translations';
import { KioskApi } from './ipc/kiosk-api';
import { routes } from './app.routes';
import { KioskStatus } from './status/kiosk-status';

describe('routes', () => {
  beforeEach(() => {
    const failing = () => Promise.reject(new Error('no backend in this test'));
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes),
        provideI18n(),
        {
          provide: KioskApi,
          useValue: { appInfo: failing, healthReport: failing, getSettings: failing },
        },
        {
          provide: CameraDevices,
          useValue: { list: async () => [], watch: () => () => undefined },
        },
      ],
    });
  });

  it.each(['', '/status', '/no/such/screen'])('%s shows the kiosk status', async (url) => {
    const harness = await RouterTestingHarness.create();
    const screen = await harness.navigateByUrl(url, KioskStatus);
    expect(screen).toBeInstanceOf(KioskStatus);
    expect(TestBed.inject(Router).url).toBe('/status');
  });
});
