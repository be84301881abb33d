import { Component, effect, inject, input, signal } from '@angular/core';
import type { QrCode as QrModules } from '../ipc/bindings/QrCode';
import { KioskApi } from '../ipc/kiosk-api';

/**
 * What a phone should open for a DPO contact: `mailto:` for an e-mail address, `tel:` for a phone
 * number (digits and a leading +), the address itself for a web address (`https://` added to a bare
 * `www.`) or one already `mailto:`/`tel:`, and the text as it is otherwise.
 */
export function contactUri(contact: string): string {
  const text = contact.trim();
  if (/^(mailto|tel):/i.test(text)) return text;
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return `mailto:${text}`;
  if (/^https?:\/\//i.test(text)) return text;
  if (/^www\./i.test(text)) return `https://${text}`;
  if (/^\+?[\d\s().-]+$/.test(text) && text.replace(/\D/g, '').length >= 8) {
    return `tel:${text.startsWith('+') ? '+' : ''}${text.replace(/\D/g, '')}`;
  }
  return text;
}

/** Modules of white margin around the code (the standard's quiet zone). */
const QUIET_ZONE = 4;

/**
 * `text` as a QR code the customer's phone can read (the backend encodes it; nothing leaves the
 * kiosk), drawn as one SVG path, black on white in every display mode. The text itself is always
 * shown next to it by the screen: the code is a convenience, never the only way (`label` names it
 * for screen readers). Draws nothing when the text cannot be encoded.
 */
@Component({
  selector: 'app-qr-code',
  template: `
    @if (code(); as qr) {
      <svg
        class="qr"
        role="img"
        data-testid="qr-code"
        [attr.aria-label]="label()"
        [attr.data-text]="text()"
        [attr.viewBox]="viewBox(qr)"
        shape-rendering="crispEdges"
      >
        <rect
          [attr.x]="-quiet"
          [attr.y]="-quiet"
          [attr.width]="side(qr)"
          [attr.height]="side(qr)"
          fill="#fff"
        />
        <path [attr.d]="qr.path" fill="#000" />
      </svg>
    }
  `,
  styles: `
    :host {
      display: inline-block;
      line-height: 0;
    }
    .qr {
      width: var(--qr-size, 9rem);
      height: var(--qr-size, 9rem);
      background: #fff;
    }
  `,
})
export class QrCode {
  private readonly api = inject(KioskApi);
  /** What the code says. */
  readonly text = input.required<string>();
  /** What the code is, for screen readers ("protocol as a QR code"). */
  readonly label = input.required<string>();
  protected readonly code = signal<QrModules | null>(null);
  protected readonly quiet = QUIET_ZONE;

  constructor() {
    effect((onCleanup) => {
      const text = this.text();
      let current = true;
      onCleanup(() => (current = false));
      this.code.set(null);
      this.api.qrCode(text).then(
        (code) => current && this.code.set(code),
        () => current && this.code.set(null),
      );
    });
  }

  protected side(code: QrModules): number {
    return code.size + 2 * QUIET_ZONE;
  }

  protected viewBox(code: QrModules): string {
    return `${-QUIET_ZONE} ${-QUIET_ZONE} ${this.side(code)} ${this.side(code)}`;
  }
}
