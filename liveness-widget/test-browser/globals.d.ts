/** What fixtures/host.js records in the test host page. */
interface Window {
  widgetEvents: { type: string; cameraId: string | null; detail: Record<string, unknown> }[];
  cspViolations: string[];
  inlineScriptRan?: boolean;
}
