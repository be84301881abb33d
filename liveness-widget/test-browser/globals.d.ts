/** What fixtures/host.js records in the test host page. */
interface Window {
  widgetEvents: { type: string; cameraId: string | null; detail: Record<string, unknown> }[];
  cspViolations: string[];
  /** liveness-complete / liveness-error / liveness-cancel, recorded by local-session.test.mjs. */
  livenessEvents: { type: string; detail: Record<string, unknown> }[];
  inlineScriptRan?: boolean;
}
