// axe-core (the pinned devDependency) inside the real app: injected through WebDriver, run on the
// page as shown, WCAG 2.0-2.2 A and AA rules. Shared by the accessibility tests.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** The axe-core version the scans ran (recorded with each report). */
export const AXE_VERSION = JSON.parse(
  readFileSync(require.resolve('axe-core/package.json'), 'utf8'),
).version;

/** The WCAG rule sets scanned. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe on the page shown; resolves to `{ violations, incomplete }`, each a list of
 * `{ id, impact, help, nodes, targets }` (at most five targets each). `incomplete` is what axe could
 * not decide (contrast over a gradient or an image, say): for a person to check.
 */
export async function axeScan(driver) {
  const loaded = await driver.executeScript(`
    if (!window.axe) { ${AXE_SOURCE}\n }
    return typeof window.axe === 'object';`);
  if (!loaded) throw new Error('axe-core did not load in the page');
  const answer = await driver.executeAsyncScript(
    `
    const done = arguments[arguments.length - 1];
    const brief = (list) => list.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
    window.axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations', 'incomplete'] })
      .then((r) => done(JSON.stringify({ violations: brief(r.violations), incomplete: brief(r.incomplete) })))
      .catch((e) => done('ERROR ' + e));`,
    WCAG_TAGS,
  );
  if (typeof answer !== 'string' || answer.startsWith('ERROR'))
    throw new Error(`axe failed: ${answer}`);
  return JSON.parse(answer);
}

/** The violations WCAG conformance cannot have: serious and critical. */
export function blocking(violations) {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
