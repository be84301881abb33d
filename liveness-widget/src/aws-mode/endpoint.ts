/**
 * The `aws-endpoint` attribute: the Rekognition streaming endpoint the detector connects to instead of the
 * region's public one (`wss://streaming-rekognition.<region>.amazonaws.com`), e.g. a bank's private (VPC interface)
 * or FIPS endpoint. It becomes Amplify's `config.endpointOverride`.
 *
 * Amplify (3.6.8) hands it to the AWS SDK as the endpoint (`new URL(endpointOverride)`), which then appends the
 * operation's path (`/start-face-liveness-session`, plus `-websocket`) to the URL's own path, and keeps its query.
 * So the value is an origin only: `wss://host[:port]` (a trailing `/` is allowed); a value carrying the path
 * `/start-face-liveness-session-websocket` would have it twice.
 */

/** Why a value is not an endpoint (for staff: never shown, the customer sees `aws-endpoint-invalid`). */
export class EndpointError extends Error {}

/**
 * The endpoint to give Amplify, normalised to `wss://host[:port]`; undefined when the attribute is absent or empty
 * (Amplify then uses the region's public endpoint). Throws {@link EndpointError} for anything but a `wss:` URL
 * without user name, password, path, query or fragment.
 */
export function parseAwsEndpoint(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EndpointError('not an absolute URL');
  }
  if (url.protocol !== 'wss:') throw new EndpointError(`scheme ${url.protocol} (only wss: is accepted)`);
  if (!url.hostname) throw new EndpointError('no host');
  if (url.username || url.password) throw new EndpointError('a user name or password');
  if (url.pathname !== '/' && url.pathname !== '') throw new EndpointError('a path (Amplify appends its own)');
  if (url.search || text.includes('?')) throw new EndpointError('a query');
  if (url.hash || text.includes('#')) throw new EndpointError('a fragment');
  return `wss://${url.host}`;
}
