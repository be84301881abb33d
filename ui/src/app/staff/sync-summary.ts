import { Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';

/** How often the staff home reads the sync queue again. */
export const SYNC_SUMMARY_REFRESH_SECONDS = 15;

/**
 * The staff home's AWS sync card: transactions queued, failing and kept by a legal hold, the last
 * success, and a warning when the app's sync service fails, is offline or the oldest queued one is
 * overdue (the kiosk's
 * `syncAlertHours`). Read now and every {@link SYNC_SUMMARY_REFRESH_SECONDS} seconds.
 */
@Component({
  selector: 'app-sync-summary',
  imports: [TranslatePipe],
  template: `
    <section class="card" aria-labelledby="sync-heading" data-testid="staff-sync">
      <h2 id="sync-heading">{{ 'staff.home.sync.title' | translate }}</h2>
      @if (unavailable()) {
        <p class="staff-message" role="alert" data-testid="staff-sync-unavailable">
          {{ 'staff.home.sync.unavailable' | translate }}
        </p>
      } @else if (status(); as s) {
        @if (!s.awsConfigured && s.pending === 0) {
          <p data-testid="staff-sync-not-configured">
            {{ 'staff.home.sync.notConfigured' | translate }}
          </p>
        } @else {
          <dl class="sync-facts">
            <dt>{{ 'staff.home.sync.queued' | translate }}</dt>
            <dd data-testid="staff-sync-queued">{{ s.pending }}</dd>
            <dt>{{ 'staff.home.sync.failing' | translate }}</dt>
            <dd data-testid="staff-sync-failing">{{ s.failing }}</dd>
            @if (s.held > 0) {
              <dt>{{ 'staff.home.sync.held' | translate }}</dt>
              <dd data-testid="staff-sync-held">{{ s.held }}</dd>
            }
            <dt>{{ 'staff.home.sync.lastSuccess' | translate }}</dt>
            <dd data-testid="staff-sync-last-success">
              {{ s.lastSuccessAt ? date(s.lastSuccessAt) : ('staff.home.sync.never' | translate) }}
            </dd>
          </dl>
          @if (s.serviceError; as code) {
            <p class="staff-message" role="alert" data-testid="staff-sync-service-error">
              {{ 'staff.home.sync.serviceError' | translate: { code } }}
            </p>
          }
          @if (s.overdue) {
            <p class="staff-message" role="alert" data-testid="staff-sync-overdue">
              {{ 'staff.home.sync.overdue' | translate: { hours: alertHours() } }}
            </p>
          }
          @if (s.offline) {
            <p class="hint" role="status" data-testid="staff-sync-offline">
              {{ 'staff.home.sync.offline' | translate }}
            </p>
          }
        }
      }
    </section>
  `,
  styles: `
    .sync-facts {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: var(--space-1) var(--space-2);
      margin: 0;
    }
    .sync-facts dd {
      margin: 0;
      font-weight: 600;
    }
  `,
})
export class SyncSummary {
  private readonly api = inject(KioskApi);
  private readonly language = inject(LanguageService);
  private readonly settings = inject(KioskSettingsStore);
  protected readonly status = signal<SyncStatus | null>(null);
  protected readonly unavailable = signal(false);
  protected readonly alertHours = computed(() => this.settings.settings()?.syncAlertHours ?? 24);
  private readonly dateFormat = computed(
    () =>
      new Intl.DateTimeFormat(this.language.current(), { dateStyle: 'short', timeStyle: 'short' }),
  );

  constructor() {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), SYNC_SUMMARY_REFRESH_SECONDS * 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected date(iso: string): string {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : this.dateFormat().format(date);
  }

  private async refresh(): Promise<void> {
    try {
      this.status.set(await this.api.syncStatus());
      this.unavailable.set(false);
    } catch {
      this.unavailable.set(true);
    }
  }
}
