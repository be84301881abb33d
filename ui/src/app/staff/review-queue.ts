import { Component, computed, inject, signal } from '@angular/core';
import { ActivatedRoute, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { ReviewItem } from '../ipc/bindings/ReviewItem';
import { KioskApi } from '../ipc/kiosk-api';
import { staffMessageKey } from '../visit/refusal-messages';
import { StaffSession } from './staff-session';

/** A score 0-100 as shown to staff, or a dash. */
export function formatScore(score: number | null): string {
  return score === null ? '—' : score.toFixed(1);
}

/**
 * Transactions waiting for a person's review, oldest first as the backend sends them; each opens
 * its detail. After a decision the queue says which one was decided.
 */
@Component({
  selector: 'app-review-queue',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './review-queue.html',
  styleUrl: './review-list.css',
})
export class ReviewQueue {
  private readonly api = inject(KioskApi);
  private readonly session = inject(StaffSession);
  private readonly language = inject(LanguageService);
  private readonly query = inject(ActivatedRoute).snapshot.queryParamMap;

  protected readonly items = signal<ReviewItem[] | null>(null);
  protected readonly loading = signal(false);
  protected readonly messageKey = signal<string | null>(null);
  protected readonly formatScore = formatScore;
  /** The decision just recorded (`?resolved=<id>&verdict=approve|reject`). */
  protected readonly resolved = (() => {
    const id = this.query.get('resolved');
    const verdict = this.query.get('verdict');
    return id && (verdict === 'approve' || verdict === 'reject') ? { id, verdict } : null;
  })();

  private readonly dateFormat = computed(
    () =>
      new Intl.DateTimeFormat(this.language.current(), { dateStyle: 'short', timeStyle: 'short' }),
  );

  constructor() {
    void this.refresh();
  }

  protected date(iso: string): string {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : this.dateFormat().format(date);
  }

  protected async refresh(): Promise<void> {
    const token = this.session.token();
    if (!token) return;
    this.loading.set(true);
    this.messageKey.set(null);
    try {
      this.items.set(await this.api.reviewQueue(token));
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.loading.set(false);
    }
  }
}
