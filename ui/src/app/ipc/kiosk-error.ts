import type { CommandError } from './bindings/CommandError';
import type { ErrorCode } from './bindings/ErrorCode';

/** Every code the backend may reject with; typed so that a new Rust code fails the build here. */
const KNOWN_CODES: Record<ErrorCode, true> = {
  invalidInput: true,
  settingsStore: true,
  storage: true,
  aws: true,
  liveness: true,
  visit: true,
  staff: true,
  speech: true,
  internal: true,
};

/** Failure of a kiosk command: a backend `CommandError`, or `unknown` for any other rejection. */
export class KioskError extends Error {
  constructor(
    readonly code: ErrorCode | 'unknown',
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'KioskError';
  }

  /** Translation key of the message shown to people. */
  get messageKey(): string {
    return `errors.${this.code}`;
  }

  /**
   * The refusal code in the detail's leading `[code]` (`[no-portrait] …` → `no-portrait`) when
   * the error has the given `code` (`visit`, `staff`, `liveness`, `aws`); `null` otherwise.
   */
  refusal(code: ErrorCode): string | null {
    if (this.code !== code) {
      return null;
    }
    return /^\[([a-z0-9-]+)\]/.exec(this.detail)?.[1] ?? null;
  }
}

/** Turns anything a command rejected with (or a `KioskError`) into a `KioskError`. */
export function toKioskError(reason: unknown): KioskError {
  if (reason instanceof KioskError) {
    return reason;
  }
  if (isCommandError(reason)) {
    const code = Object.hasOwn(KNOWN_CODES, reason.code) ? reason.code : 'unknown';
    return new KioskError(code, reason.detail);
  }
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new KioskError('unknown', detail);
}

function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const { code, detail } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof detail === 'string';
}
