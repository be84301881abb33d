import { describe, expect, it, vi } from 'vitest';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import { FramePump, frameSizeFor, videoFrameGrabber } from '../src/capture';
import type { LivenessFailure } from '../src/transport';
import { deferred, FakeClock, fakeGrabber, feedback } from './fakes';

/** A transport whose answers the test gives, one by one. */
function manualTransport() {
  const pending: { captureMs: number; shown: FlashColourName | null; answer: ReturnType<typeof deferred<LivenessFrameFeedback>> }[] = [];
  const frame = vi.fn((...[, captureMs, shown]: [string, number, FlashColourName | null, ArrayBuffer]) => {
    const answer = deferred<LivenessFrameFeedback>();
    pending.push({ captureMs, shown, answer });
    return answer.promise;
  });
  return { frame, pending };
}

function pumpWith(clock: FakeClock, transport: ReturnType<typeof manualTransport>) {
  const grabber = fakeGrabber(clock);
  const answers: LivenessFrameFeedback[] = [];
  const errors: LivenessFailure[] = [];
  const pump = new FramePump({
    sessionId: 'session-1',
    transport,
    grabber,
    clock,
    onFeedback: (fb) => answers.push(fb),
    onError: (failure) => errors.push(failure),
  });
  return { pump, grabber, answers, errors };
}

describe('FramePump', () => {
  it('keeps at most two frames in flight, hands them over one at a time, and drops camera frames instead of queueing them', async () => {
    const clock = new FakeClock();
    const transport = manualTransport();
    const { pump, grabber } = pumpWith(clock, transport);
    pump.start();
    await clock.advance(2000);
    // Two seconds of a slow engine: two frames taken (one being analysed, the next encoded and waiting its
    // turn); the rest of the camera's frames were never grabbed.
    expect(grabber.grabbed).toHaveLength(2);
    expect(transport.frame).toHaveBeenCalledTimes(1);
    expect(pump.inFlight).toBe(2);
    // The second frame was taken the minimum interval after the first.
    expect(grabber.grabbed[1].captureMs - grabber.grabbed[0].captureMs).toBe(33);

    transport.pending[0].answer.resolve(feedback());
    await clock.advance(0);
    // The waiting frame goes to the engine; a fresh one is taken to wait behind it.
    expect(transport.frame).toHaveBeenCalledTimes(2);
    expect(transport.pending[1].captureMs).toBe(grabber.grabbed[1].captureMs);
    expect(grabber.grabbed).toHaveLength(3);
    expect(pump.inFlight).toBe(2);
    // The freshly taken frame is the camera's picture of now, not an old one kept in a queue.
    expect(grabber.grabbed[2].captureMs).toBe(clock.now());
    pump.stop();
  });

  it('never sends faster than every 33 ms, even when answers come at once', async () => {
    const clock = new FakeClock();
    const frame = vi.fn(() => Promise.resolve(feedback()));
    const grabber = fakeGrabber(clock);
    const pump = new FramePump({ sessionId: 's', transport: { frame }, grabber, clock, onFeedback: () => {}, onError: () => {} });
    pump.start();
    await clock.advance(1000);
    pump.stop();
    const times = grabber.grabbed.map((f) => f.captureMs);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(33);
    expect(times.length).toBe(Math.floor(1000 / 33) + 1);
    // Answered frames per second.
    expect(pump.fps).toBeGreaterThan(29);
    expect(pump.fps).toBeLessThan(32);
  });

  it('hands frames to the engine in capture order even when a later one is encoded first', async () => {
    const clock = new FakeClock();
    const transport = manualTransport();
    const encoded: ReturnType<typeof deferred<void>>[] = [];
    const base = fakeGrabber(clock);
    // JPEG encoding takes its own time: the first frame's encoder finishes after the second's.
    const grabber = {
      grab: async () => {
        const frame = await base.grab();
        const done = deferred<void>();
        encoded.push(done);
        await done.promise;
        return frame;
      },
    };
    const answers: LivenessFrameFeedback[] = [];
    const pump = new FramePump({ sessionId: 's', transport, grabber, clock, onFeedback: (fb) => answers.push(fb), onError: () => {} });
    pump.start();
    await clock.advance(40);
    expect(encoded).toHaveLength(2);
    encoded[1].resolve();
    await clock.advance(0);
    // The second frame is ready but must not overtake the first.
    expect(transport.frame).toHaveBeenCalledTimes(0);
    encoded[0].resolve();
    await clock.advance(0);
    expect(transport.pending.map((p) => p.captureMs)).toEqual([base.grabbed[0].captureMs]);
    transport.pending[0].answer.resolve(feedback({ guidance: 'too-far' }));
    await clock.advance(0);
    expect(transport.pending.map((p) => p.captureMs)).toEqual(base.grabbed.slice(0, 2).map((f) => f.captureMs));
    transport.pending[1].answer.resolve(feedback({ guidance: 'hold-still' }));
    await clock.advance(0);
    expect(answers.map((a) => a.guidance)).toEqual(['too-far', 'hold-still']);
    expect(pump.stale).toBe(0);
    pump.stop();
  });

  it('drops an older answer that arrives after a newer one (an empty grab does not wait its turn)', async () => {
    const clock = new FakeClock();
    const transport = manualTransport();
    const base = fakeGrabber(clock);
    // The second grab finds no new camera picture: it gives its turn back at once, so the third frame goes to
    // the engine while the first is still being analysed.
    let grabs = 0;
    const grabber = { grab: () => (grabs++ === 1 ? Promise.resolve(null) : base.grab()) };
    const answers: LivenessFrameFeedback[] = [];
    const pump = new FramePump({ sessionId: 's', transport, grabber, clock, onFeedback: (fb) => answers.push(fb), onError: () => {} });
    pump.start();
    await clock.advance(100);
    expect(transport.pending.map((p) => p.captureMs)).toEqual(base.grabbed.map((f) => f.captureMs));
    expect(transport.pending).toHaveLength(2);
    transport.pending[1].answer.resolve(feedback({ guidance: 'hold-still' }));
    await clock.advance(0);
    transport.pending[0].answer.resolve(feedback({ guidance: 'too-far' }));
    await clock.advance(0);
    expect(answers.map((a) => a.guidance)).toEqual(['hold-still']);
    expect(pump.stale).toBe(1);
    expect(pump.answered).toBe(2);
    pump.stop();
  });

  it('skips a bad-frame refusal and stops on any other', async () => {
    const clock = new FakeClock();
    const transport = manualTransport();
    const { pump, errors } = pumpWith(clock, transport);
    pump.start();
    await clock.advance(40);
    transport.pending[0].answer.reject({ code: 'liveness', detail: '[bad-frame] cannot decode' });
    await clock.advance(40);
    expect(errors).toEqual([]);
    expect(pump.isRunning).toBe(true);
    expect(transport.frame).toHaveBeenCalledTimes(2);

    transport.pending[1].answer.reject({ code: 'liveness', detail: '[expired] session expired' });
    await clock.advance(40);
    expect(errors).toEqual([{ code: 'expired', detail: '[expired] session expired' }]);
    expect(pump.isRunning).toBe(false);
    await clock.advance(500);
    expect(transport.frame).toHaveBeenCalledTimes(2);
  });

  it('stops on phase complete and ignores answers after stop', async () => {
    const clock = new FakeClock();
    const transport = manualTransport();
    const { pump, answers } = pumpWith(clock, transport);
    pump.start();
    await clock.advance(40);
    transport.pending[0].answer.resolve(feedback({ phase: 'complete', guidance: 'done', progress: 1 }));
    await clock.advance(0);
    expect(pump.isRunning).toBe(false);
    await clock.advance(500);
    expect(answers.map((a) => a.phase)).toEqual(['complete']);
    // The frame waiting its turn was never sent.
    expect(transport.frame).toHaveBeenCalledTimes(1);
  });

  it('takes frames at most 960 px wide, keeping the aspect', () => {
    expect(frameSizeFor(1280, 720)).toEqual({ width: 960, height: 540 });
    expect(frameSizeFor(1920, 1080)).toEqual({ width: 960, height: 540 });
    expect(frameSizeFor(640, 480)).toEqual({ width: 640, height: 480 });
  });
});

describe('videoFrameGrabber', () => {
  it('draws the video unmirrored at the capped size, stamps time and colour, and encodes JPEG at 0.9', async () => {
    const drawImage = vi.fn();
    const toBlob = vi.fn<(callback: BlobCallback, type?: string, quality?: number) => void>((callback) => {
      // Like a browser: the blob comes later, from the encoder.
      setTimeout(() => callback({ arrayBuffer: () => Promise.resolve(new Uint8Array([1, 2, 3]).buffer) } as Blob), 1);
    });
    const canvas = { width: 0, height: 0, getContext: () => ({ drawImage }), toBlob } as unknown as HTMLCanvasElement;
    const createElement = vi.spyOn(document, 'createElement').mockReturnValueOnce(canvas);
    const stream = { getVideoTracks: () => [{ label: 'HD Pro Webcam C920' }] } as unknown as MediaStream;
    const video = { videoWidth: 1280, videoHeight: 720, readyState: 4, srcObject: stream } as HTMLVideoElement;
    const clock = new FakeClock();
    let shown: FlashColourName | null = 'cyan';
    const grabber = videoFrameGrabber(video, () => shown, clock);
    const frame = await grabber.grab();
    createElement.mockRestore();
    expect(drawImage).toHaveBeenCalledWith(video, 0, 0, 960, 540);
    expect(toBlob.mock.calls[0].slice(1)).toEqual(['image/jpeg', 0.9]);
    expect(frame?.captureMs).toBe(clock.now());
    expect(frame?.shown).toBe('cyan');
    // The camera's label goes with the frame: the engine ties the session to it.
    expect(frame?.camera).toBe('HD Pro Webcam C920');
    expect([...new Uint8Array(frame!.jpeg)]).toEqual([1, 2, 3]);
    shown = null;
    expect((await grabber.grab())?.shown).toBeNull();
    grabber.dispose();
    expect(canvas.width).toBe(0);
    expect(await grabber.grab()).toBeNull();
  });
});

describe('videoFrameGrabber with requestVideoFrameCallback', () => {
  it('never takes the same camera frame twice: it waits for the next one, and gives up after 250 ms', async () => {
    const drawImage = vi.fn();
    const toBlob = vi.fn<(callback: BlobCallback, type?: string, quality?: number) => void>((callback) =>
      callback({ arrayBuffer: () => Promise.resolve(new Uint8Array([1]).buffer) } as Blob),
    );
    const canvas = { width: 0, height: 0, getContext: () => ({ drawImage }), toBlob } as unknown as HTMLCanvasElement;
    const createElement = vi.spyOn(document, 'createElement').mockReturnValueOnce(canvas);
    let presentFrame: (() => void) | undefined;
    const cancelVideoFrameCallback = vi.fn();
    const video = {
      videoWidth: 640,
      videoHeight: 480,
      readyState: 4,
      requestVideoFrameCallback: vi.fn((cb: () => void) => {
        presentFrame = cb;
        return 1;
      }),
      cancelVideoFrameCallback,
    } as unknown as HTMLVideoElement;
    const clock = new FakeClock();
    const grabber = videoFrameGrabber(video, () => null, clock);
    createElement.mockRestore();

    presentFrame?.();
    expect(await grabber.grab()).not.toBeNull();
    expect(drawImage).toHaveBeenCalledTimes(1);

    // No new camera frame yet: the grab waits, then takes the next one.
    const second = grabber.grab();
    await clock.advance(100);
    expect(drawImage).toHaveBeenCalledTimes(1);
    presentFrame?.();
    expect(await second).not.toBeNull();
    expect(drawImage).toHaveBeenCalledTimes(2);

    // None within 250 ms: nothing is sent for this turn.
    const third = grabber.grab();
    await clock.advance(250);
    expect(await third).toBeNull();
    expect(drawImage).toHaveBeenCalledTimes(2);

    grabber.dispose();
    expect(cancelVideoFrameCallback).toHaveBeenCalledWith(1);
  });
});

describe('videoFrameGrabber where requestVideoFrameCallback never fires (WebKitGTK, canvas stream)', () => {
  it('counts decoded frames instead: a new one is taken at once, the same one never twice', async () => {
    const drawImage = vi.fn();
    const toBlob = vi.fn<(callback: BlobCallback, type?: string, quality?: number) => void>((callback) =>
      callback({ arrayBuffer: () => Promise.resolve(new Uint8Array([1]).buffer) } as Blob),
    );
    const canvas = { width: 0, height: 0, getContext: () => ({ drawImage }), toBlob } as unknown as HTMLCanvasElement;
    const createElement = vi.spyOn(document, 'createElement').mockReturnValueOnce(canvas);
    let decoded = 1;
    const video = {
      videoWidth: 640,
      videoHeight: 480,
      readyState: 4,
      requestVideoFrameCallback: vi.fn(() => 1),
      cancelVideoFrameCallback: vi.fn(),
      getVideoPlaybackQuality: () => ({ totalVideoFrames: decoded }),
    } as unknown as HTMLVideoElement;
    const clock = new FakeClock();
    const grabber = videoFrameGrabber(video, () => null, clock);
    createElement.mockRestore();

    expect(await grabber.grab()).not.toBeNull();
    // The same decoded frame: nothing for this turn (after the 250 ms wait).
    const same = grabber.grab();
    await clock.advance(250);
    expect(await same).toBeNull();
    expect(drawImage).toHaveBeenCalledTimes(1);
    // A new frame decoded: taken without waiting.
    decoded = 2;
    expect(await grabber.grab()).not.toBeNull();
    expect(drawImage).toHaveBeenCalledTimes(2);
    grabber.dispose();
  });
});
