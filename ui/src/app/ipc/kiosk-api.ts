import { Injectable } from '@angular/core';
import { invoke, type InvokeArgs, type InvokeOptions } from '@tauri-apps/api/core';
import type { AppInfo } from './bindings/AppInfo';
import type { AwsConnection } from './bindings/AwsConnection';
import type { AwsDoctorReport } from './bindings/AwsDoctorReport';
import type { AwsLivenessSession } from './bindings/AwsLivenessSession';
import type { CameraReport } from './bindings/CameraReport';
import type { DocumentFrameQuality } from './bindings/DocumentFrameQuality';
import type { DocumentPreview } from './bindings/DocumentPreview';
import type { HealthReport } from './bindings/HealthReport';
import type { KioskSettings } from './bindings/KioskSettings';
import type { Language } from './bindings/Language';
import type { LivenessChallenge } from './bindings/LivenessChallenge';
import type { MediaFolder } from './bindings/MediaFolder';
import type { PrivacyNotice } from './bindings/PrivacyNotice';
import type { QrCode } from './bindings/QrCode';
import type { RemovableMedium } from './bindings/RemovableMedium';
import type { ReviewDetail } from './bindings/ReviewDetail';
import type { ReviewItem } from './bindings/ReviewItem';
import type { ReviewVerdict } from './bindings/ReviewVerdict';
import type { SignInOutcome } from './bindings/SignInOutcome';
import type { SpeechRequest } from './bindings/SpeechRequest';
import type { SpokenPhrase } from './bindings/SpokenPhrase';
import type { StaffStatus } from './bindings/StaffStatus';
import type { SyncStatus } from './bindings/SyncStatus';
import type { VisitEnd } from './bindings/VisitEnd';
import type { VisitInfo } from './bindings/VisitInfo';
import type { VisitCapture } from './bindings/VisitCapture';
import type { VisitLiveness } from './bindings/VisitLiveness';
import type { VisitResult } from './bindings/VisitResult';
import { toKioskError } from './kiosk-error';

/**
 * Typed access to the Rust commands of the kiosk, one method per command.
 * Every method rejects with a `KioskError`.
 */
@Injectable({ providedIn: 'root' })
export class KioskApi {
  /** Product name, version and build facts. */
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  }

  /** Runs every health check and returns the summary. */
  healthReport(): Promise<HealthReport> {
    return call('health_report');
  }

  /** Reads the persisted kiosk settings. */
  getSettings(): Promise<KioskSettings> {
    return call('get_settings');
  }

  /**
   * The controller and DPO the consent names (`privacy.json`, read afresh); `null` when the kiosk
   * has no usable notice: the consent keeps its generic text.
   */
  privacyNotice(): Promise<PrivacyNotice | null> {
    return call('privacy_notice');
  }

  /** `text` (the protocol, the DPO's contact; at most 256 characters) as a QR code to draw. */
  qrCode(text: string): Promise<QrCode> {
    return call('qr_code', { text });
  }

  /**
   * Says a customer screen's phrase through the kiosk's audio (espeak-ng, offline), cutting the one
   * playing; resolves once it plays.
   */
  speak(request: SpeechRequest): Promise<SpokenPhrase> {
    return call('speak', { request });
  }

  /** Stops the phrase playing and forgets it (the visit ended or speech was turned off). */
  speechStop(): Promise<void> {
    return call('speech_stop');
  }

  /** Validates and persists `settings` (staff only: `token` of the signed-in session); resolves to what was stored. */
  saveSettings(settings: KioskSettings, token: string): Promise<KioskSettings> {
    return call('save_settings', { settings, token });
  }

  /**
   * Pins the camera the webview names `label` (admins only: `token`): the kiosk finds its USB
   * device and from then on lets only that camera film a liveness check. Refused with
   * `[camera-virtual]`, `[camera-unknown]`, `[camera-ambiguous]` or `[camera-not-usb]`. Resolves to
   * the settings stored; unpinning is saving `cameraPin: null`.
   */
  pinCamera(label: string, token: string): Promise<KioskSettings> {
    return call('pin_camera', { label, token });
  }

  /** Creates a Rekognition liveness session for the widget's AWS mode (AWS backend only). */
  awsLivenessSession(): Promise<AwsLivenessSession> {
    return call('aws_liveness_session');
  }

  /** Tells the backend what the webview observed when opening the camera. */
  reportCameraState(report: CameraReport): Promise<void> {
    return call('report_camera_state', { report });
  }

  /** How far this kiosk's records are from the central AWS log. */
  syncStatus(): Promise<SyncStatus> {
    return call('sync_status');
  }

  // --- The customer's visit ---------------------------------------------------------------

  /**
   * Begins a visit in the customer's language. In field mode `token` is the signed-in field
   * agent's session (the transaction's operator); the backend refuses `[operator-required]`
   * without one.
   */
  visitBegin(lang: Language, token?: string | null): Promise<VisitInfo> {
    return call('visit_begin', { lang, token: token ?? null });
  }

  /**
   * Prints the customer's receipt on the kiosk's ESC/POS printer: `lines` (the result screen's, in
   * the visit's language), then `protocolLabel` and the protocol the backend knows, as text and QR
   * code. Refused `[receipt-failed]` without a printer or when it fails.
   */
  visitPrintReceipt(visitId: string, lines: string[], protocolLabel: string): Promise<void> {
    return call('visit_print_receipt', { visitId, lines, protocolLabel });
  }

  /** Keeps the visit alive on the backend while the customer is active. */
  visitTouch(visitId: string): Promise<void> {
    return call('visit_touch', { visitId });
  }

  /**
   * Records the customer's consent with the consent text as shown (the kiosk keeps its SHA-256 with
   * the version); a decline ends the visit.
   */
  visitConsent(visitId: string, accepted: boolean, text: string | null = null): Promise<void> {
    return call('visit_consent', { visitId, accepted, text });
  }

  /**
   * Document from a file a member of staff picks in the native dialog (`token` of a session that
   * may review); `null` when the dialog was closed. Customers use the removable-media picker.
   */
  visitDocumentFile(visitId: string, token: string): Promise<DocumentPreview | null> {
    return call('visit_document_file', { visitId, token });
  }

  /** The removable media (USB sticks, memory cards) mounted now, for the document picker. */
  visitMediaList(visitId: string): Promise<RemovableMedium[]> {
    return call('visit_media_list', { visitId });
  }

  /** Folders, images and PDFs in folder `path` (from the medium's root; `''` is the root). */
  visitMediaBrowse(visitId: string, mediumId: string, path: string): Promise<MediaFolder> {
    return call('visit_media_browse', { visitId, mediumId, path });
  }

  /** Document from file `path` on a removable medium, picked in the kiosk's own picker. */
  visitDocumentMedia(visitId: string, mediumId: string, path: string): Promise<DocumentPreview> {
    return call('visit_document_media', { visitId, mediumId, path });
  }

  /** Document from the newest scan in the configured scan-to-folder inbox. */
  visitDocumentInbox(visitId: string): Promise<DocumentPreview> {
    return call('visit_document_inbox', { visitId });
  }

  /** Document scanned now on the SANE scanner. */
  visitDocumentScan(visitId: string): Promise<DocumentPreview> {
    return call('visit_document_scan', { visitId });
  }

  /** Document from a camera frame: the JPEG bytes as the raw request body. */
  visitDocumentImage(visitId: string, jpeg: Uint8Array): Promise<DocumentPreview> {
    return call('visit_document_image', jpeg, { headers: { 'x-visit-id': visitId } });
  }

  /** Framing feedback (blur, glare, portrait) on a small JPEG of the current camera frame. */
  documentFrameQuality(jpeg: Uint8Array): Promise<DocumentFrameQuality> {
    return call('document_frame_quality', jpeg);
  }

  /**
   * Starts the transaction and stores the document. No liveness session yet: the widget asks for
   * one when the customer presses start ({@link visitLivenessSession}).
   */
  visitConfirmDocument(visitId: string): Promise<VisitCapture> {
    return call('visit_confirm_document', { visitId });
  }

  /** Drops the document so that the customer takes another. */
  visitRetakeDocument(visitId: string): Promise<void> {
    return call('visit_retake_document', { visitId });
  }

  /**
   * A new liveness session for the visit's transaction (the widget's `requestSession` hook: every
   * start and retry); the one before is ended. Rejected with `[too-many-attempts]` after five failed
   * checks in three minutes on this kiosk. `movement`: the check without flashing colours (the
   * policy sends its result to a person).
   */
  visitLivenessSession(
    visitId: string,
    challenge: LivenessChallenge = 'movement-and-light',
  ): Promise<VisitLiveness> {
    return call('visit_liveness_session', { visitId, challenge });
  }

  /** Compares the faces and decides once the liveness capture is done. */
  visitComplete(visitId: string, lang: Language): Promise<VisitResult> {
    return call('visit_complete', { visitId, lang });
  }

  /** Ends the visit and wipes what it held. */
  visitEnd(visitId: string, reason: VisitEnd): Promise<void> {
    return call('visit_end', { visitId, reason });
  }

  // --- Staff mode -------------------------------------------------------------------------

  /** Whether the kiosk has staff accounts (they are provisioned out of band, never here). */
  staffStatus(): Promise<StaffStatus> {
    return call('staff_status');
  }

  /** Tries a staff account (staff number) and its PIN. */
  staffSignIn(account: string, pin: string): Promise<SignInOutcome> {
    return call('staff_sign_in', { account, pin });
  }

  /** Changes the signed-in account's PIN; the old PIN is required. */
  staffChangePin(token: string, oldPin: string, newPin: string): Promise<void> {
    return call('staff_change_pin', { token, oldPin, newPin });
  }

  /** Ends a staff session. */
  staffSignOut(token: string): Promise<void> {
    return call('staff_sign_out', { token });
  }

  /** Transactions waiting for a person's review. */
  reviewQueue(token: string): Promise<ReviewItem[]> {
    return call('review_queue', { token });
  }

  /** Everything needed to decide one review (images as data URLs). */
  reviewDetail(token: string, transactionId: string, lang: Language): Promise<ReviewDetail> {
    return call('review_detail', { token, transactionId, lang });
  }

  /** Records a reviewer's verdict and reason. */
  reviewResolve(
    token: string,
    transactionId: string,
    verdict: ReviewVerdict,
    reason: string,
  ): Promise<void> {
    return call('review_resolve', { token, transactionId, verdict, reason });
  }

  /** Closes the kiosk application (staff only). */
  exitKiosk(token: string): Promise<void> {
    return call('exit_kiosk', { token });
  }

  /** The AWS connection in effect (staff only). */
  awsConnection(token: string): Promise<AwsConnection> {
    return call('aws_connection', { token });
  }

  /** Saves the AWS connection in `aws.toml` (staff only); resolves to what was stored. */
  saveAwsConnection(token: string, connection: AwsConnection): Promise<AwsConnection> {
    return call('save_aws_connection', { token, connection });
  }

  /** Runs the AWS diagnostics (`dayfusion doctor`) in `lang` (staff only). */
  awsDoctor(token: string, lang: Language): Promise<AwsDoctorReport> {
    return call('aws_doctor', { token, lang });
  }
}

async function call<T>(command: string, args?: InvokeArgs, options?: InvokeOptions): Promise<T> {
  try {
    return await invoke<T>(command, args, options);
  } catch (reason) {
    throw toKioskError(reason);
  }
}
