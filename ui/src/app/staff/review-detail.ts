import { Component, computed, inject, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { ReviewDetail as Detail } from '../ipc/bindings/ReviewDetail';
import type { ReviewVerdict } from '../ipc/bindings/ReviewVerdict';
import { KioskApi } from '../ipc/kiosk-api';
import { staffMessageKey } from '../visit/refusal-messages';
import { formatScore } from './review-queue';
import { StaffSession } from './staff-session';

/** A reviewer's reason: required, 3 to 500 characters (trimmed). */
export const REASON_MIN = 3;
export const REASON_MAX = 500;

/**
 * One transaction under review: the document portrait, the liveness reference and audit images
 * side by side, the scores, each liveness check with its reason and the policy's reasons; the
 * reviewer approves or rejects with a written reason.
 */
@Component({
  selector: 'app-review-detail',
  imports: [TranslatePipe, RouterLink],
  templateUrl: './review-detail.html',
  styleUrl: './review-detail.css',
})
export class ReviewDetail {
  private readonly api = inject(KioskApi);
  private readonly session = inject(StaffSession);
  private readonly router = inject(Router);
  private readonly language = inject(LanguageService);
  protected readonly transactionId = inject(ActivatedRoute).snapshot.paramMap.get('id') ?? '';

  protected readonly detail = signal<Detail | null>(null);
  protected readonly reason = signal('');
  protected readonly busy = signal(false);
  protected readonly messageKey = signal<string | null>(null);
  protected readonly formatScore = formatScore;
  protected readonly reasonMax = REASON_MAX;
  protected readonly reasonValid = computed(() => {
    const length = this.reason().trim().length;
    return length >= REASON_MIN && length <= REASON_MAX;
  });

  constructor() {
    void this.load();
  }

  protected onReason(event: Event): void {
    this.reason.set((event.target as HTMLTextAreaElement).value);
  }

  protected async resolve(verdict: ReviewVerdict): Promise<void> {
    const token = this.session.token();
    if (!token || !this.reasonValid() || this.busy()) return;
    this.busy.set(true);
    this.messageKey.set(null);
    try {
      await this.api.reviewResolve(token, this.transactionId, verdict, this.reason().trim());
      await this.router.navigate(['/staff/review'], {
        queryParams: { resolved: this.transactionId, verdict },
      });
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.messageKey.set(staffMessageKey(reason));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    const token = this.session.token();
    if (!token) return;
    try {
      this.detail.set(
        await this.api.reviewDetail(token, this.transactionId, this.language.current()),
      );
    } catch (reason) {
      if (!(await this.session.handle(reason))) this.messageKey.set(staffMessageKey(reason));
    }
  }
}
