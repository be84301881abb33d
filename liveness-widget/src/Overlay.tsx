import type { CSSProperties } from 'react';
import type { OvalTarget } from '../../ui/src/app/ipc/bindings/OvalTarget';

/** How much wider than the target face box the oval is drawn, and how much taller than wide. */
const OVAL_MARGIN = 1.1;
const OVAL_ASPECT = 1.3;

/**
 * Where to draw an oval on the mirrored preview, in the video's pixels: the target is in camera coordinates, the
 * preview is mirrored, so x becomes 1 - x. The oval is a little wider than the face box and 1.3 times taller.
 */
export function ovalGeometry(oval: OvalTarget, width: number, height: number) {
  const rx = (oval.width * width * OVAL_MARGIN) / 2;
  return { cx: (1 - oval.centerX) * width, cy: oval.centerY * height, rx, ry: rx * OVAL_ASPECT };
}

export interface OverlayProps {
  /** The video's size in pixels (the SVG's user space, laid out like the video's `object-fit: contain`). */
  width: number;
  height: number;
  oval: OvalTarget | null;
  /** `small` or `large`, for `data-oval`. */
  size: 'small' | 'large';
  /** The face is in place: the outline turns green. */
  fit: boolean;
  /** The flash colour (`#rrggbb`) painted around the oval, or null for the usual shade. */
  flash: string | null;
  maskId: string;
  label: string;
}

/**
 * Draws the oval over the preview, with everything around it shaded, or filled with the flash colour: the oval
 * stays a window onto the camera. The shade reaches far past the picture so that it also covers any letterbox.
 */
export function Overlay({ width, height, oval, size, fit, flash, maskId, label }: OverlayProps) {
  const outside = { x: -2 * width, y: -2 * height, width: 5 * width, height: 5 * height };
  const geometry = oval ? ovalGeometry(oval, width, height) : null;
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="xMidYMid meet"
      role="img"
      aria-label={label}
      style={styles.svg}
    >
      <defs>
        <mask id={maskId} maskUnits="userSpaceOnUse" {...outside}>
          <rect {...outside} fill="#fff" />
          {geometry && <ellipse {...geometry} fill="#000" />}
        </mask>
      </defs>
      <rect {...outside} data-part="surround" fill={flash ?? 'rgba(0, 0, 0, 0.55)'} mask={`url(#${maskId})`} />
      {geometry && (
        <ellipse
          {...geometry}
          data-oval={size}
          fill="none"
          stroke={fit ? '#2ecc71' : '#ffffff'}
          strokeWidth={Math.max(2, width * 0.006)}
        />
      )}
    </svg>
  );
}

const styles = {
  svg: { position: 'absolute', inset: 0, width: '100%', height: '100%', overflow: 'hidden', pointerEvents: 'none' },
} satisfies Record<string, CSSProperties>;
