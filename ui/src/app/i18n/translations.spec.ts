import type { CameraState } from '../ipc/bindings/CameraState';
import type { CustomerOutcome } from '../ipc/bindings/CustomerOutcome';
import type { DocumentHint } from '../ipc/bindings/DocumentHint';
import type { DocumentSources } from '../ipc/bindings/DocumentSources';
import type { ErrorCode } from '../ipc/bindings/ErrorCode';
import type { HealthCheckId } from '../ipc/bindings/HealthCheckId';
import type { HealthStatus } from '../ipc/bindings/HealthStatus';
import { INBOX_REFUSALS } from '../settings/settings-form';
import { documentSourceKey } from '../visit/visit-document';
import { TRANSLATIONS } from './translations';

/** `[dotted path, text]` of every string in a translation table. */
function entriesOf(table: object, prefix = ''): [string, unknown][] {
  return Object.entries(table).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null
      ? entriesOf(value, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value] as [string, unknown]],
  );
}

function keysOf(table: object): string[] {
  return entriesOf(table).map(([key]) => key);
}

// Exhaustive over the generated types: a new Rust variant fails to compile here until listed.
const CHECK_IDS: Record<HealthCheckId, true> = {
  dataDir: true,
  logDir: true,
  diskSpace: true,
  settingsStore: true,
  backend: true,
  evidenceKey: true,
  camera: true,
  documentParsing: true,
  awsSync: true,
  models: true,
  livenessAttempts: true,
};
const STATUSES: Record<HealthStatus, true> = { ok: true, warning: true, failing: true };
const ERROR_CODES: Record<ErrorCode | 'unknown', true> = {
  invalidInput: true,
  settingsStore: true,
  storage: true,
  aws: true,
  liveness: true,
  visit: true,
  staff: true,
  speech: true,
  internal: true,
  unknown: true,
};
const DOCUMENT_HINTS: Record<DocumentHint, true> = {
  ready: true,
  'no-portrait': true,
  blurred: true,
  glare: true,
  'too-dark': true,
};
const DOCUMENT_SOURCES: Record<keyof DocumentSources, true> = {
  removableMedia: true,
  camera: true,
  scanner: true,
  inbox: true,
};
const OUTCOMES: Record<CustomerOutcome, true> = { approved: true, rejected: true, review: true };
const CAMERA_STATES: Record<CameraState, true> = {
  unknown: true,
  live: true,
  denied: true,
  notFound: true,
  notReadable: true,
  error: true,
};

describe('translations', () => {
  it('pt-BR and en have exactly the same keys', () => {
    expect(keysOf(TRANSLATIONS.en).sort()).toEqual(keysOf(TRANSLATIONS['pt-BR']).sort());
  });

  it('translate every value the backend can send', () => {
    const required = [
      ...Object.keys(CHECK_IDS).map((id) => `health.check.${id}`),
      ...Object.keys(STATUSES).map((status) => `health.status.${status}`),
      ...Object.keys(ERROR_CODES).map((code) => `errors.${code}`),
      ...Object.keys(CAMERA_STATES).map((state) => `camera.state.${state}`),
      'status.backend.embedded',
      'status.backend.aws',
      ...Object.keys(DOCUMENT_HINTS).map((hint) => `visit.document.hint.${hint}`),
      ...Object.keys(DOCUMENT_SOURCES).map((source) =>
        documentSourceKey(source as keyof DocumentSources),
      ),
      ...Object.keys(OUTCOMES).map((outcome) => `visit.result.${outcome}`),
      ...Object.keys(OUTCOMES).map((outcome) => `visit.result.next.${outcome}`),
      ...INBOX_REFUSALS.map((code) => `settings.invalid.inbox.${code}`),
    ];
    for (const table of Object.values(TRANSLATIONS)) {
      expect(keysOf(table)).toEqual(expect.arrayContaining(required));
    }
  });

  it('hold only non-empty strings', () => {
    for (const table of Object.values(TRANSLATIONS)) {
      const invalid = entriesOf(table).filter(([, text]) => typeof text !== 'string' || !text);
      expect(invalid).toEqual([]);
    }
  });
});
