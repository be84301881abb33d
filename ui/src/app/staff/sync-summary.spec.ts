import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { provideI18n } from '../i18n/translations';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { SETTINGS, SYNC_IDLE } from '../testing/fixtures';
import { SYNC_SUMMARY_REFRESH_SECONDS, SyncSummary } from './sync-summary';

describe('staff home sync card', () => {
  let api: { syncStatus: ReturnType<typeof vi.fn>; getSettings: ReturnType<typeof vi.fn> };

  async function open(status: SyncStatus | Error) {
    api = {
      syncStatus: vi.fn(async () => {
        if (status instanceof Error) throw status;
        return status;
      }),
      getSettings: vi.fn(async () => ({ ...SETTINGS, syncAlertHours: 12 })),
    };
    TestBed.configureTestingModule({
      providers: [provideI18n(), { provide: KioskApi, useValue: api }],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    await TestBed.inject(KioskSettingsStore).load();
    const fixture = TestBed.createComponent(SyncSummary);
    await vi.advanceTimersByTimeAsync(0);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    const text = (id: string) => el.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
    return { fixture, el, text };
  }

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows queued, failing and the last success', async () => {
    const { text } = await open({
      ...SYNC_IDLE,
      pending: 4,
      failing: 1,
      lastSuccessAt: '2026-12-05T10:30:00Z',
    });
    expect(text('staff-sync-queued')).toBe('4');
    expect(text('staff-sync-failing')).toBe('1');
    expect(text('staff-sync-last-success')).toMatch(/05\/12\/2026/);
    expect(text('staff-sync-overdue')).toBeUndefined();
    expect(text('staff-sync-offline')).toBeUndefined();
  });

  it('warns when the oldest queued transaction is overdue, with the kiosk setting', async () => {
    const { text } = await open({ ...SYNC_IDLE, pending: 2, overdue: true, offline: true });
    expect(text('staff-sync-overdue')).toBe(
      'Há transações esperando há mais de 12 h. Verifique a rede e o diagnóstico.',
    );
    expect(text('staff-sync-offline')).toContain('Sem conexão com a AWS');
    expect(text('staff-sync-last-success')).toBe('Nenhum ainda');
  });

  it('says when the sync service stopped and how many a legal hold keeps', async () => {
    const { text } = await open({
      ...SYNC_IDLE,
      pending: 1,
      held: 2,
      serviceError: 'aws-region-missing',
    });
    expect(text('staff-sync-held')).toBe('2');
    expect(text('staff-sync-service-error')).toBe(
      'O envio automático para a AWS está parado (aws-region-missing). Veja o diagnóstico.',
    );
  });

  it('says when the kiosk has no AWS settings', async () => {
    const { text } = await open({ ...SYNC_IDLE, awsConfigured: false });
    expect(text('staff-sync-not-configured')).toContain('não tem configuração da AWS');
    expect(text('staff-sync-queued')).toBeUndefined();
  });

  it('reads the queue again on a timer and says when it cannot', async () => {
    const { fixture, text } = await open({ ...SYNC_IDLE, pending: 1 });
    expect(text('staff-sync-queued')).toBe('1');
    api.syncStatus.mockRejectedValue({ code: 'storage', detail: '[storage-failed] locked' });
    await vi.advanceTimersByTimeAsync(SYNC_SUMMARY_REFRESH_SECONDS * 1000);
    fixture.detectChanges();
    expect(text('staff-sync-unavailable')).toBe('Não foi possível ler a fila de sincronização.');
    api.syncStatus.mockResolvedValue({ ...SYNC_IDLE, pending: 0 });
    await vi.advanceTimersByTimeAsync(SYNC_SUMMARY_REFRESH_SECONDS * 1000);
    fixture.detectChanges();
    expect(text('staff-sync-queued')).toBe('0');
  });
});
