import { Component, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import type { HealthCheck } from '../ipc/bindings/HealthCheck';
import { KioskApi } from '../ipc/kiosk-api';

/**
 * The staff home's alert when the kiosk refused liveness sessions after repeated failed attempts
 * (the `livenessAttempts` health check warns for an hour): an attack being tried, or the camera or the
 * light. Nothing is shown while that check is normal or the health report cannot be read (the
 * diagnostics screen says why).
 */
@Component({
  selector: 'app-liveness-alert',
  imports: [TranslatePipe, RouterLink],
  template: `
    @if (check(); as c) {
      <section class="card alert" role="alert" data-testid="staff-liveness-alert">
        <h2>{{ 'staff.home.livenessAlert.title' | translate }}</h2>
        <p>{{ 'staff.home.livenessAlert.text' | translate }}</p>
        <p class="detail" data-testid="staff-liveness-alert-detail">{{ c.detail }}</p>
        <a routerLink="/staff/diagnostics">{{ 'staff.nav.diagnostics' | translate }}</a>
      </section>
    }
  `,
  styles: `
    .alert {
      border-color: var(--warning, #8a5a00);
    }
    .detail {
      font-family: monospace;
    }
  `,
})
export class LivenessAlert {
  private readonly api = inject(KioskApi);
  /** The warning `livenessAttempts` check, or null. */
  protected readonly check = signal<HealthCheck | null>(null);

  constructor() {
    this.api.healthReport().then(
      (report) =>
        this.check.set(
          report.checks.find((c) => c.id === 'livenessAttempts' && c.status !== 'ok') ?? null,
        ),
      () => this.check.set(null),
    );
  }
}
