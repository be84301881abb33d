import { FaceLivenessDetectorCore, type FaceLivenessDetectorCoreProps } from '@aws-amplify/ui-react-liveness';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { AwsDetectorError, AwsMountOptions } from '../aws-mode/api';
import { displayTextFor } from './displayText';

type LivenessError = Parameters<NonNullable<FaceLivenessDetectorCoreProps['onError']>>[0];
type CoreConfig = NonNullable<FaceLivenessDetectorCoreProps['config']>;

/** The kiosk's intro already showed the photosensitivity warning (with the option to be helped by staff). */
const components = { PhotosensitiveWarning: () => null };

/** Where the detector loads TF.js's WebAssembly binaries from (a folder: it must end with `/`). */
export const wasmFolder = (assetsUrl: string) => `${assetsUrl}tfjs-backend-wasm/`;
/** The BlazeFace short-range graph model (its weights are found relative to it). */
export const faceModelUrl = (assetsUrl: string) => `${assetsUrl}face-detection-short/facemesh-detection-short.json`;

/**
 * Reduces Amplify's `LivenessError` to its state, name and message (an `Error`, or the plain object of a service
 * exception with `Message`). Nothing else of it leaves the AWS bundle.
 */
export function detectorError(livenessError: LivenessError): AwsDetectorError {
  const error = livenessError?.error as unknown;
  const fields = (error ?? {}) as { name?: unknown; message?: unknown; Message?: unknown };
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    state: text(livenessError?.state),
    name: text(fields.name),
    message: typeof error === 'string' ? error : text(fields.message) || text(fields.Message),
  };
}

/**
 * The Amplify `FaceLivenessDetectorCore` for one session, with the app's own assets (never Amazon's CDN), the
 * kiosk's credentials, its camera and texts. Amplify keeps the props of its first render in its state machine,
 * so the callbacks go through a ref that always holds the latest options.
 */
export function AwsDetector(options: AwsMountOptions) {
  const { sessionId, region, lang, cameraId, endpoint, assetsUrl } = options;
  const latest = useRef(options);
  useLayoutEffect(() => {
    latest.current = options;
  });
  const config = useMemo<CoreConfig>(
    () => ({
      binaryPath: wasmFolder(assetsUrl),
      faceModelUrl: faceModelUrl(assetsUrl),
      credentialProvider: () => latest.current.credentialProvider(),
      ...(cameraId ? { deviceId: cameraId } : {}),
      // Amplify appends /start-face-liveness-session-websocket to it (see aws-mode/endpoint.ts).
      ...(endpoint ? { endpointOverride: endpoint } : {}),
    }),
    [assetsUrl, cameraId, endpoint],
  );
  return (
    <FaceLivenessDetectorCore
      sessionId={sessionId}
      region={region}
      config={config}
      // The kiosk showed its own intro (with the photosensitivity warning and the staff option).
      disableStartScreen
      displayText={displayTextFor(lang)}
      components={components}
      onAnalysisComplete={() => Promise.resolve(latest.current.onComplete())}
      onError={(livenessError) => latest.current.onError(detectorError(livenessError))}
      onUserCancel={() => latest.current.onCancel()}
    />
  );
}
