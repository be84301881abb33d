import { ApplicationInitStatus, signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { provideI18n } from '../i18n/translations';
import type { AwsLivenessSession } from '../ipc/bindings/AwsLivenessSession';
import type { KioskSettings } from '../ipc/bindings/KioskSettings';
import { SETTINGS as BRANCH_SETTINGS } from '../testing/fixtures';
import { KioskApi } from '../ipc/kiosk-api';
import type { LivenessSummary } from '../ipc/bindings/LivenessSummary';
import { KioskSettingsStore } from '../settings/kiosk-settings-store';
import { LivenessCheck } from './liveness-check';

const SETTINGS: KioskSettings = {
  ...BRANCH_SETTINGS,
  cameraId: 'cam-desk',
  kioskId: 'agencia-0001-t1',
};

describe('LivenessCheck', () => {
  let fixture: ComponentFixture<LivenessCheck>;
  /** Sessions handed out by the fake `aws_liveness_session` command, in order. */
  let awsSessions: string[];
  let awsFailure: unknown;

  async function render(settings: KioskSettings = SETTINGS): Promise<HTMLElement> {
    awsSessions = [];
    const api = {
      awsLivenessSession: (): Promise<AwsLivenessSession> => {
        if (awsFailure) return Promise.reject(awsFailure);
        const sessionId = `aws-session-${awsSessions.length + 1}`;
        awsSessions.push(sessionId);
        return Promise.resolve({ sessionId, region: 'us-east-1' });
      },
    };
    TestBed.configureTestingModule({
      providers: [
        provideI18n(),
        provideRouter([]),
        { provide: KioskSettingsStore, useValue: { settings: signal(settings).asReadonly() } },
        { provide: KioskApi, useValue: api },
      ],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    fixture = TestBed.createComponent(LivenessCheck);
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  function widget(root: HTMLElement): Element {
    const element = root.querySelector('face-liveness-widget');
    if (!element) throw new Error('no widget');
    return element;
  }

  it('runs the local capture with the kiosk camera and language', async () => {
    const root = await render();
    expect(widget(root).getAttribute('provider')).toBe('local');
    expect(widget(root).getAttribute('camera-id')).toBe('cam-desk');
    expect(widget(root).getAttribute('lang')).toBe('pt-BR');
    expect(root.querySelector('[data-testid="liveness-outcome"]')).toBeNull();
  });

  it('shows how the session ended, its frame rate and no score, and mounts a fresh widget to run again', async () => {
    const root = await render();
    const first = widget(root);
    const summary: LivenessSummary & { fps: number } = {
      sessionId: 's-1',
      status: 'FAILED',
      failure: 'challenge-not-completed',
      message: 'O desafio não foi concluído.',
      frames: 42,
      durationMs: 4200,
      attemptsLeft: 4,
      fps: 16.04,
    };
    first.dispatchEvent(new CustomEvent('liveness-complete', { detail: summary }));
    fixture.detectChanges();
    const outcome = root.querySelector('[data-testid="liveness-outcome"]');
    expect(outcome?.getAttribute('data-kind')).toBe('complete');
    expect(outcome?.textContent).toContain('Não concluída');
    expect(outcome?.textContent).toContain('O desafio não foi concluído.');
    expect(outcome?.textContent).toContain('42 quadros em 4.2 s; 16.0 quadros por segundo');

    (root.querySelector('[data-testid="liveness-again"]') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(root.querySelector('[data-testid="liveness-outcome"]')).toBeNull();
    expect(widget(root)).not.toBe(first);
  });

  it('on the AWS backend the widget asks the Rust core for a session on start, one per attempt', async () => {
    awsFailure = undefined;
    const root = await render({ ...SETTINGS, backend: 'aws' });
    expect(widget(root).getAttribute('provider')).toBe('aws');
    expect(widget(root).getAttribute('camera-id')).toBe('cam-desk');
    // Nothing is created before the widget asks (its start button).
    expect(awsSessions).toEqual([]);
    const hook = (el: Element) => (el as Element & { requestSession: () => Promise<AwsLivenessSession> }).requestSession;
    await expect(hook(widget(root))()).resolves.toEqual({ sessionId: 'aws-session-1', region: 'us-east-1' });

    widget(root).dispatchEvent(
      new CustomEvent('liveness-complete', { detail: { provider: 'aws', sessionId: 'aws-session-1' } }),
    );
    fixture.detectChanges();
    const outcome = root.querySelector('[data-testid="liveness-outcome"]');
    expect(outcome?.getAttribute('data-kind')).toBe('submitted');
    expect(outcome?.textContent).toContain('aws-session-1');

    const first = widget(root);
    (root.querySelector('[data-testid="liveness-again"]') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(widget(root)).not.toBe(first);
    await hook(widget(root))();
    expect(awsSessions).toEqual(['aws-session-1', 'aws-session-2']);
  });

  it('hands an AWS refusal to the widget as it is (the widget shows its text)', async () => {
    awsFailure = { code: 'aws', detail: '[aws-unreachable] dispatch failure' };
    const root = await render({ ...SETTINGS, backend: 'aws' });
    const hook = (widget(root) as Element & { requestSession: () => Promise<AwsLivenessSession> }).requestSession;
    await expect(hook()).rejects.toBe(awsFailure);
    widget(root).dispatchEvent(
      new CustomEvent('liveness-error', { detail: { code: 'aws-unreachable', message: 'Não foi possível conectar.' } }),
    );
    fixture.detectChanges();
    const outcome = root.querySelector('[data-testid="liveness-outcome"]');
    expect(outcome?.getAttribute('data-kind')).toBe('error');
    expect(outcome?.textContent).toContain('Não foi possível conectar.');
    awsFailure = undefined;
  });

  it('says when the person cancelled', async () => {
    const root = await render();
    widget(root).dispatchEvent(new CustomEvent('liveness-cancel', { detail: { reason: 'photosensitivity' } }));
    fixture.detectChanges();
    expect(root.querySelector('[data-testid="liveness-outcome"]')?.getAttribute('data-kind')).toBe('cancel');
  });
});
