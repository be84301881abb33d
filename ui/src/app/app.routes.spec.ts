import { TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { Attract } from './attract/attract';
import { CameraDevices } from './camera/camera-devices';
import { provideI18n } from './i18n/translations';
import { KioskApi } from './ipc/kiosk-api';
import { LivenessCheck } from './liveness-check/liveness-check';
import { routes } from './app.routes';
import { Diagnostics } from './staff/diagnostics';
import { StaffHome } from './staff/staff-home';
import { StaffLayout } from './staff/staff-layout';
import { StaffPin } from './staff/staff-pin';
import { StaffSession } from './staff/staff-session';
import { KioskStatus } from './status/kiosk-status';
import { staffSession } from './testing/fixtures';

describe('routes', () => {
  beforeEach(() => {
    const failing = () => Promise.reject(new Error('no backend in this test'));
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes),
        provideI18n(),
        {
          provide: KioskApi,
          useValue: {
            appInfo: failing,
            healthReport: failing,
            getSettings: failing,
            syncStatus: failing,
            staffStatus: failing,
          },
        },
        {
          provide: CameraDevices,
          useValue: { list: async () => [], watch: () => () => undefined },
        },
      ],
    });
  });

  it.each(['', '/no/such/screen', '/visit'])('%s shows the attract screen', async (url) => {
    const harness = await RouterTestingHarness.create();
    const screen = await harness.navigateByUrl(url, Attract);
    expect(screen).toBeInstanceOf(Attract);
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('/staff shows the PIN screen', async () => {
    const harness = await RouterTestingHarness.create();
    expect(await harness.navigateByUrl('/staff', StaffPin)).toBeInstanceOf(StaffPin);
  });

  describe('signed in', () => {
    beforeEach(() => TestBed.inject(StaffSession).begin(staffSession('reviewer', 't')));

    it.each([
      ['/status', '/staff/status', KioskStatus],
      ['/staff/status', '/staff/status', KioskStatus],
      ['/liveness-check', '/staff/liveness-check', LivenessCheck],
      ['/staff/home', '/staff/home', StaffHome],
      ['/staff/diagnostics', '/staff/diagnostics', Diagnostics],
    ] as const)('%s shows %s', async (url, final, component) => {
      const harness = await RouterTestingHarness.create();
      await harness.navigateByUrl(url, StaffLayout);
      expect(harness.fixture.debugElement.query(By.directive(component))).not.toBeNull();
      expect(TestBed.inject(Router).url).toBe(final);
    });
  });
});
