/** Styles for the detector's shadow root, after Amplify's own. */
const HOST_CSS = `
:host { display: block; color: #111111; background: #ffffff; }
.amplify-liveness-detector { width: 100%; }
`;

/**
 * Amplify's stylesheet made for a shadow root: its theme variables are declared on `:root`, which matches nothing
 * inside a shadow tree, so they go on `:host`. Its page-wide rules (`html`, `body`, `*`) then stay inside the
 * shadow root instead of restyling the kiosk's pages.
 */
export function shadowCss(amplifyCss: string): string {
  return `${amplifyCss.replace(/:root\b/g, ':host')}\n${HOST_CSS}`;
}

let shared: CSSStyleSheet | null = null;
const styled = new WeakSet<ShadowRoot>();

/**
 * Gives a shadow root the detector's styles once: a constructable stylesheet (`adoptedStyleSheets`, no `<style>`
 * element, so a CSP without `'unsafe-inline'` in `style-src` allows it), or a `<style>` element where the engine
 * has no constructable stylesheets (that one needs `style-src 'unsafe-inline'`, which the kiosk's CSP has).
 */
export function adoptStyles(shadow: ShadowRoot, amplifyCss: string): void {
  if (styled.has(shadow)) return;
  styled.add(shadow);
  const text = shadowCss(amplifyCss);
  if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!shared) {
      shared = new CSSStyleSheet();
      shared.replaceSync(text);
    }
    shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, shared];
  } else {
    const style = shadow.ownerDocument.createElement('style');
    style.textContent = text;
    shadow.prepend(style);
  }
}
