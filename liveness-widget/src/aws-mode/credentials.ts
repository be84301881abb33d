import type { LivenessCredentials } from '../../../ui/src/app/ipc/bindings/LivenessCredentials';
import type { AwsCredentials } from './api';
import { EndpointError, parseAwsEndpoint } from './endpoint';
import { FACE_LIVENESS_REGIONS, isFaceLivenessRegion } from './regions';

/** Credentials are fetched again when they expire within this margin. */
export const REFRESH_MARGIN_MS = 60_000;

/** Credentials ready for Amplify, and the region they (and the session) belong to. */
export interface IssuedCredentials {
  credentials: AwsCredentials;
  region: string;
  /**
   * The host's streaming endpoint (`wss://host[:port]`, e.g. the kiosk's private VPC endpoint), which its CSP
   * allows; absent = the region's public one. A page's `aws-endpoint` attribute takes precedence.
   */
  endpoint?: string;
}

/** Why credentials are unusable; `code` is a kiosk error code. */
export class CredentialsError extends Error {
  constructor(
    readonly code: 'aws-credentials' | 'clock-skew' | 'aws-endpoint-invalid',
    detail: string,
  ) {
    super(detail);
    this.name = 'CredentialsError';
  }
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Checks the command's answer and turns `expiration` (RFC 3339) into a Date. The values are never in a message. */
export function parseCredentials(raw: LivenessCredentials): IssuedCredentials {
  const { accessKeyId, secretAccessKey, sessionToken, expiration, region } = (raw ?? {}) as Partial<LivenessCredentials>;
  const expires = nonEmpty(expiration) ? new Date(expiration) : null;
  if (!nonEmpty(accessKeyId) || !nonEmpty(secretAccessKey) || !nonEmpty(sessionToken) || !nonEmpty(region)) {
    throw new CredentialsError('aws-credentials', 'liveness_credentials answered without a key, secret, token or region');
  }
  if (!expires || Number.isNaN(expires.getTime())) {
    throw new CredentialsError('aws-credentials', 'liveness_credentials answered without a valid RFC 3339 expiration');
  }
  // Where the stream would go: a region without Face Liveness, or an endpoint that is not a wss: origin, is the
  // kiosk's configuration (staff), not something a retry mends.
  if (!isFaceLivenessRegion(region)) {
    throw new CredentialsError(
      'aws-endpoint-invalid',
      `region ${region} has no Face Liveness (${FACE_LIVENESS_REGIONS.join(', ')})`,
    );
  }
  let endpoint: string | undefined;
  try {
    endpoint = parseAwsEndpoint(raw.endpoint);
  } catch (error) {
    if (!(error instanceof EndpointError)) throw error;
    throw new CredentialsError('aws-endpoint-invalid', `liveness_credentials endpoint: ${error.message}`);
  }
  return {
    credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: expires },
    region,
    ...(endpoint ? { endpoint } : {}),
  };
}

/**
 * The AWS mode's credentials, from the `liveness_credentials` command: fetched once, then answered from memory
 * until they expire within {@link REFRESH_MARGIN_MS}. Concurrent requests share one command call. Fresh
 * credentials that already look expired mean the kiosk's clock is far off (they are valid for minutes when
 * issued): that is `clock-skew`, since AWS would refuse every signature anyway.
 */
export class CredentialCache {
  private current: IssuedCredentials | null = null;
  private pending: Promise<IssuedCredentials> | null = null;
  /** Bumped by {@link clear}, so that an answer still in flight is not kept. */
  private epoch = 0;

  constructor(
    private readonly fetch: () => Promise<LivenessCredentials>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Whether `issued` is still usable for a while. */
  private fresh(issued: IssuedCredentials): boolean {
    return issued.credentials.expiration.getTime() - this.now() > REFRESH_MARGIN_MS;
  }

  /** The cached credentials, or new ones when there are none or they expire within a minute. */
  get(): Promise<IssuedCredentials> {
    if (this.current && this.fresh(this.current)) return Promise.resolve(this.current);
    if (!this.pending) {
      const epoch = this.epoch;
      const request = this.fetch().then((raw) => {
        const issued = parseCredentials(raw);
        if (!this.fresh(issued)) {
          throw new CredentialsError('clock-skew', 'credentials expire within a minute of being issued: the clock is off');
        }
        if (epoch === this.epoch) this.current = issued;
        return issued;
      });
      const settle = () => {
        if (this.pending === request) this.pending = null;
      };
      request.then(settle, settle);
      this.pending = request;
    }
    return this.pending;
  }

  /**
   * Keeps `raw` (credentials that came with a session from the host's hook) as the current ones; throws a
   * {@link CredentialsError} when they are malformed or already (about to be) expired.
   */
  offer(raw: LivenessCredentials): IssuedCredentials {
    const issued = parseCredentials(raw);
    if (!this.fresh(issued)) {
      throw new CredentialsError('clock-skew', 'credentials expire within a minute of being issued: the clock is off');
    }
    this.epoch++;
    this.pending = null;
    this.current = issued;
    return issued;
  }

  /** Forgets the credentials (the check ended, was cancelled or the element was removed). */
  clear(): void {
    this.epoch++;
    this.current = null;
    this.pending = null;
  }
}
