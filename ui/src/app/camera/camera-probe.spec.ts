import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraReport } from '../ipc/bindings/CameraReport';
import { KioskApi } from '../ipc/kiosk-api';
import { CameraDevices } from './camera-devices';
import { CameraProbe, stateOfError } from './camera-probe';

describe('stateOfError', () => {
  it('maps getUserMedia failures to camera states', () => {
    expect(stateOfError({ name: 'NotAllowedError' })).toBe('denied');
    expect(stateOfError({ name: 'NotFoundError' })).toBe('notFound');
    expect(stateOfError({ name: 'OverconstrainedError' })).toBe('notFound');
    expect(stateOfError({ name: 'NotReadableError' })).toBe('notReadable');
    expect(stateOfError(new Error('boom'))).toBe('error');
    expect(stateOfError(null)).toBe('error');
  });
});

describe('CameraProbe', () => {
  const reports: CameraReport[] = [];
  const stop = vi.fn();
  let getUserMedia: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    reports.length = 0;
    stop.mockClear();
    getUserMedia = vi.fn(async () => ({
      getVideoTracks: () => [{ getSettings: () => ({ width: 640, height: 480, frameRate: 30 }) }],
      getTracks: () => [{ stop }],
    }));
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
    TestBed.configureTestingModule({
      providers: [
        { provide: KioskApi, useValue: { reportCameraState: async (r: CameraReport) => void reports.push(r) } },
        { provide: CameraDevices, useValue: { list: async () => [{ deviceId: 'cam-1', label: 'Cam' }] } },
      ],
    });
  });

  afterEach(() => vi.unstubAllGlobals());

  it('opens the chosen camera for a moment, closes it and reports what it saw', async () => {
    const report = await TestBed.inject(CameraProbe).probe('cam-1');
    expect(getUserMedia).toHaveBeenCalledWith({ audio: false, video: { deviceId: { exact: 'cam-1' } } });
    expect(stop).toHaveBeenCalledTimes(1);
    expect(report).toEqual({ state: 'live', deviceCount: 1, width: 640, height: 480, frameRate: 30 });
    expect(reports).toEqual([report]);
  });

  it('reports an unplugged camera, and probes at most once a minute unless forced', async () => {
    getUserMedia.mockRejectedValue(Object.assign(new Error('gone'), { name: 'NotFoundError' }));
    const probe = TestBed.inject(CameraProbe);
    expect((await probe.probe(null))?.state).toBe('notFound');
    expect(await probe.probe(null)).toBeNull();
    expect((await probe.probe(null, true))?.state).toBe('notFound');
    expect(reports.map((r) => r.state)).toEqual(['notFound', 'notFound']);
  });
});
