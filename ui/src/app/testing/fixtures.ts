// Shared test data and DOM helpers of the unit tests (imported by specs only).
import { signal } from '@angular/core';
import type { RouterTestingHarness } from '@angular/router/testing';
import { vi } from 'vitest';
import { CameraProbe } from '../camera/camera-probe';
import type { CameraState } from '../ipc/bindings/CameraState';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import type { StaffRole } from '../ipc/bindings/StaffRole';
import type { HealthReport } from '../ipc/bindings/HealthReport';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import type { StaffSession } from '../ipc/bindings/StaffSession';

/** Settings of a branch kiosk; spread and override what a test needs. */
export const SETTINGS: KioskSettings = {
  backend: 'embedded',
  language: 'pt-BR',
  cameraId: null,
  kioskId: 'kiosk-7',
  policyId: 'default',
  retentionDays: 180,
  idleTimeoutSeconds: 90,
  syncAlertHours: 24,
  documentInbox: null,
  mode: 'kiosk',
  cameraPin: null,
  spokenGuidance: false,
};

/** The sync queue of a kiosk with AWS settings and nothing waiting. */
export const SYNC_IDLE: SyncStatus = {
  pending: 0,
  failing: 0,
  held: 0,
  oldestQueuedAt: null,
  lastError: null,
  awsConfigured: true,
  lastSuccessAt: null,
  offline: false,
  overdue: false,
  serviceError: null,
};

/** A health report with every check normal (the staff home reads it for its alerts). */
export const HEALTHY: HealthReport = {
  status: 'ok',
  checkedAt: '2026-12-07T10:00:00Z',
  checks: [
    {
      id: 'livenessAttempts',
      status: 'ok',
      detail: '0 of 5 failed liveness attempts in the last 3 min',
    },
  ],
};

/** A field agent's laptop. */
export const FIELD_SETTINGS: KioskSettings = { ...SETTINGS, mode: 'field' };

/** Accounts of the tests, one per role. */
const ACCOUNTS: Record<StaffRole, { account: string; name: string }> = {
  admin: { account: 'ana.admin', name: 'Ana Souza' },
  reviewer: { account: 'rui.revisor', name: 'Rui Lima' },
  'field-agent': { account: 'fabi.campo', name: 'Fabi Rocha' },
};

/** A signed-in session of `role` with token `staff-token-1` (or `token`). */
export function staffSession(role: StaffRole = 'admin', token = 'staff-token-1'): StaffSession {
  return { token, idleSeconds: 300, ...ACCOUNTS[role], role };
}

/**
 * The camera probe as a provider, its last state `initial` (jsdom has no camera). `probe` and
 * `works` find the camera in the state `next` gives (the same state by default).
 */
export function fakeCameraProbe(initial: CameraState | null = 'live') {
  const state = signal<CameraState | null>(initial);
  const fake = {
    state: state.asReadonly(),
    next: initial,
    probe: vi.fn(async () => {
      state.set(fake.next);
      return null;
    }),
    works: vi.fn(async () => {
      if (state() !== 'live') state.set(fake.next);
      return state() === 'live';
    }),
    invalidate: vi.fn(() => state.set(null)),
  };
  return { fake, provider: { provide: CameraProbe, useValue: fake } };
}

/** Finds, reads and drives elements by `data-testid` under `root()`. */
export class TestIds {
  constructor(
    private readonly root: () => HTMLElement,
    private readonly settle: () => Promise<void>,
  ) {}

  /** The test ids of a router harness's fixture, settled with `settle`. */
  static of(harness: () => RouterTestingHarness, settle: () => Promise<void>): TestIds {
    return new TestIds(() => harness().fixture.nativeElement as HTMLElement, settle);
  }

  find<T extends HTMLElement = HTMLElement>(testId: string): T | null {
    return this.root().querySelector<T>(`[data-testid="${testId}"]`);
  }

  get<T extends HTMLElement = HTMLElement>(testId: string): T {
    const element = this.find<T>(testId);
    if (!element) throw new Error(`no [data-testid="${testId}"] in: ${this.root().textContent}`);
    return element;
  }

  text(testId: string): string {
    return this.get(testId).textContent?.replace(/\s+/g, ' ').trim() ?? '';
  }

  async tap(testId: string): Promise<void> {
    this.get(testId).click();
    await this.settle();
  }

  /** Types `value` into an input as a person would (one `input` event). */
  async type(testId: string, value: string): Promise<void> {
    const input = this.get<HTMLInputElement>(testId);
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await this.settle();
  }
}

/**
 * Under fake timers: advances `ms`, lets promise chains and due timers run (ten rounds), then
 * renders the routed harness.
 */
export async function settleFakeTimers(harness: RouterTestingHarness, ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 10; i += 1) {
    await vi.advanceTimersByTimeAsync(0);
  }
  harness.detectChanges();
}
