import { Component, computed, inject, signal } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { AwsDoctorReport } from '../ipc/bindings/AwsDoctorReport';
import type { HealthReport } from '../ipc/bindings/HealthReport';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';
import { KioskApi } from '../ipc/kiosk-api';
import { toKioskError } from '../ipc/kiosk-error';
import { StaffSession } from './staff-session';

/** Staff diagnostics: every health check with its technical detail, and the AWS sync queue. */
@Component({
  selector: 'app-diagnostics',
  imports: [TranslatePipe],
  templateUrl: './diagnostics.html',
})
export class Diagnostics {
  private readonly api = inject(KioskApi);
  private readonly language = inject(LanguageService);
  protected readonly health = signal<HealthReport | null>(null);
  protected readonly sync = signal<SyncStatus | null>(null);
  protected readonly healthError = signal<string | null>(null);
  protected readonly syncError = signal<string | null>(null);
  protected readonly loading = signal(false);
  private readonly staff = inject(StaffSession);
  protected readonly doctor = signal<AwsDoctorReport | null>(null);
  protected readonly doctorError = signal<string | null>(null);
  protected readonly doctorRunning = signal(false);
  private readonly dateFormat = computed(
    () =>
      new Intl.DateTimeFormat(this.language.current(), { dateStyle: 'short', timeStyle: 'medium' }),
  );

  constructor() {
    void this.refresh();
  }

  protected date(iso: string | null): string {
    if (!iso) return '—';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : this.dateFormat().format(date);
  }

  protected async refresh(): Promise<void> {
    this.loading.set(true);
    await Promise.all([
      this.api.healthReport().then(
        (report) => {
          this.health.set(report);
          this.healthError.set(null);
        },
        (reason: unknown) => this.healthError.set(toKioskError(reason).messageKey),
      ),
      this.api.syncStatus().then(
        (status) => {
          this.sync.set(status);
          this.syncError.set(null);
        },
        (reason: unknown) => this.syncError.set(toKioskError(reason).messageKey),
      ),
    ]);
    this.loading.set(false);
  }

  /** Runs the AWS checks (`dayfusion doctor`) in the screen's language. */
  protected async runDoctor(): Promise<void> {
    const token = this.staff.token();
    if (!token) return;
    this.doctorRunning.set(true);
    this.doctorError.set(null);
    try {
      this.doctor.set(await this.api.awsDoctor(token, this.language.current()));
    } catch (reason) {
      this.doctor.set(null);
      this.doctorError.set(toKioskError(reason).detail);
    } finally {
      this.doctorRunning.set(false);
    }
  }
}
