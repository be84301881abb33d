import { ApplicationInitStatus } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { provideI18n } from '../i18n/translations';
import type { AwsConnection as Connection } from '../ipc/bindings/AwsConnection';
import type { AwsDoctorReport } from '../ipc/bindings/AwsDoctorReport';
import { KioskApi } from '../ipc/kiosk-api';
import { SYNC_IDLE, staffSession } from '../testing/fixtures';
import { AwsConnection } from './aws-connection';
import { Diagnostics } from './diagnostics';
import { StaffSession } from './staff-session';

const CONNECTION: Connection = {
  region: 'sa-east-1',
  bucket: null,
  table: 'dayfusion_transactions',
  webviewRoleArn: null,
};

const REPORT: AwsDoctorReport = {
  region: 'sa-east-1',
  checks: [
    { id: 'credentials', status: 'ok', code: null, message: 'Credenciais encontradas.', fix: null },
    {
      id: 'bucket',
      status: 'failing',
      code: 'aws-access-denied',
      message: 'Sem acesso ao bucket.',
      fix: 'Dê s3:PutObject ao papel do quiosque.',
    },
  ],
};

function fakeApi() {
  return {
    awsConnection: vi.fn(async () => CONNECTION),
    saveAwsConnection: vi.fn(async (_token: string, c: Connection) => c),
    awsDoctor: vi.fn(async () => REPORT),
    healthReport: vi.fn(async () => ({
      status: 'ok',
      checkedAt: '2026-11-26T10:00:00Z',
      checks: [],
    })),
    syncStatus: vi.fn(async () => SYNC_IDLE),
    getSettings: vi.fn(),
  };
}

const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setTimeout(r, 0));
};

describe('AWS connection and checks (staff)', () => {
  let api: ReturnType<typeof fakeApi>;

  beforeEach(async () => {
    api = fakeApi();
    TestBed.configureTestingModule({
      providers: [provideI18n(), provideRouter([]), { provide: KioskApi, useValue: api }],
    });
    await TestBed.inject(ApplicationInitStatus).donePromise;
    TestBed.inject(StaffSession).begin(staffSession('admin', 'staff-token'));
  });

  it('shows the connection in effect and saves an edited bucket with the staff token', async () => {
    const fixture = TestBed.createComponent(AwsConnection);
    await settle();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    expect(api.awsConnection).toHaveBeenCalledWith('staff-token');
    const region = root.querySelector<HTMLInputElement>('[data-testid="aws-region"]');
    expect(region?.value).toBe('sa-east-1');
    const bucket = root.querySelector<HTMLInputElement>('[data-testid="aws-bucket"]');
    bucket!.value = 'dayfusion-evidence-ag0001';
    bucket!.dispatchEvent(new Event('input'));
    root.querySelector<HTMLButtonElement>('[data-testid="aws-save"]')?.click();
    await settle();
    fixture.detectChanges();
    expect(api.saveAwsConnection).toHaveBeenCalledWith('staff-token', {
      ...CONNECTION,
      bucket: 'dayfusion-evidence-ag0001',
    });
    expect(root.querySelector('[data-testid="aws-saved"]')).not.toBeNull();
  });

  it('shows a reviewer the connection read-only, with no save', async () => {
    TestBed.inject(StaffSession).begin(staffSession('reviewer', 'staff-token'));
    const fixture = TestBed.createComponent(AwsConnection);
    await settle();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    expect(api.awsConnection).toHaveBeenCalledWith('staff-token');
    expect(root.querySelector<HTMLInputElement>('[data-testid="aws-region"]')?.readOnly).toBe(true);
    expect(root.querySelector('[data-testid="aws-save"]')).toBeNull();
    expect(root.querySelector('[data-testid="aws-readonly"]')?.textContent).toContain(
      'Só a administração',
    );
    root.querySelector('form')?.dispatchEvent(new Event('submit'));
    await settle();
    expect(api.saveAwsConnection).not.toHaveBeenCalled();
  });

  it('says so when the back end refuses the role ([forbidden])', async () => {
    api.saveAwsConnection.mockRejectedValueOnce({
      code: 'staff',
      detail: '[forbidden] the reviewer role may not administer the kiosk',
    });
    const fixture = TestBed.createComponent(AwsConnection);
    await settle();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    root.querySelector<HTMLButtonElement>('[data-testid="aws-save"]')?.click();
    await settle();
    fixture.detectChanges();
    expect(root.querySelector('[data-testid="aws-forbidden"]')?.textContent).toContain(
      'Seu papel não permite esta ação.',
    );
    expect(root.querySelector('[data-testid="aws-error"]')).toBeNull();
  });

  it('shows what the back end refused', async () => {
    api.saveAwsConnection.mockRejectedValueOnce({
      code: 'invalidInput',
      detail: '[aws-config] bucket must be an S3 bucket name',
    });
    const fixture = TestBed.createComponent(AwsConnection);
    await settle();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    root.querySelector<HTMLButtonElement>('[data-testid="aws-save"]')?.click();
    await settle();
    fixture.detectChanges();
    expect(root.querySelector('[data-testid="aws-error"]')?.textContent).toContain(
      'bucket must be an S3 bucket name',
    );
  });

  it('runs the AWS checks and lists each with its status, message and fix', async () => {
    const fixture = TestBed.createComponent(Diagnostics);
    await settle();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    expect(api.awsDoctor).not.toHaveBeenCalled();
    root.querySelector<HTMLButtonElement>('[data-testid="aws-doctor-run"]')?.click();
    await settle();
    fixture.detectChanges();
    expect(api.awsDoctor).toHaveBeenCalledWith('staff-token', 'pt-BR');
    const bucket = root.querySelector('[data-testid="aws-check-bucket"]');
    expect(bucket?.getAttribute('data-status')).toBe('failing');
    expect(bucket?.textContent).toContain('Dê s3:PutObject');
    expect(
      root.querySelector('[data-testid="aws-check-credentials"]')?.getAttribute('data-status'),
    ).toBe('ok');
  });
});
