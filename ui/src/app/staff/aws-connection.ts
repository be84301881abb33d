import { Component, inject, signal } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import type { AwsConnection as Connection } from '../ipc/bindings/AwsConnection';
import { KioskApi } from '../ipc/kiosk-api';
import { toKioskError } from '../ipc/kiosk-error';
import { staffRefusal } from '../visit/refusal-messages';
import { StaffSession } from './staff-session';

/**
 * Staff settings of the AWS connection: region, bucket, table and the webview's liveness role.
 * Everyone with the staff screens sees them; only admins may change them.
 */
@Component({
  selector: 'app-aws-connection',
  imports: [TranslatePipe],
  template: `
    <form class="aws-connection" data-testid="aws-connection" (submit)="save($event)">
      <p class="hint">{{ 'aws.hint' | translate }}</p>
      @for (field of fields; track field.key) {
        <label>
          <span>{{ field.label | translate }}</span>
          <input
            type="text"
            autocomplete="off"
            spellcheck="false"
            [attr.data-testid]="'aws-' + field.key"
            [value]="value(field.key)"
            [readOnly]="!canEdit()"
            (input)="edit(field.key, $event)"
          />
        </label>
      }
      @if (canEdit()) {
        <button type="submit" data-testid="aws-save" [disabled]="busy()">
          {{ 'aws.save' | translate }}
        </button>
      } @else {
        <p class="hint" data-testid="aws-readonly">{{ 'aws.adminOnly' | translate }}</p>
      }
      @if (saved()) {
        <p role="status" data-testid="aws-saved">{{ 'aws.saved' | translate }}</p>
      }
      @if (forbidden()) {
        <p role="alert" data-testid="aws-forbidden">{{ 'staff.refusal.forbidden' | translate }}</p>
      }
      @if (error(); as detail) {
        <p role="alert" data-testid="aws-error">{{ 'aws.invalid' | translate: { detail } }}</p>
      }
    </form>
  `,
})
export class AwsConnection {
  private readonly api = inject(KioskApi);
  private readonly staff = inject(StaffSession);
  /** Only admins may save the connection (the backend refuses others with `[forbidden]`). */
  protected readonly canEdit = this.staff.isAdmin;
  protected readonly fields = [
    { key: 'region', label: 'aws.region' },
    { key: 'bucket', label: 'aws.bucket' },
    { key: 'table', label: 'aws.table' },
    { key: 'webviewRoleArn', label: 'aws.role' },
  ] as const;
  protected readonly connection = signal<Connection>({
    region: null,
    bucket: null,
    table: '',
    webviewRoleArn: null,
  });
  protected readonly busy = signal(false);
  protected readonly saved = signal(false);
  protected readonly error = signal<string | null>(null);
  /** The backend refused the change for the signed-in role. */
  protected readonly forbidden = signal(false);

  constructor() {
    void this.load();
  }

  private async load(): Promise<void> {
    const token = this.staff.token();
    if (!token) return;
    try {
      this.connection.set(await this.api.awsConnection(token));
    } catch (reason) {
      this.error.set(toKioskError(reason).detail);
    }
  }

  protected value(key: keyof Connection): string {
    return this.connection()[key] ?? '';
  }

  protected edit(key: keyof Connection, event: Event): void {
    const text = (event.target as HTMLInputElement).value;
    this.connection.update((c) => ({
      ...c,
      [key]: key === 'table' ? text : text.trim() === '' ? null : text,
    }));
    this.saved.set(false);
  }

  protected async save(event: Event): Promise<void> {
    event.preventDefault();
    const token = this.staff.token();
    if (!token || !this.canEdit()) return;
    this.busy.set(true);
    this.error.set(null);
    this.forbidden.set(false);
    try {
      this.connection.set(await this.api.saveAwsConnection(token, this.connection()));
      this.saved.set(true);
    } catch (reason) {
      if (staffRefusal(reason) === 'forbidden') {
        this.forbidden.set(true);
      } else {
        this.error.set(toKioskError(reason).detail);
      }
    } finally {
      this.busy.set(false);
    }
  }
}
