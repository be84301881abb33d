import type { AwsDetectorError } from './api';
import { CredentialsError } from './credentials';

/**
 * The kiosk's error codes for the AWS mode (each with its own text in i18n.ts), besides the camera codes it shares
 * with the local mode (`camera-denied`, `camera-not-found`, `camera-not-readable`, `camera-error`,
 * `camera-too-weak`).
 */
export type AwsErrorCode =
  | 'aws-unreachable'
  | 'aws-timeout'
  | 'clock-skew'
  | 'aws-credentials'
  | 'aws-service'
  | 'aws-runtime'
  | 'aws-assets'
  | 'aws-endpoint-invalid'
  | 'face-distance'
  | 'multiple-faces';

/** A signature refused because the kiosk's clock is off (SigV4 allows 5 minutes). */
const CLOCK_SKEW = new RegExp(
  [
    'clock.?skew',
    'skewed',
    'signature (has )?expired',
    'signature (is )?not yet (current|valid)',
    'is now (earlier|later) than',
    'RequestTimeTooSkewed',
    'RequestExpired',
  ].join('|'),
  'i',
);
/** A stream that ended because the network did (the browser gives no detail for a failed WebSocket). */
const NETWORK = new RegExp(
  [
    'network',
    'failed to fetch',
    'load failed',
    'offline',
    'timed? ?out',
    'connection (was )?(reset|refused|lost|closed)',
    'stream ended with an error',
    '\\(code 1006\\b',
    'ECONN',
    'ENOTFOUND',
    'ERR_NAME_NOT_RESOLVED',
    'websocket',
  ].join('|'),
  'i',
);
/** A region mismatch (Amplify's own text for an `InvalidSignatureException` about the region). */
const REGION = /region/i;

/** The camera code for a `CAMERA_ACCESS_ERROR`, from the getUserMedia message Amplify kept (it drops the name). */
function cameraAccessCode(message: string): string {
  if (/no real video devices|not ?found|no camera|could not find/i.test(message)) return 'camera-not-found';
  if (/could not start|not ?readable|in use|device in use|busy|hardware/i.test(message)) return 'camera-not-readable';
  if (/permission|denied|not ?allowed|dismissed|security/i.test(message)) return 'camera-denied';
  return 'camera-error';
}

/**
 * The kiosk's code for an error the Amplify detector reported:
 *
 * | Amplify state                                   | code                                         |
 * | ----------------------------------------------- | -------------------------------------------- |
 * | `CONNECTION_TIMEOUT`                            | `aws-unreachable`                            |
 * | `SERVER_ERROR` caused by the network, or offline | `aws-unreachable`                           |
 * | any, naming a clock skew / expired signature, `InvalidSignatureException` (not about the region) | `clock-skew` |
 * | `SERVER_ERROR` (anything else)                  | `aws-service`                                |
 * | `TIMEOUT`, `FRESHNESS_TIMEOUT`                  | `aws-timeout`                                |
 * | `CAMERA_ACCESS_ERROR`                           | `camera-denied` / `camera-not-found` / `camera-not-readable` / `camera-error` |
 * | `DEFAULT_CAMERA_NOT_FOUND_ERROR`                | `camera-not-found`                           |
 * | `CAMERA_FRAMERATE_ERROR`                        | `camera-too-weak`                            |
 * | `FACE_DISTANCE_ERROR`                           | `face-distance`                              |
 * | `MULTIPLE_FACES_ERROR`                          | `multiple-faces`                             |
 * | `RUNTIME_ERROR`, `MOBILE_LANDSCAPE_ERROR`, anything else | `aws-runtime`                       |
 */
export function detectorErrorCode(
  error: AwsDetectorError,
  online = typeof navigator === 'undefined' || navigator.onLine !== false,
): string {
  const { state, name, message } = error;
  const text = `${name} ${message}`;
  const signature = name === 'InvalidSignatureException' || /InvalidSignatureException/.test(message);
  if (CLOCK_SKEW.test(text) || (signature && !REGION.test(message))) return 'clock-skew';
  switch (state) {
    case 'CONNECTION_TIMEOUT':
      return 'aws-unreachable';
    case 'SERVER_ERROR':
      return !online || NETWORK.test(text) ? 'aws-unreachable' : 'aws-service';
    case 'TIMEOUT':
    case 'FRESHNESS_TIMEOUT':
      return 'aws-timeout';
    case 'CAMERA_ACCESS_ERROR':
      return cameraAccessCode(message);
    case 'DEFAULT_CAMERA_NOT_FOUND_ERROR':
      return 'camera-not-found';
    case 'CAMERA_FRAMERATE_ERROR':
      return 'camera-too-weak';
    case 'FACE_DISTANCE_ERROR':
      return 'face-distance';
    case 'MULTIPLE_FACES_ERROR':
      return 'multiple-faces';
    default:
      return 'aws-runtime';
  }
}

/**
 * The kiosk's code for a failed `liveness_credentials` command. Its `CommandError` (`code: 'aws'`) carries the
 * AWS code in brackets (`[aws-unreachable] …`): STS out of reach is `aws-unreachable`, a refused clock
 * `clock-skew`; anything else (not the AWS backend, no role, the HTTP bridge, a malformed answer) is
 * `aws-credentials`. Credentials that look expired when issued are `clock-skew` ({@link CredentialsError}).
 */
export function credentialsErrorCode(error: unknown): string {
  if (error instanceof CredentialsError) return error.code;
  const detail = (error as { detail?: unknown } | null)?.detail;
  const code = typeof detail === 'string' ? /^\s*\[([a-z0-9-]+)\]/.exec(detail)?.[1] : undefined;
  if (code === 'aws-unreachable') return 'aws-unreachable';
  if (code === 'aws-clock-skew') return 'clock-skew';
  return 'aws-credentials';
}

/** Codes after which trying again cannot help in the AWS mode: the customer is sent to staff. */
export const AWS_FINAL_CODES: ReadonlySet<string> = new Set([
  'too-many-attempts',
  'clock-skew',
  'aws-assets',
  'aws-endpoint-invalid',
  'provider-unavailable',
  'engine-unavailable',
  'camera-too-weak',
  'camera-unsupported',
]);
