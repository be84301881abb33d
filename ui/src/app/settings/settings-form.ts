import { Component, effect, inject, output, signal, untracked } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import type { BackendMode } from '../ipc/bindings/BackendMode';
import type { KioskMode } from '../ipc/bindings/KioskMode';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import { type KioskError, toKioskError } from '../ipc/kiosk-error';
import { StaffSession } from '../staff/staff-session';
import { KioskSettingsStore } from './kiosk-settings-store';

/** The fields this form edits (camera and language have their own controls on the status screen). */
type Draft = Pick<
  KioskSettings,
  | 'backend'
  | 'kioskId'
  | 'policyId'
  | 'retentionDays'
  | 'idleTimeoutSeconds'
  | 'syncAlertHours'
  | 'documentInbox'
  | 'mode'
  | 'spokenGuidance'
>;
type Field = keyof Draft;

/** The same rules as the backend's `settings::validate`, to say what is wrong before saving. */
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Translation keys of what is wrong with `draft`, by field. */
export function validateDraft(draft: Draft): Partial<Record<Field, string>> {
  const problems: Partial<Record<Field, string>> = {};
  if (!ID_PATTERN.test(draft.kioskId)) problems.kioskId = 'settings.invalid.id';
  if (!ID_PATTERN.test(draft.policyId)) problems.policyId = 'settings.invalid.id';
  if (
    !Number.isInteger(draft.retentionDays) ||
    draft.retentionDays < 1 ||
    draft.retentionDays > 3650
  ) {
    problems.retentionDays = 'settings.invalid.retentionDays';
  }
  if (
    !Number.isInteger(draft.idleTimeoutSeconds) ||
    draft.idleTimeoutSeconds < 30 ||
    draft.idleTimeoutSeconds > 600
  ) {
    problems.idleTimeoutSeconds = 'settings.invalid.idleTimeoutSeconds';
  }
  if (
    !Number.isInteger(draft.syncAlertHours) ||
    draft.syncAlertHours < 1 ||
    draft.syncAlertHours > 720
  ) {
    problems.syncAlertHours = 'settings.invalid.syncAlertHours';
  }
  if (draft.documentInbox !== null && !draft.documentInbox.startsWith('/')) {
    problems.documentInbox = 'settings.invalid.documentInbox';
  }
  return problems;
}

/** Every refusal of the inbox folder by the backend (`settings::InboxError` codes). */
export const INBOX_REFUSALS = [
  'inbox-not-absolute',
  'inbox-data-folder',
  'inbox-log-folder',
  'inbox-models-folder',
  'inbox-home-folder',
  'inbox-system-folder',
  'inbox-not-a-folder',
  'inbox-unreadable',
  'inbox-holds-other-files',
] as const;

/** Translation key of a save refused for the inbox folder (`[inbox-data-folder] …`), or `null`. */
export function inboxRefusalKey(error: KioskError): string | null {
  const code = error.refusal('invalidInput');
  return code !== null && (INBOX_REFUSALS as readonly string[]).includes(code)
    ? `settings.invalid.inbox.${code}`
    : null;
}

/**
 * Staff form for the kiosk settings: backend, kiosk id, decision policy, evidence retention,
 * customer idle timeout, how long a transaction may wait for AWS before staff are warned, the optional scan-to-folder inbox and the kiosk mode (branch or field,
 * from the next start). Only admins may change them: for other roles the form is read-only.
 */
@Component({
  selector: 'app-settings-form',
  imports: [TranslatePipe],
  templateUrl: './settings-form.html',
  styles: `
    form {
      display: grid;
      grid-template-columns: repeat(2, minmax(0, 1fr));
      gap: var(--space-2);
    }
    .field {
      display: grid;
      gap: 0.25rem;
    }
    label {
      font-weight: 600;
    }
    label.check {
      display: flex;
      align-items: center;
      gap: var(--space-1);
      min-height: 44px;
    }
    label.check input {
      width: 1.5rem;
      height: 1.5rem;
    }
    .wide {
      grid-column: 1 / -1;
    }
    .problem {
      color: var(--color-failing);
      font-weight: 600;
    }
    .hint {
      color: var(--color-muted);
      font-size: 0.9rem;
    }
    .actions {
      display: flex;
      align-items: center;
      gap: var(--space-2);
    }
  `,
})
export class SettingsForm {
  private readonly store = inject(KioskSettingsStore);
  /** Only admins may save the settings (the backend refuses others with `[forbidden]`). */
  protected readonly canEdit = inject(StaffSession).isAdmin;
  /** Emitted when saving failed. */
  readonly saveFailed = output<KioskError>();

  protected readonly draft = signal<Draft | null>(null);
  protected readonly problems = signal<Partial<Record<Field, string>>>({});
  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  private dirty = false;

  constructor() {
    // Show the stored settings until the staff member starts editing.
    effect(() => {
      const settings = this.store.settings();
      if (settings && !untracked(() => this.dirty)) {
        this.draft.set({
          backend: settings.backend,
          kioskId: settings.kioskId,
          policyId: settings.policyId,
          retentionDays: settings.retentionDays,
          idleTimeoutSeconds: settings.idleTimeoutSeconds,
          syncAlertHours: settings.syncAlertHours,
          documentInbox: settings.documentInbox,
          mode: settings.mode,
          spokenGuidance: settings.spokenGuidance,
        });
      }
    });
  }

  protected setText(field: 'kioskId' | 'policyId' | 'documentInbox', event: Event): void {
    const value = (event.target as HTMLInputElement).value.trim();
    this.update({ [field]: field === 'documentInbox' ? value || null : value });
  }

  protected setNumber(
    field: 'retentionDays' | 'idleTimeoutSeconds' | 'syncAlertHours',
    event: Event,
  ): void {
    const value = (event.target as HTMLInputElement).value;
    this.update({ [field]: value === '' ? Number.NaN : Number(value) });
  }

  protected setBackend(event: Event): void {
    this.update({ backend: (event.target as HTMLSelectElement).value as BackendMode });
  }

  protected setSpokenGuidance(event: Event): void {
    this.update({ spokenGuidance: (event.target as HTMLInputElement).checked });
  }

  protected setMode(event: Event): void {
    this.update({ mode: (event.target as HTMLSelectElement).value as KioskMode });
  }

  protected async save(): Promise<void> {
    const draft = this.draft();
    if (!draft || this.saving() || !this.canEdit()) return;
    const problems = validateDraft(draft);
    this.problems.set(problems);
    if (Object.keys(problems).length > 0) return;
    this.saving.set(true);
    try {
      await this.store.save(draft);
      this.dirty = false;
      this.saved.set(true);
    } catch (reason) {
      const error = toKioskError(reason);
      // A refused inbox folder is said under its field, in the kiosk's language.
      const inboxKey = inboxRefusalKey(error);
      if (inboxKey) {
        this.problems.set({ documentInbox: inboxKey });
      } else {
        this.saveFailed.emit(error);
      }
    } finally {
      this.saving.set(false);
    }
  }

  private update(patch: Partial<Draft>): void {
    this.dirty = true;
    this.saved.set(false);
    this.draft.update((draft) => (draft ? { ...draft, ...patch } : draft));
  }
}
