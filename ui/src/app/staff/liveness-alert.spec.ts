import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { describe, expect, it, vi } from 'vitest';
import { provideI18n } from '../i18n/translations';
import type { HealthReport } from '../ipc/bindings/HealthReport';
import { KioskApi } from '../ipc/kiosk-api';
import { LivenessAlert } from './liveness-alert';

const detail =
  '0 of 5 failed liveness attempts in the last 3 min; sessions refused 12 min ago after 5 failures (an attack being tried, or the camera or light)';

function report(status: 'ok' | 'warning'): HealthReport {
  return {
    status,
    checkedAt: '2026-12-07T10:00:00Z',
    checks: [
      { id: 'camera', status: 'ok', detail: 'Live; 1 device(s)' },
      { id: 'livenessAttempts', status, detail },
    ],
  };
}

describe('staff home liveness alert', () => {
  async function open(health: HealthReport | Error) {
    const api = {
      healthReport: vi.fn(async () => {
        if (health instanceof Error) throw health;
        return health;
      }),
    };
    TestBed.configureTestingModule({
      providers: [provideI18n(), provideRouter([]), { provide: KioskApi, useValue: api }],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    const fixture = TestBed.createComponent(LivenessAlert);
    await fixture.whenStable();
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  it('alerts staff when the kiosk refused sessions after repeated failures', async () => {
    const el = await open(report('warning'));
    const alert = el.querySelector('[data-testid="staff-liveness-alert"]');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(alert?.textContent).toContain('tentativas sem sucesso');
    expect(el.querySelector('[data-testid="staff-liveness-alert-detail"]')?.textContent).toBe(
      detail,
    );
  });

  it('says nothing while the check is normal or the report cannot be read', async () => {
    expect(
      (await open(report('ok'))).querySelector('[data-testid="staff-liveness-alert"]'),
    ).toBeNull();
    TestBed.resetTestingModule();
    expect(
      (await open(new Error('offline'))).querySelector('[data-testid="staff-liveness-alert"]'),
    ).toBeNull();
  });
});
