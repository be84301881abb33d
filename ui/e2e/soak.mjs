#!/usr/bin/env node
// Soak run (issue 21): a kiosk as it lives all day. ONE kiosk session under WebDriver (embedded
// backend, real face models, the canvas camera of kiosk-flow.test.mjs) runs SOAK_VISITS (100)
// consecutive whole customer visits, each from the attract screen to a decision checked against
// SQLite and back to the attract screen (visit-steps.mjs `wholeVisit`, languages alternating
// pt-BR / en). After each visit (and once before the first, "visit 0") it samples the Rust app
// process (dayfusion-kiosk) and every process below it (WebKitWebProcess, WebKitNetworkProcess,
// any sandbox helper) from /proc: VmRSS and Threads (status), PSS (smaps_rollup) and open file
// descriptors (the entries of fd/).
//
// Out (target/soak/, or SOAK_OUT): soak.csv (one row per visit and process), soak.svg (RSS and open
// fds per process against the visit number), summary.json, and a text table of every 10th visit
// on standard output. A standalone script (not *.test.mjs, so outside the regular test run):
// `make soak`, or `node ui/e2e/soak.mjs` with tauri-driver on PATH once the app is built.
//
// Verdict (exit 1 with the reason when it fails):
//  - every visit must reach a decision and come back to the attract screen (the run stops at the
//    first one that does not);
//  - the first 10 visits are warm-up (caches, JIT, the models' first allocations, the SQLite
//    page cache) and are not judged; the BASELINE is the median of the next 10 visits (11-20)
//    and the FINAL the median of the last 10 visits (91-100); medians, so one garbage
//    collection or a malloc arena's sawtooth in a single sample decides nothing;
//  - per process, RSS may grow from BASELINE to FINAL by at most max(25 % of the baseline,
//    60 MiB). 60 MiB is above the swing of the JavaScript heap (garbage collected when WebKit
//    decides) and of the allocator's arenas between two samples of a debug build, so noise alone
//    never fails the run; the 25 % keeps the bound proportionate for a web process of several
//    hundred MiB. Spread over the 80 visits between the windows, the bound catches any leak of
//    more than 0.75 MiB per visit in a process under 240 MiB (one 640x480 RGBA camera frame is
//    1.2 MiB), or of more than 0.3 % of the baseline per visit in a larger one; the summary also
//    gives each process's least-squares RSS slope (KiB per visit, after the warm-up);
//  - per process, open fds may grow by at most 10 (a leaked file, socket, pipe, eventfd or
//    memfd per visit shows as about 80 more);
//  - threads are reported (a growth of more than 10 is printed as a warning) but not judged.
// With fewer than 30 visits the windows shrink to a third of the run each (a smoke run of 3:
// visit 1 warm-up, visit 2 baseline, visit 3 final); with fewer than 3 nothing is judged.

import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  APP, ROOT, launchKioskWithWebDriver, modelsDir, requireApp, screenshotDisplay, tempDataDir, waitFor,
} from './harness.mjs';
import { composeCard } from './id-card.mjs';
import { installTestCamera, seedSettings, visible, visitSteps } from './visit-steps.mjs';

const VISITS = Number.parseInt(process.env.SOAK_VISITS ?? '100', 10);
const OUT = process.env.SOAK_OUT ?? path.join(ROOT, 'target/soak');
/** Pause at the attract screen before each sample (the result screen's teardown settles). */
const SETTLE_MS = Number.parseInt(process.env.SOAK_SETTLE_MS ?? '2000', 10);
const RSS_BOUND_PCT = 25;
const RSS_BOUND_MIB = 60;
const FD_BOUND = 10;
const THREAD_WARN = 10;
/** Warm-up and window length for a run of `n` visits (10 each from 30 visits on). */
const windowFor = (n) => (n >= 30 ? 10 : Math.floor(n / 3));
const LANGS = ['pt-BR', 'en'];
const SHORT = {
  'dayfusion-kiosk': 'kiosk', WebKitWebProcess: 'web', WebKitNetworkProcess: 'net', WebKitGPUProcess: 'gpu',
};

if (!Number.isInteger(VISITS) || VISITS < 1) throw new Error(`SOAK_VISITS must be a positive integer, not ${VISITS}`);

// ---- /proc -------------------------------------------------------------------------------

const readText = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** `{ pid: ppid }` of every process now. */
function parents() {
  const map = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    // The command name sits in parentheses and may hold spaces: the ppid is the 2nd field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    map.set(Number(entry), ppid);
  }
  return map;
}

/** The name of a process: its executable's file name (argv[0]'s when the link is unreadable). */
function processName(pid) {
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    const argv0 = readText(`/proc/${pid}/cmdline`)?.split('\0')[0];
    return argv0 ? path.basename(argv0) : `pid-${pid}`;
  }
}

/** The app process of this run: a dayfusion-kiosk whose environment names our data folder. */
function findKiosk(dataDir) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (processName(entry) !== 'dayfusion-kiosk') continue;
    const environ = readText(`/proc/${entry}/environ`);
    if (environ?.split('\0').includes(`DAYFUSION_DATA_DIR=${dataDir}`)) return Number(entry);
  }
  return null;
}

/** `root` and every process below it, in pid order. */
function descendants(root) {
  const children = new Map();
  for (const [pid, ppid] of parents()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const all = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    all.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [root, ...all.slice(1).sort((a, b) => a - b)];
}

/** Memory, fds and threads of one process (`null` once it is gone). */
function measure(pid) {
  const status = readText(`/proc/${pid}/status`);
  if (!status) return null;
  const field = (text, name) => {
    const m = text?.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : null;
  };
  let fds = null;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // not ours to read
  }
  return {
    pid,
    name: processName(pid),
    rssKiB: field(status, 'VmRSS'),
    pssKiB: field(readText(`/proc/${pid}/smaps_rollup`), 'Pss'),
    fds,
    threads: field(status, 'Threads'),
  };
}

/** One sample of the app and its processes, keyed by name (`WebKitWebProcess#2` for a second one). */
export function sample(kioskPid) {
  const byName = {};
  for (const pid of descendants(kioskPid)) {
    const m = measure(pid);
    if (!m) continue;
    let key = m.name;
    for (let n = 2; byName[key]; n += 1) key = `${m.name}#${n}`;
    byName[key] = m;
  }
  return byName;
}

/** The process names seen in `rows`: the app first, then WebKit's web and network processes, then the rest. */
function processNames(rows) {
  const rank = (n) => {
    const i = ['dayfusion-kiosk', 'WebKitWebProcess', 'WebKitNetworkProcess'].indexOf(n.replace(/#\d+$/, ''));
    return i < 0 ? 3 : i;
  };
  return [...new Set(rows.flatMap((r) => Object.keys(r.procs)))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

// ---- statistics --------------------------------------------------------------------------

const median = (values) => {
  const v = values.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

/** Least-squares slope of `points` ([x, y]). */
function slope(points) {
  const p = points.filter(([, y]) => y != null);
  if (p.length < 2) return null;
  const mx = p.reduce((s, [x]) => s + x, 0) / p.length;
  const my = p.reduce((s, [, y]) => s + y, 0) / p.length;
  const num = p.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = p.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : null;
}

const mib = (kib) => (kib == null ? null : Math.round((kib / 1024) * 10) / 10);

/** Judges each process over `rows` (the samples after visits 1..done). */
export function judge(rows, done) {
  const windowLen = windowFor(done);
  const warmUp = windowLen;
  const verdict = { judged: false, warmUpVisits: warmUp, window: windowLen, failures: [], warnings: [], processes: {} };
  if (windowLen < 1) {
    verdict.note = `too few visits to judge growth (${done}; need 3)`;
    return verdict;
  }
  verdict.judged = true;
  const baseVisits = [warmUp + 1, warmUp + windowLen];
  const finalVisits = [done - windowLen + 1, done];
  verdict.baselineVisits = baseVisits;
  verdict.finalVisits = finalVisits;
  const names = processNames(rows);
  for (const name of names) {
    const series = (metric, from, to) => rows
      .filter((r) => r.visit >= from && r.visit <= to)
      .map((r) => r.procs[name]?.[metric] ?? null);
    const stat = (metric) => {
      const baseline = median(series(metric, ...baseVisits));
      const final = median(series(metric, ...finalVisits));
      return { baseline, final, growth: baseline == null || final == null ? null : final - baseline };
    };
    const rss = stat('rssKiB');
    const pss = stat('pssKiB');
    const fds = stat('fds');
    const threads = stat('threads');
    const pids = [...new Set(rows.map((r) => r.procs[name]?.pid).filter(Boolean))];
    const allowedKiB = rss.baseline == null ? null : Math.max((rss.baseline * RSS_BOUND_PCT) / 100, RSS_BOUND_MIB * 1024);
    const rssOk = rss.growth == null || rss.growth <= allowedKiB;
    const fdsOk = fds.growth == null || fds.growth <= FD_BOUND;
    const rssSlope = slope(rows.filter((r) => r.visit > warmUp).map((r) => [r.visit, r.procs[name]?.rssKiB ?? null]));
    verdict.processes[name] = {
      pids,
      rss: {
        baselineMiB: mib(rss.baseline), finalMiB: mib(rss.final), growthMiB: mib(rss.growth),
        growthPct: rss.baseline ? Math.round((rss.growth / rss.baseline) * 1000) / 10 : null,
        allowedMiB: mib(allowedKiB), slopeKiBPerVisit: rssSlope == null ? null : Math.round(rssSlope * 10) / 10,
        ok: rssOk,
      },
      pss: { baselineMiB: mib(pss.baseline), finalMiB: mib(pss.final), growthMiB: mib(pss.growth) },
      fds: { baseline: fds.baseline, final: fds.final, growth: fds.growth, allowed: FD_BOUND, ok: fdsOk },
      threads: { baseline: threads.baseline, final: threads.final, growth: threads.growth },
    };
    if (pids.length > 1) verdict.warnings.push(`${name}: ${pids.length} different pids during the run (${pids.join(', ')})`);
    if (!rssOk) {
      verdict.failures.push(`${name}: RSS grew ${mib(rss.growth)} MiB (${mib(rss.baseline)} → ${mib(rss.final)} MiB, `
        + `median of visits ${baseVisits.join('-')} → ${finalVisits.join('-')}), over the bound of ${mib(allowedKiB)} MiB`);
    }
    if (!fdsOk) {
      verdict.failures.push(`${name}: open fds grew by ${fds.growth} (${fds.baseline} → ${fds.final}), over the bound of ${FD_BOUND}`);
    }
    if (threads.growth != null && threads.growth > THREAD_WARN) {
      verdict.warnings.push(`${name}: threads grew by ${threads.growth} (${threads.baseline} → ${threads.final})`);
    }
  }
  return verdict;
}

// ---- output ------------------------------------------------------------------------------

export function writeCsv(rows) {
  const lines = ['visit,time,visit_ms,outcome,reasons,lang,process,pid,rss_kib,pss_kib,fds,threads'];
  for (const r of rows) {
    for (const [name, m] of Object.entries(r.procs)) {
      lines.push([r.visit, r.time, r.visitMs ?? '', r.outcome ?? '', r.reasons ?? '', r.lang ?? '', name, m.pid,
        m.rssKiB ?? '', m.pssKiB ?? '', m.fds ?? '', m.threads ?? ''].join(','));
    }
  }
  writeFileSync(path.join(OUT, 'soak.csv'), `${lines.join('\n')}\n`);
}

const PALETTE = ['#1d4f91', '#c0392b', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#2c3e50'];
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A round step for about `n` ticks over `span`. */
function tickStep(span, n = 5) {
  const raw = span / n || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
}

/** One line chart (a `<g>`) of `metric` per process against the visit number. */
function panel(rows, names, { metric, scale, unit, title, top, width, height }) {
  const left = 70;
  const windowLen = windowFor(Math.max(...rows.map((r) => r.visit)));
  const warmUp = windowLen;
  const right = width - 190;
  const bottom = top + height;
  const maxVisit = Math.max(1, ...rows.map((r) => r.visit));
  const values = rows.flatMap((r) => names.map((n) => r.procs[n]?.[metric])).filter((v) => v != null).map((v) => v * scale);
  const maxY = Math.max(1, ...values) * 1.08;
  const x = (v) => left + ((right - left) * v) / maxVisit;
  const y = (v) => bottom - (height * v) / maxY;
  const out = [`<g><text x="${left}" y="${top - 10}" font-size="14" font-weight="bold">${esc(title)}</text>`];
  // Warm-up, baseline and final windows.
  if (windowLen >= 1 && maxVisit >= warmUp + 2 * windowLen) {
    const band = (from, to, fill, label) => out.push(
      `<rect x="${x(from - 0.5)}" y="${top}" width="${x(to + 0.5) - x(from - 0.5)}" height="${height}" fill="${fill}"/>`,
      `<text x="${x(from - 0.5) + 2}" y="${top + 12}" font-size="10" fill="#555">${label}</text>`);
    band(0, warmUp, '#eeeeee', 'warm-up');
    band(warmUp + 1, warmUp + windowLen, '#e3eefb', 'baseline');
    band(maxVisit - windowLen + 1, maxVisit, '#fbe9e3', 'final');
  }
  const yStep = tickStep(maxY);
  for (let v = 0; v <= maxY; v += yStep) {
    out.push(`<line x1="${left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${Math.round(v * 10) / 10}</text>`);
  }
  const xStep = tickStep(maxVisit, 10);
  for (let v = 0; v <= maxVisit; v += xStep) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${bottom + 16}" font-size="11" text-anchor="middle">${v}</text>`);
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 32}" font-size="12" text-anchor="middle">visit</text>`,
    `<text x="18" y="${(top + bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 18 ${(top + bottom) / 2})">${esc(unit)}</text>`);
  names.forEach((name, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const points = rows.filter((r) => r.procs[name]?.[metric] != null)
      .map((r) => `${x(r.visit).toFixed(1)},${y(r.procs[name][metric] * scale).toFixed(1)}`);
    if (points.length) {
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${points.join(' ')}"/>`);
      if (points.length === 1) {
        const [px, py] = points[0].split(',');
        out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${colour}"/>`);
      }
    }
    const ly = top + 14 + i * 18;
    out.push(`<line x1="${right + 15}" x2="${right + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${right + 46}" y="${ly}" font-size="12">${esc(name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

export function writeSvg(rows, verdict) {
  const names = processNames(rows);
  const width = 960;
  const status = verdict.judged ? (verdict.failures.length ? 'FAIL' : 'pass') : 'not judged';
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="720" viewBox="0 0 ${width} 720" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="20" y="24" font-size="16" font-weight="bold">DayFusion kiosk soak: ${rows.length - 1} visits, one session (${esc(status)})</text>`,
    `<text x="20" y="42" font-size="11" fill="#555">bound per process: RSS +max(${RSS_BOUND_PCT}%, ${RSS_BOUND_MIB} MiB), fds +${FD_BOUND}; median of visits ${esc(verdict.baselineVisits?.join('-') ?? '-')} vs ${esc(verdict.finalVisits?.join('-') ?? '-')}</text>`,
    panel(rows, names, { metric: 'rssKiB', scale: 1 / 1024, unit: 'RSS (MiB)', title: 'Resident memory per process', top: 80, width, height: 260 }),
    panel(rows, names, { metric: 'fds', scale: 1, unit: 'open fds', title: 'Open file descriptors per process', top: 410, width, height: 250 }),
    '</svg>',
  ];
  writeFileSync(path.join(OUT, 'soak.svg'), `${svg.join('\n')}\n`);
}

/** The text table of visit 0, 1 and every 10th (every visit in a run under 30). */
export function table(rows) {
  const names = processNames(rows)
    .filter((n) => n === 'dayfusion-kiosk' || n.startsWith('WebKit'));
  const step = rows.length > 30 ? 10 : 1;
  const pick = rows.filter((r) => r.visit <= 1 || r.visit % step === 0 || r === rows.at(-1));
  const col = (s, w) => String(s ?? '-').padStart(w);
  const head1 = `${col('visit', 5)} ${col('s', 6)} ${names.map((n) => col(SHORT[n] ?? n, 24)).join('  ')}`;
  const head2 = `${col('', 5)} ${col('', 6)} ${names.map(() => `${col('rss', 6)}${col('pss', 6)}${col('fd', 6)}${col('thr', 6)}`).join('  ')}`;
  const lines = [head1, head2];
  for (const r of pick) {
    lines.push(`${col(r.visit, 5)} ${col(r.visitMs == null ? '-' : (r.visitMs / 1000).toFixed(1), 6)} ${names.map((n) => {
      const m = r.procs[n];
      return `${col(mib(m?.rssKiB)?.toFixed(0), 6)}${col(mib(m?.pssKiB)?.toFixed(0), 6)}${col(m?.fds, 6)}${col(m?.threads, 6)}`;
    }).join('  ')}`);
  }
  return `${lines.join('\n')}\n(rss and pss in MiB; s: seconds for the visit, attract screen to attract screen)`;
}

// ---- the run -----------------------------------------------------------------------------

async function main() {
  requireApp();
  mkdirSync(OUT, { recursive: true });
  const card = composeCard(tempDataDir('soak-files'), 'obama2.jpg');
  let inbox;
  const kiosk = await launchKioskWithWebDriver('soak', ['--windowed', '--mock-camera'], {
    DAYFUSION_MODELS_DIR: modelsDir(),
  }, { prepare: (dir) => { inbox = seedSettings(dir, LANGS[0]); } });
  const { driver, dataDir, display } = kiosk;
  const { wholeVisit } = visitSteps({ shot: async () => {} });
  const rows = [];
  const failures = [];
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    console.error('soak: interrupted; stopping the kiosk');
    await kiosk.stop();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    await visible(driver, 'attract', 60000);
    await installTestCamera(driver);
    const kioskPid = await waitFor(() => findKiosk(dataDir), { timeout: 30000, what: 'the dayfusion-kiosk process' });
    console.log(`soak: ${VISITS} visits, kiosk pid ${kioskPid}, data ${dataDir}, out ${OUT}`);
    await sleep(SETTLE_MS);
    rows.push({ visit: 0, time: new Date().toISOString(), procs: sample(kioskPid) });
    for (let visit = 1; visit <= VISITS; visit += 1) {
      const lang = LANGS[(visit - 1) % LANGS.length];
      const t0 = Date.now();
      let run;
      try {
        run = await wholeVisit(driver, dataDir, inbox, card, lang, null);
      } catch (error) {
        failures.push(`visit ${visit} (${lang}) failed: ${error.message}`);
        try {
          screenshotDisplay(display, path.join(OUT, `visit-${visit}-failure.png`), '1024x768+0+0');
        } catch {
          // the display may be gone with the app
        }
        break;
      }
      const visitMs = Date.now() - t0;
      await sleep(SETTLE_MS);
      if (!findKiosk(dataDir)) {
        failures.push(`the kiosk process ${kioskPid} is gone after visit ${visit}`);
        break;
      }
      const procs = sample(kioskPid);
      const reasons = run.stored.decision?.reasons?.join('+') || null;
      rows.push({ visit, time: new Date().toISOString(), visitMs, outcome: run.outcome, reasons, lang, procs });
      writeCsv(rows);
      console.log(`visit ${String(visit).padStart(3)}/${VISITS} ${lang.padEnd(5)} ${run.outcome.padEnd(8)} `
        + `${(visitMs / 1000).toFixed(1).padStart(5)} s  ${Object.entries(procs)
          .map(([n, m]) => `${SHORT[n] ?? n} ${mib(m.rssKiB)?.toFixed(0)} MiB/${m.fds} fd/${m.threads} thr`).join('  ')}`);
    }
  } catch (error) {
    failures.push(`soak set-up failed: ${error.message}`);
  } finally {
    await kiosk.stop();
  }

  const done = rows.length ? rows.at(-1).visit : 0;
  const verdict = judge(rows.filter((r) => r.visit >= 1), done);
  const visitTimes = rows.filter((r) => r.visitMs != null).map((r) => r.visitMs);
  const outcomes = {};
  for (const r of rows) {
    const key = r.reasons ? `${r.outcome} (${r.reasons})` : r.outcome;
    if (key) outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  if (done < VISITS && !failures.length) failures.push(`only ${done} of ${VISITS} visits ran`);
  const allFailures = [...failures, ...verdict.failures];
  const summary = {
    visitsAsked: VISITS,
    visitsDone: done,
    passed: allFailures.length === 0,
    bound: {
      rss: `per process, median RSS of the final window at most max(${RSS_BOUND_PCT}% of the baseline window's, ${RSS_BOUND_MIB} MiB) above it`,
      fds: `per process, median open fds of the final window at most ${FD_BOUND} above the baseline window's`,
      threads: `reported; a growth over ${THREAD_WARN} is a warning`,
    },
    ...verdict,
    failures: allFailures,
    visitSeconds: visitTimes.length ? {
      median: Math.round(median(visitTimes) / 100) / 10,
      mean: Math.round(visitTimes.reduce((s, v) => s + v, 0) / visitTimes.length / 100) / 10,
      min: Math.round(Math.min(...visitTimes) / 100) / 10,
      max: Math.round(Math.max(...visitTimes) / 100) / 10,
    } : null,
    outcomes,
    wallMinutes: Math.round((Date.now() - started) / 6000) / 10,
    kioskApp: APP,
    files: { csv: path.join(OUT, 'soak.csv'), svg: path.join(OUT, 'soak.svg') },
  };
  writeCsv(rows);
  writeSvg(rows, verdict);
  writeFileSync(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`\n${table(rows)}\n`);
  for (const [name, p] of Object.entries(verdict.processes ?? {})) {
    console.log(`${name.padEnd(22)} rss ${p.rss.baselineMiB} → ${p.rss.finalMiB} MiB (${p.rss.growthMiB >= 0 ? '+' : ''}${p.rss.growthMiB}, `
      + `bound +${p.rss.allowedMiB}, ${p.rss.slopeKiBPerVisit} KiB/visit)  fds ${p.fds.baseline} → ${p.fds.final}  `
      + `threads ${p.threads.baseline} → ${p.threads.final}`);
  }
  if (verdict.note) console.log(verdict.note);
  for (const w of verdict.warnings) console.log(`warning: ${w}`);
  console.log(`visits: ${done}/${VISITS}, ${JSON.stringify(outcomes)}, median ${summary.visitSeconds?.median ?? '-'} s per visit; `
    + `out: ${OUT}/{soak.csv,soak.svg,summary.json}`);
  if (allFailures.length) {
    for (const f of allFailures) console.error(`soak FAILED: ${f}`);
    process.exit(1);
  }
  console.log('soak passed');
  process.exit(0);
}

/** `--report CSV`: judges and draws an earlier run's soak.csv again (into SOAK_OUT). */
function report(csv) {
  const rows = [];
  const [header, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const cols = header.split(',');
  for (const line of lines) {
    const f = Object.fromEntries(line.split(',').map((v, i) => [cols[i], v]));
    const visit = Number(f.visit);
    let row = rows.find((r) => r.visit === visit);
    if (!row) {
      row = { visit, time: f.time, visitMs: f.visit_ms ? Number(f.visit_ms) : null, outcome: f.outcome || null,
        reasons: f.reasons || null, lang: f.lang || null, procs: {} };
      rows.push(row);
    }
    const num = (v) => (v === '' ? null : Number(v));
    row.procs[f.process] = { pid: Number(f.pid), name: f.process.replace(/#\d+$/, ''), rssKiB: num(f.rss_kib),
      pssKiB: num(f.pss_kib), fds: num(f.fds), threads: num(f.threads) };
  }
  rows.sort((a, b) => a.visit - b.visit);
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--report') {
    mkdirSync(OUT, { recursive: true });
    const rows = report(process.argv[3] ?? path.join(OUT, 'soak.csv'));
    const verdict = judge(rows.filter((r) => r.visit >= 1), rows.at(-1).visit);
    writeSvg(rows, verdict);
    console.log(`${table(rows)}\n${JSON.stringify(verdict, null, 2)}`);
    process.exit(verdict.failures.length ? 1 : 0);
  }
  await main();
}
