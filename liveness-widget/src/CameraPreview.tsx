import { useRef, type CSSProperties } from 'react';
import { resolveLang, texts } from './i18n';
import { useCamera } from './useCamera';

/** Props of the preview mode (a subset of the element's). */
export interface CameraPreviewProps {
  /** `MediaDeviceInfo.deviceId` of the camera; empty or absent means the default camera. */
  cameraId?: string;
  /** `pt-BR` (default) or `en`. */
  lang?: string;
  /** The custom element itself (given by r2wc); the camera events are dispatched on it. */
  container?: HTMLElement;
}

/**
 * `mode="preview"`: only the live, mirrored preview of the chosen camera with a spoken status line and the
 * camera events (staff screens that check the camera). No session, nothing sent anywhere.
 */
export function CameraPreview({ cameraId, lang, container }: CameraPreviewProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const language = resolveLang(lang);
  const t = texts[language];
  const status = useCamera({ videoRef, cameraId, container });

  const failed = status !== 'opening' && status !== 'live';
  return (
    <div lang={language} data-mode="preview" style={styles.root}>
      <video ref={videoRef} aria-label={t.preview} autoPlay muted playsInline style={styles.video} />
      <p role="status" aria-live="polite" style={failed ? { ...styles.status, ...styles.failed } : styles.status}>
        {t.status[status]}
      </p>
    </div>
  );
}

const styles = {
  root: { display: 'flex', flexDirection: 'column', gap: '0.75rem', fontFamily: 'system-ui, sans-serif' },
  video: {
    display: 'block',
    width: '100%',
    aspectRatio: '16 / 9',
    objectFit: 'contain',
    background: '#000',
    borderRadius: '8px',
    transform: 'scaleX(-1)',
  },
  status: {
    margin: 0,
    padding: '0.75rem 1rem',
    fontSize: '1.5rem',
    lineHeight: 1.4,
    color: '#fff',
    background: '#1a1a1a',
    borderLeft: '0.5rem solid #2e7d32',
    borderRadius: '8px',
  },
  failed: { borderLeftColor: '#ffb300' },
} satisfies Record<string, CSSProperties>;
