/** What fixtures/host.js records in the test host page. */
interface Window {
  widgetEvents: { type: string; cameraId: string | null; detail: Record<string, unknown> }[];
  cspViolations: string[];
  /** liveness-complete / liveness-error / liveness-cancel, recorded by local-session.test.mjs and aws-host.js (`at`: Date.now()). */
  livenessEvents: { type: string; detail: Record<string, unknown>; at?: number }[];
  /** Tauri commands the widget invoked, by name (fixtures/aws-host.js). */
  invokes: string[];
  inlineScriptRan?: boolean;
  /** Defined by face-liveness-aws.js once the widget loaded it. */
  DayFusionAwsLiveness?: { mount: unknown };
  /** The fake Tauri IPC of fixtures/aws-host.js. */
  __TAURI_INTERNALS__?: { invoke(cmd: string): Promise<unknown> };
}
