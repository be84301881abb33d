import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { DEFAULT_LANGUAGE, LanguageService } from '../i18n/language';
import type { DocumentPreview } from '../ipc/bindings/DocumentPreview';
import type { Language } from '../ipc/bindings/Language';
import type { LivenessChallenge } from '../ipc/bindings/LivenessChallenge';
import type { MediaFolder } from '../ipc/bindings/MediaFolder';
import type { PrivacyNotice } from '../ipc/bindings/PrivacyNotice';
import type { RemovableMedium } from '../ipc/bindings/RemovableMedium';
import type { VisitEnd } from '../ipc/bindings/VisitEnd';
import type { VisitCapture } from '../ipc/bindings/VisitCapture';
import type { VisitInfo } from '../ipc/bindings/VisitInfo';
import type { VisitLiveness } from '../ipc/bindings/VisitLiveness';
import type { VisitResult } from '../ipc/bindings/VisitResult';
import { CameraProbe } from '../camera/camera-probe';
import { KioskApi } from '../ipc/kiosk-api';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { AccessibilityService } from '../accessibility/accessibility';
import { StaffSession } from '../staff/staff-session';
import { visitMessageKey, visitRefusal } from './refusal-messages';

/** The screens of a customer's visit, in order (`declined` and `camera-missing` end it early). */
export type VisitStep =
  | 'language'
  | 'consent'
  | 'declined'
  | 'document'
  | 'portrait'
  | 'liveness'
  | 'processing'
  | 'result'
  | 'camera-missing';

/** Where a document photo comes from. */
export type DocumentSource = 'removableMedia' | 'camera' | 'scanner' | 'inbox';

/**
 * The customer's document picker over removable media (instead of a system file dialog): the
 * media mounted, then one medium's folders, images and PDFs. Part of the visit: wiped with it.
 */
export interface MediaPicker {
  /** The media mounted now; `null` while they are being looked for. */
  media: readonly RemovableMedium[] | null;
  /** The medium open; `null` on the list of media. */
  medium: RemovableMedium | null;
  /** The folder of `medium` shown; `null` on the list of media. */
  folder: MediaFolder | null;
}

/** Why the liveness capture stopped before completing, and what the customer may do next. */
export interface LivenessProblem {
  /** Translation key of the message. */
  messageKey: string;
  /** Whether "try again" is offered (a new session); otherwise only "cancel". */
  canRetry: boolean;
}

/** Idle timeout before the visit has begun (language screen) when no settings are known. */
export const DEFAULT_IDLE_SECONDS = 90;
/**
 * The idle warning ("Ainda está aí?") shows during the last seconds: 30 for customers who read or
 * move slowly, or half the step's limit when that is shorter, never fewer than 20 (WCAG 2.2.1).
 */
export const IDLE_WARNING_SECONDS = 30;
/** The shortest idle warning (WCAG 2.2.1: at least 20 seconds to ask for more time). */
export const MIN_IDLE_WARNING_SECONDS = 20;
/** The backend is told the customer is active at most this often. */
export const TOUCH_EVERY_SECONDS = 15;
/** Floor of the longer idle limit while the liveness widget or the decision runs. */
export const LONG_IDLE_SECONDS = 180;
/** The "nothing was kept" screen after a declined consent returns to attract after this. */
export const DECLINED_SECONDS = 5;
/** The "camera unavailable" screen returns to attract after this. */
export const CAMERA_MISSING_SECONDS = 12;
/** The result screen returns to attract after this. */
export const RESULT_SECONDS = 20;

/** Widget error codes that mean the camera cannot be used at all. */
const CAMERA_CODES: ReadonlySet<string> = new Set([
  'camera-denied',
  'camera-not-found',
  'camera-not-readable',
  'camera-ended',
  'camera-unsupported',
  'camera-error',
  'camera-too-weak',
]);

/** Widget error codes where another try cannot help: the customer is sent to staff. */
const NO_RETRY_CODES: ReadonlySet<string> = new Set([
  'models-missing',
  'engine-unavailable',
  'provider-unavailable',
  'clock-skew',
  'aws-assets',
  'aws-endpoint-invalid',
]);

/** Steps where the idle timer runs with the kiosk's idle timeout. */
const IDLE_STEPS: ReadonlySet<VisitStep> = new Set(['language', 'consent', 'document', 'portrait']);
/** A receipt being printed, printed, or not printed. */
export type ReceiptState = 'printing' | 'printed' | 'failed';

/** Steps where the widget or the decision counts as activity: a longer limit applies. */
const LONG_IDLE_STEPS: ReadonlySet<VisitStep> = new Set(['liveness', 'processing']);

/**
 * The customer's visit: the step shown, what the backend answered, and the idle timeout. Holds
 * everything known about the customer in memory only, and wipes it all when the visit ends (done,
 * declined, cancelled, failed, idle, or expired on the backend), then shows the attract screen.
 */
@Injectable({ providedIn: 'root' })
export class VisitService {
  private readonly api = inject(KioskApi);
  private readonly router = inject(Router);
  private readonly language = inject(LanguageService);
  private readonly settings = inject(KioskSettingsStore);
  private readonly staff = inject(StaffSession);
  private readonly accessibility = inject(AccessibilityService);
  private readonly probe = inject(CameraProbe);

  /** The signed-in staff member's token the visit begins with (its operator): a field agent in field
   * mode, or staff assisting a customer in the branch. */
  private operatorToken: string | null = null;
  /** Staff assist this visit on a branch kiosk: staff mode ends with it. */
  private assisted = false;
  private readonly stepState = signal<VisitStep | null>(null);
  private readonly infoState = signal<VisitInfo | null>(null);
  private readonly privacyState = signal<PrivacyNotice | null>(null);
  private readonly previewState = signal<DocumentPreview | null>(null);
  private readonly livenessState = signal<VisitCapture | null>(null);
  private readonly livenessAttemptState = signal(0);
  private readonly problemState = signal<LivenessProblem | null>(null);
  private readonly resultState = signal<VisitResult | null>(null);
  private readonly receiptState = signal<ReceiptState | null>(null);
  private readonly errorState = signal<string | null>(null);
  private readonly pickerState = signal<MediaPicker | null>(null);
  private readonly busyState = signal(false);
  private readonly idleLeftState = signal(DEFAULT_IDLE_SECONDS);
  /** "Preciso de mais tempo" pressed: each step's idle limit is doubled for the rest of the visit. */
  private readonly moreTimeState = signal(false);

  /** The screen shown; `null` when no visit is under way (attract). */
  readonly step = this.stepState.asReadonly();
  /** The visit as the backend began it. */
  readonly info = this.infoState.asReadonly();
  /** The controller and DPO the consent names; `null`: its generic text. */
  readonly privacy = this.privacyState.asReadonly();
  /** The document photo taken, shown back for confirmation. */
  readonly preview = this.previewState.asReadonly();
  /** The liveness step (the widget's provider); its sessions come through {@link requestLivenessSession}. */
  readonly liveness = this.livenessState.asReadonly();
  /** Bumped by "try again" on the problem screen: a fresh widget, which asks for a new session. */
  readonly livenessAttempt = this.livenessAttemptState.asReadonly();
  /** Why the liveness capture stopped, while the retry / cancel choice is shown. */
  readonly livenessProblem = this.problemState.asReadonly();
  /** The decision. */
  readonly result = this.resultState.asReadonly();
  /** The paper receipt asked on the result screen; `null` until asked. */
  readonly receipt = this.receiptState.asReadonly();
  /** Translation key of the message for the last failed step, or `null`. */
  readonly errorKey = this.errorState.asReadonly();
  /** The removable-media picker over the document step; `null` when it is closed. */
  readonly picker = this.pickerState.asReadonly();
  /** A command is running: the step's buttons wait. */
  readonly busy = this.busyState.asReadonly();
  /** Seconds left before the idle timeout. */
  readonly idleLeft = this.idleLeftState.asReadonly();
  /** Whether the "are you still there?" countdown shows. */
  readonly idleWarning = computed(() => {
    const step = this.stepState();
    return (
      step !== null &&
      (IDLE_STEPS.has(step) || LONG_IDLE_STEPS.has(step)) &&
      this.idleLeftState() <= this.warningSeconds(step)
    );
  });

  /** Bumped when a visit ends: answers that arrive later belong to nobody and are dropped. */
  private generation = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private endTimer: ReturnType<typeof setTimeout> | null = null;
  private secondsSinceTouch = 0;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.stopIdle();
      if (this.endTimer) clearTimeout(this.endTimer);
    });
  }

  /**
   * Starts a new visit at the language choice (the attract screen's "start", or staff home's
   * assisted visit). `operatorToken` is the signed-in staff member's session operating the visit (a
   * field agent in field mode, or staff beside the customer): the visit begins with it. Returns
   * whether it started: a visit needs the camera for the face check, so none starts (not even the
   * consent) on a camera that failed its last probe and fails a fresh one, nor behind a screen the
   * kiosk has left while the camera was checked.
   */
  async start(operatorToken: string | null = null): Promise<boolean> {
    const from = this.router.url;
    if (!(await this.probe.works(this.settings.settings()?.cameraId ?? null))) return false;
    if (this.router.url !== from) return false;
    this.wipe();
    this.operatorToken = operatorToken;
    this.assisted = operatorToken !== null && this.settings.settings()?.mode !== 'field';
    // Staff may have turned spoken guidance on for every visit; the customer may turn it off.
    if (this.settings.settings()?.spokenGuidance) this.accessibility.setSpeech(true);
    this.stepState.set('language');
    this.startIdle();
    await this.router.navigateByUrl('/visit');
    return true;
  }

  /** Shows the visit in `lang` (the kiosk's stored language is left alone) and begins the visit. */
  async chooseLanguage(lang: Language): Promise<void> {
    this.language.apply(lang);
    await this.run(
      () => Promise.all([this.api.visitBegin(lang, this.operatorToken), this.privacyNotice()]),
      ([info, privacy]) => {
        this.infoState.set(info);
        this.privacyState.set(privacy);
        this.go('consent');
      },
      // Begun after this customer's visit was given up (idle): end it at once.
      ([info]) => void this.endQuietly(info.visitId, 'idle'),
    );
  }

  /** The privacy notice for the consent; `null` (the generic text) when it cannot be had. */
  private async privacyNotice(): Promise<PrivacyNotice | null> {
    try {
      return await this.api.privacyNotice();
    } catch {
      // The visit goes on with the generic text; the backend logs why.
      return null;
    }
  }

  /**
   * Records the consent (with the text the screen showed: the kiosk keeps its SHA-256); a decline
   * ends the visit and says that nothing was kept.
   */
  async answerConsent(accepted: boolean, shownText: string | null = null): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    if (accepted) {
      await this.run(
        () => this.api.visitConsent(visitId, true, shownText),
        () => this.go('document'),
      );
      return;
    }
    this.busyState.set(true);
    try {
      await this.api.visitConsent(visitId, false);
    } catch {
      // The visit ends below whatever the consent record said.
    }
    await this.endQuietly(visitId, 'declined');
    this.generation += 1;
    this.stopIdle();
    this.clearCustomerData();
    this.busyState.set(false);
    this.stepState.set('declined');
    this.endAfter(DECLINED_SECONDS);
  }

  /** Takes the document from the scanner or the scan inbox. */
  async takeDocument(source: Exclude<DocumentSource, 'camera' | 'removableMedia'>): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    await this.run(
      () =>
        source === 'scanner'
          ? this.api.visitDocumentScan(visitId)
          : this.api.visitDocumentInbox(visitId),
      (preview) => this.showPreview(preview),
    );
  }

  /** Opens the document picker on the removable media mounted now. */
  async openPicker(): Promise<void> {
    if (!this.visitId()) return;
    this.pickerState.set({ media: null, medium: null, folder: null });
    await this.listMedia();
  }

  /** Looks for removable media again (a stick put in after the list showed). */
  async listMedia(): Promise<void> {
    const visitId = this.visitId();
    if (!visitId || !this.pickerState()) return;
    await this.run(
      () => this.api.visitMediaList(visitId),
      (media) => {
        if (this.pickerState()) this.pickerState.set({ media, medium: null, folder: null });
      },
    );
  }

  /** Opens folder `path` of `medium` (`''`: its root; paths come from the backend's entries). */
  async openFolder(medium: RemovableMedium, path = ''): Promise<void> {
    const visitId = this.visitId();
    if (!visitId || !this.pickerState()) return;
    await this.run(
      () => this.api.visitMediaBrowse(visitId, medium.id, path),
      (folder) => {
        const picker = this.pickerState();
        if (picker) this.pickerState.set({ media: picker.media, medium, folder });
      },
    );
  }

  /** "Voltar": the folder above, then the list of media, then the document sources. */
  async pickerBack(): Promise<void> {
    const picker = this.pickerState();
    if (!picker) return;
    const { medium, folder } = picker;
    if (medium && folder && folder.path !== '') {
      const cut = folder.path.lastIndexOf('/');
      await this.openFolder(medium, cut < 0 ? '' : folder.path.slice(0, cut));
    } else if (medium) {
      await this.listMedia();
    } else {
      this.closePicker();
    }
  }

  /** Closes the picker: back to the document sources. */
  closePicker(): void {
    this.pickerState.set(null);
    this.errorState.set(null);
  }

  /** Takes the document from file `path` of the open medium. */
  async pickFile(path: string): Promise<void> {
    const visitId = this.visitId();
    const medium = this.pickerState()?.medium;
    if (!visitId || !medium) return;
    await this.run(
      () => this.api.visitDocumentMedia(visitId, medium.id, path),
      (preview) => {
        this.pickerState.set(null);
        this.showPreview(preview);
      },
    );
  }

  /** Takes the document from a camera frame (JPEG bytes). */
  async captureDocument(jpeg: Uint8Array): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    await this.run(
      () => this.api.visitDocumentImage(visitId, jpeg),
      (preview) => this.showPreview(preview),
    );
  }

  /** "Yes, it's me": stores the document; the liveness session opens when the customer presses start. */
  async confirmPortrait(): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    await this.run(
      () => this.api.visitConfirmDocument(visitId),
      (liveness) => this.startLiveness(liveness),
    );
  }

  /** "Take another": drops the document and goes back to the sources. */
  async retakeDocument(): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    await this.run(
      () => this.api.visitRetakeDocument(visitId),
      () => {
        this.previewState.set(null);
        this.go('document');
      },
    );
  }

  /** The widget finished the capture: compare and decide. */
  async livenessCompleted(): Promise<void> {
    const visitId = this.visitId();
    if (!visitId || this.stepState() !== 'liveness') return;
    this.go('processing');
    await this.decide(visitId);
  }

  /** The decision failed and the customer asks to try it again. */
  async retryDecision(): Promise<void> {
    const visitId = this.visitId();
    if (!visitId) return;
    await this.decide(visitId);
  }

  /** The widget reported `liveness-error` with `code`. */
  async livenessFailed(code: string): Promise<void> {
    if (CAMERA_CODES.has(code)) {
      await this.fail();
      return;
    }
    if (code === 'too-many-attempts') {
      this.problemState.set({ messageKey: 'visit.liveness.tooManyAttempts', canRetry: false });
    } else if (NO_RETRY_CODES.has(code)) {
      this.problemState.set({ messageKey: 'visit.liveness.unavailable', canRetry: false });
    } else {
      this.problemState.set({ messageKey: 'visit.liveness.failed', canRetry: true });
    }
  }

  /** The widget reported `liveness-cancel`. */
  livenessCancelled(): void {
    this.problemState.set({ messageKey: 'visit.liveness.cancelled', canRetry: true });
  }

  /**
   * "Try again" after a failed or cancelled capture: a fresh widget, which asks for a new session
   * when the customer presses start (the backend ends the old one then).
   */
  retryLiveness(): void {
    const liveness = this.livenessState();
    if (!this.visitId() || !liveness) return;
    this.livenessAttemptState.update((n) => n + 1);
    this.startLiveness(liveness);
  }

  /**
   * The widget's `requestSession` hook: a new liveness session for this visit's transaction, for
   * every start and retry (the backend ends the one before). Its refusals reach the widget as they
   * are (`[too-many-attempts] …`: the widget's staff path); an expired visit is also forgotten here.
   * The widget's request says which challenge the customer chose (`movement`: no flashing colours).
   */
  readonly requestLivenessSession = async (
    request?: { challenge?: LivenessChallenge } | null,
  ): Promise<VisitLiveness> => {
    const visitId = this.visitId();
    if (!visitId) throw new Error('no visit');
    const generation = this.generation;
    this.activity();
    try {
      return await this.api.visitLivenessSession(
        visitId,
        request?.challenge === 'movement' ? 'movement' : 'movement-and-light',
      );
    } catch (reason) {
      if (generation === this.generation && visitRefusal(reason) === 'visit-expired')
        void this.finish();
      throw reason;
    }
  };

  /** The camera cannot be used: the visit ends as failed and a member of staff is needed. */
  async fail(): Promise<void> {
    const visitId = this.visitId();
    // The next visit probes the camera again before it starts.
    this.probe.invalidate();
    this.generation += 1;
    this.stopIdle();
    this.clearCustomerData();
    this.busyState.set(false);
    this.stepState.set('camera-missing');
    this.endAfter(CAMERA_MISSING_SECONDS);
    if (visitId) await this.endQuietly(visitId, 'failed');
  }

  /** The customer cancels: the visit ends and the attract screen shows. */
  async cancel(): Promise<void> {
    await this.endAndLeave('cancelled');
  }

  /**
   * Prints the receipt (`lines` as the result screen says them, then the protocol the backend adds as
   * text and QR code). A failure is shown on the screen; the protocol stays there either way.
   */
  async printReceipt(lines: string[], protocolLabel: string): Promise<void> {
    const visitId = this.visitId();
    if (!visitId || this.receiptState() === 'printing') return;
    const generation = this.generation;
    // The result stays up while the receipt prints, and a while after.
    this.endAfter(RESULT_SECONDS, () => this.done());
    this.receiptState.set('printing');
    try {
      await this.api.visitPrintReceipt(visitId, lines, protocolLabel);
      if (generation === this.generation) this.receiptState.set('printed');
    } catch {
      if (generation === this.generation) this.receiptState.set('failed');
    }
    if (generation === this.generation) this.endAfter(RESULT_SECONDS, () => this.done());
  }

  /** "Done" on the result (or its timeout). */
  async done(): Promise<void> {
    await this.endAndLeave('done');
  }

  /** Leaves the terminal screens (declined, camera missing) for the attract screen. */
  async leave(): Promise<void> {
    const visitId = this.visitId();
    if (visitId) {
      await this.endAndLeave('cancelled');
    } else {
      await this.finish();
    }
  }

  /** Ends a visit left behind (someone reached attract another way), wiping it. */
  abandon(): void {
    const visitId = this.visitId();
    if (this.stepState() === null && !visitId) return;
    void this.finish();
    if (visitId) void this.endQuietly(visitId, 'cancelled');
  }

  /**
   * A touch or key press: resets the idle countdown and keeps the visit alive on the backend. Not
   * while the idle warning shows: only its own buttons answer it (a touch elsewhere, or the key that
   * moves to one of them, must not make it vanish under the customer's finger).
   */
  activity(): void {
    if (this.idleWarning()) return;
    this.stillHere();
  }

  /** "Continuar" on the idle warning (or any activity): the countdown starts over. */
  stillHere(): void {
    const step = this.stepState();
    if (step === null || !this.ticker) return;
    this.idleLeftState.set(this.idleLimit(step));
    if (this.secondsSinceTouch >= TOUCH_EVERY_SECONDS) this.touch();
  }

  /**
   * A phrase of `seconds` is being said: the idle countdown gives the step's whole limit after it
   * ends (listening is not idling), and the backend hears the customer is there.
   */
  holdIdleFor(seconds: number): void {
    const step = this.stepState();
    if (step === null || !this.ticker || !Number.isFinite(seconds) || seconds <= 0) return;
    // Only the warning's buttons answer the warning.
    if (this.idleWarning()) return;
    const wanted = Math.ceil(seconds) + this.idleLimit(step);
    if (wanted > this.idleLeftState()) this.idleLeftState.set(wanted);
    this.touch();
  }

  /** "Preciso de mais tempo" on the idle warning: twice the time, now and on every later step. */
  moreTime(): void {
    const step = this.stepState();
    if (step === null || !this.ticker) return;
    this.moreTimeState.set(true);
    this.idleLeftState.set(this.idleLimit(step));
    this.touch();
  }

  private visitId(): string | null {
    return this.infoState()?.visitId ?? null;
  }

  private showPreview(preview: DocumentPreview): void {
    this.previewState.set(preview);
    this.go('portrait');
  }

  private startLiveness(liveness: VisitCapture): void {
    this.problemState.set(null);
    this.livenessState.set(liveness);
    this.go('liveness');
  }

  private async decide(visitId: string): Promise<void> {
    const generation = this.generation;
    this.busyState.set(true);
    this.errorState.set(null);
    try {
      const result = await this.api.visitComplete(visitId, this.language.current());
      if (generation !== this.generation) return;
      this.resultState.set(result);
      this.stopIdle();
      this.stepState.set('result');
      this.endAfter(RESULT_SECONDS, () => this.done());
    } catch (reason) {
      if (generation !== this.generation) return;
      if (visitRefusal(reason) === 'liveness-incomplete') {
        this.problemState.set({ messageKey: 'visit.refusal.liveness-incomplete', canRetry: true });
        this.go('liveness');
      } else {
        this.handleError(reason);
      }
    } finally {
      if (generation === this.generation) this.busyState.set(false);
    }
  }

  /** Moves to `step`, clearing the previous step's message and restarting the idle countdown. */
  private go(step: VisitStep): void {
    this.errorState.set(null);
    // The picker belongs to the document step only.
    if (step !== 'document') this.pickerState.set(null);
    this.stepState.set(step);
    this.idleLeftState.set(this.idleLimit(step));
  }

  /**
   * Runs one visit command: busy meanwhile, `apply` to its answer, a translated message on
   * failure. An answer that arrives after the visit ended belongs to nobody: it only goes to
   * `stale`, never into the screens.
   */
  private async run<T>(
    command: () => Promise<T>,
    apply: (answer: T) => void,
    stale: (answer: T) => void = () => undefined,
  ): Promise<void> {
    const generation = this.generation;
    this.busyState.set(true);
    this.errorState.set(null);
    try {
      const answer = await command();
      if (generation === this.generation) {
        apply(answer);
      } else {
        stale(answer);
      }
    } catch (reason) {
      if (generation === this.generation) this.handleError(reason);
    } finally {
      if (generation === this.generation) this.busyState.set(false);
    }
  }

  private handleError(reason: unknown): void {
    const refusal = visitRefusal(reason);
    if (refusal === 'visit-expired') {
      // The backend has already forgotten the visit: forget it here too.
      void this.finish();
      return;
    }
    if (refusal === 'operator-required') {
      // The staff session operating the visit ran out on the backend. An assisted visit ends and
      // staff sign in again (it never goes on as self-service); a field agent signs in again from
      // the attract screen.
      const assisted = this.assisted;
      this.operatorToken = null;
      if (this.staff.signedIn()) this.staff.forget();
      if (assisted) {
        this.wipe();
        void this.router.navigateByUrl('/staff');
        return;
      }
    }
    if (refusal === 'medium-unavailable' && this.pickerState()) {
      // The stick was taken out (or the file is gone): back to the media, looked for again.
      this.pickerState.set({ media: null, medium: null, folder: null });
      void this.reloadMedia();
    }
    this.errorState.set(visitMessageKey(reason));
  }

  /** The media list again after a medium went away, keeping the message on screen. */
  private async reloadMedia(): Promise<void> {
    const visitId = this.visitId();
    const generation = this.generation;
    if (!visitId) return;
    try {
      const media = await this.api.visitMediaList(visitId);
      if (generation === this.generation && this.pickerState()) {
        this.pickerState.set({ media, medium: null, folder: null });
      }
    } catch {
      if (generation === this.generation && this.pickerState()) {
        this.pickerState.set({ media: [], medium: null, folder: null });
      }
    }
  }

  /** The kiosk's idle timeout, as the visit (or, before it began, the settings) says. */
  private timeoutSeconds(): number {
    return (
      this.infoState()?.idleTimeoutSeconds ??
      this.settings.settings()?.idleTimeoutSeconds ??
      DEFAULT_IDLE_SECONDS
    );
  }

  private idleLimit(step: VisitStep): number {
    const limit = this.timeoutSeconds();
    const base = LONG_IDLE_STEPS.has(step) ? Math.max(limit * 3, LONG_IDLE_SECONDS) : limit;
    return this.moreTimeState() ? base * 2 : base;
  }

  private warningSeconds(step: VisitStep): number {
    const half = Math.floor(this.idleLimit(step) / 2);
    return Math.max(MIN_IDLE_WARNING_SECONDS, Math.min(IDLE_WARNING_SECONDS, half));
  }

  private startIdle(): void {
    this.stopIdle();
    this.secondsSinceTouch = 0;
    this.idleLeftState.set(this.idleLimit(this.stepState() ?? 'language'));
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  private stopIdle(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private tick(): void {
    this.secondsSinceTouch += 1;
    // The capture itself is activity, and so is time given beyond the kiosk's timeout (more time,
    // a long phrase being heard): keep the backend's visit alive meanwhile (it ends a visit nobody
    // touched for twice the timeout and 3 minutes).
    const beyondTimeout = this.idleLeftState() > this.timeoutSeconds();
    if (
      (this.stepState() === 'liveness' || beyondTimeout) &&
      this.secondsSinceTouch >= TOUCH_EVERY_SECONDS
    ) {
      this.touch();
    }
    const left = this.idleLeftState() - 1;
    this.idleLeftState.set(Math.max(left, 0));
    if (left <= 0) void this.timeOut();
  }

  private touch(): void {
    const visitId = this.visitId();
    this.secondsSinceTouch = 0;
    if (!visitId) return;
    const generation = this.generation;
    this.api.visitTouch(visitId).catch((reason: unknown) => {
      if (generation === this.generation && visitRefusal(reason) === 'visit-expired') {
        void this.finish();
      }
    });
  }

  /** Nobody touched the screen: end the visit as idle and wipe everything at once. */
  private async timeOut(): Promise<void> {
    const visitId = this.visitId();
    const leaving = this.finish();
    if (visitId) await this.endQuietly(visitId, 'idle');
    await leaving;
  }

  private async endAndLeave(reason: VisitEnd): Promise<void> {
    const visitId = this.visitId();
    const leaving = this.finish();
    if (visitId) await this.endQuietly(visitId, reason);
    await leaving;
  }

  /** Tells the backend the visit is over; it may already be gone (expired, declined). */
  private async endQuietly(visitId: string, reason: VisitEnd): Promise<void> {
    try {
      await this.api.visitEnd(visitId, reason);
    } catch {
      // Nothing the customer can do about it; the backend also ends visits on its own timeout.
    }
  }

  private endAfter(seconds: number, then: () => Promise<void> = () => this.finish()): void {
    if (this.endTimer) clearTimeout(this.endTimer);
    this.endTimer = setTimeout(() => void then(), seconds * 1000);
  }

  /**
   * Wipes the visit and shows the attract screen. An assisted visit in the branch also ends staff
   * mode: the public screen never goes back to a staff session left open (a field agent's stays).
   */
  private async finish(): Promise<void> {
    const assisted = this.assisted;
    this.wipe();
    if (assisted) this.staff.forget();
    await this.router.navigateByUrl('/');
  }

  /** Forgets everything about the customer and goes back to the kiosk's own language. */
  private wipe(): void {
    this.generation += 1;
    this.stopIdle();
    if (this.endTimer) clearTimeout(this.endTimer);
    this.endTimer = null;
    this.clearCustomerData();
    this.operatorToken = null;
    this.assisted = false;
    this.stepState.set(null);
    this.busyState.set(false);
    this.moreTimeState.set(false);
    this.accessibility.reset();
    this.language.apply(this.settings.settings()?.language ?? DEFAULT_LANGUAGE);
  }

  private clearCustomerData(): void {
    this.infoState.set(null);
    this.privacyState.set(null);
    this.previewState.set(null);
    this.livenessState.set(null);
    this.livenessAttemptState.set(0);
    this.problemState.set(null);
    this.resultState.set(null);
    this.receiptState.set(null);
    this.errorState.set(null);
    this.pickerState.set(null);
  }
}
