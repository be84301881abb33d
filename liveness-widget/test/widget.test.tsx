import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraErrorDetail, CameraReadyDetail } from '../src/camera';
import '../src/main';

/** A video track that records stop() and can end on its own, like an unplugged camera. */
class FakeTrack extends EventTarget {
  readonly kind = 'video';
  stop = vi.fn();
  getSettings = () => ({ width: 1280, height: 720, frameRate: 30 });
}

/** Just enough of MediaStream for the widget. */
function fakeStream(track = new FakeTrack()) {
  return { getTracks: () => [track], getVideoTracks: () => [track] } as unknown as MediaStream;
}

const getUserMedia = vi.fn<(constraints: MediaStreamConstraints) => Promise<MediaStream>>();
const enumerateDevices = vi.fn(() =>
  Promise.resolve([{ kind: 'videoinput' }, { kind: 'audioinput' }, { kind: 'videoinput' }] as MediaDeviceInfo[]),
);

function setMediaDevices(value: Partial<MediaDevices> | undefined) {
  Object.defineProperty(navigator, 'mediaDevices', { value, configurable: true });
}

/** Creates the element with attributes and puts it in the page. */
function mount(attributes: Record<string, string> = {}) {
  const element = document.createElement('face-liveness-widget');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  return element;
}

/** Resolves with the detail of the next `type` event seen on the document (so it must bubble). */
function nextEvent<T>(type: string) {
  return new Promise<{ detail: T; target: EventTarget | null }>((resolve) =>
    document.addEventListener(type, (event) => resolve({ detail: (event as CustomEvent<T>).detail, target: event.target }), {
      once: true,
    }),
  );
}

const statusText = (element: Element) => element.querySelector('[aria-live="polite"]')?.textContent;
const requestedDeviceId = (call: number) =>
  (getUserMedia.mock.calls[call][0].video as MediaTrackConstraints).deviceId;

beforeEach(() => setMediaDevices({ getUserMedia, enumerateDevices }));
afterEach(() => {
  document.body.replaceChildren();
  getUserMedia.mockReset();
  setMediaDevices(undefined);
});

describe('<face-liveness-widget>', () => {
  it('registers under its name and renders a labelled video in the light DOM', async () => {
    getUserMedia.mockReturnValue(new Promise(() => {}));
    const element = mount();
    expect(customElements.get('face-liveness-widget')).toBe(element.constructor);
    expect(element.shadowRoot).toBeNull();
    await vi.waitFor(() => expect(element.querySelector('video')).not.toBeNull());
    const video = element.querySelector('video')!;
    expect(video.getAttribute('aria-label')).toBe('Pré-visualização da câmera');
    expect(video.style.transform).toBe('scaleX(-1)');
    expect(video.muted && video.autoplay).toBe(true);
    expect(statusText(element)).toBe('Abrindo a câmera…');
  });

  it('maps lang to English texts', async () => {
    getUserMedia.mockReturnValue(new Promise(() => {}));
    const element = mount({ lang: 'en' });
    await vi.waitFor(() => expect(element.querySelector('video')?.getAttribute('aria-label')).toBe('Camera preview'));
    expect(statusText(element)).toBe('Opening the camera…');
  });

  it('asks for the default camera without camera-id and for the exact camera with it', async () => {
    getUserMedia.mockImplementation(() => Promise.resolve(fakeStream()));
    mount();
    mount({ 'camera-id': 'cam-2' });
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalledTimes(2));
    expect(getUserMedia.mock.calls[0][0]).toEqual({
      audio: false,
      video: { deviceId: undefined, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, min: 15 } },
    });
    expect(requestedDeviceId(1)).toEqual({ exact: 'cam-2' });
  });

  it('switches camera when camera-id changes, stopping the old tracks first', async () => {
    const first = new FakeTrack();
    getUserMedia.mockResolvedValueOnce(fakeStream(first)).mockImplementation(() => Promise.resolve(fakeStream()));
    const ready = nextEvent('camera-ready');
    const element = mount({ 'camera-id': 'cam-1' });
    await ready;
    expect((element as HTMLElement & { cameraId?: string }).cameraId).toBe('cam-1');

    element.setAttribute('camera-id', 'cam-2');
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalledTimes(2));
    expect(first.stop).toHaveBeenCalled();
    expect(requestedDeviceId(1)).toEqual({ exact: 'cam-2' });

    element.removeAttribute('camera-id');
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalledTimes(3));
    expect(requestedDeviceId(2)).toBeUndefined();
  });

  it('does not open the camera before the element is connected', async () => {
    const element = document.createElement('face-liveness-widget');
    element.setAttribute('camera-id', 'cam-1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(getUserMedia).not.toHaveBeenCalled();
  });

  it('dispatches camera-ready on the element, shows the stream and stops it when removed', async () => {
    const track = new FakeTrack();
    const stream = fakeStream(track);
    getUserMedia.mockResolvedValue(stream);
    const ready = nextEvent<CameraReadyDetail>('camera-ready');
    const element = mount();
    const { detail, target } = await ready;
    expect(target).toBe(element);
    expect(detail).toEqual({ state: 'live', deviceCount: 2, width: 1280, height: 720, frameRate: 30 });
    await vi.waitFor(() => expect(statusText(element)).toBe('Câmera pronta'));
    expect(element.querySelector('video')!.srcObject).toBe(stream);

    element.remove();
    expect(track.stop).toHaveBeenCalledTimes(1);
  });

  it('stops a stream that arrives after the element was removed', async () => {
    const track = new FakeTrack();
    let resolve: (stream: MediaStream) => void = () => {};
    getUserMedia.mockReturnValue(new Promise((r) => (resolve = r)));
    const element = mount();
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalled());
    element.remove();
    resolve(fakeStream(track));
    await vi.waitFor(() => expect(track.stop).toHaveBeenCalledTimes(1));
  });

  it('reports notReadable when the live track ends (camera unplugged)', async () => {
    const track = new FakeTrack();
    getUserMedia.mockResolvedValue(fakeStream(track));
    const ready = nextEvent('camera-ready');
    const element = mount({ lang: 'en' });
    await ready;
    const error = nextEvent<CameraErrorDetail>('camera-error');
    track.dispatchEvent(new Event('ended'));
    expect((await error).detail).toEqual({ state: 'notReadable', deviceCount: 2, errorName: 'ended' });
    await vi.waitFor(() =>
      expect(statusText(element)).toBe('The camera was disconnected. Connect it again to continue.'),
    );
  });

  it('reports state error without navigator.mediaDevices', async () => {
    setMediaDevices(undefined);
    const error = nextEvent<CameraErrorDetail>('camera-error');
    const element = mount();
    expect((await error).detail).toEqual({ state: 'error', deviceCount: 0, errorName: 'NotSupportedError' });
    await vi.waitFor(() => expect(statusText(element)).toBe('Este aplicativo não tem acesso a câmeras.'));
  });

  /** What the status line must say for each failure state, written out independently of src/i18n.ts. */
  const failureText: Record<string, Record<string, string>> = {
    denied: {
      'pt-BR': 'Acesso à câmera negado. Permita o uso da câmera para continuar.',
      en: 'Camera access denied. Allow camera use to continue.',
    },
    notFound: {
      'pt-BR': 'Nenhuma câmera encontrada. Verifique se a câmera está conectada.',
      en: 'No camera found. Check that the camera is connected.',
    },
    notReadable: {
      'pt-BR': 'A câmera não respondeu. Ela pode estar em uso por outro programa.',
      en: 'The camera did not respond. Another program may be using it.',
    },
    error: { 'pt-BR': 'Não foi possível abrir a câmera.', en: 'Could not open the camera.' },
  };

  describe.each([
    ['NotAllowedError', 'denied'],
    ['SecurityError', 'denied'],
    ['NotFoundError', 'notFound'],
    ['OverconstrainedError', 'notFound'],
    ['NotReadableError', 'notReadable'],
    ['AbortError', 'notReadable'],
    ['TypeError', 'error'],
    ['UnknownError', 'error'],
  ])('when getUserMedia rejects with %s', (errorName, state) => {
    it.each(['pt-BR', 'en'])(`dispatches camera-error with state ${state} and says it in %s`, async (lang) => {
      getUserMedia.mockRejectedValue(new DOMException('test', errorName));
      const error = nextEvent<CameraErrorDetail>('camera-error');
      const element = mount({ lang });
      const { detail, target } = await error;
      expect(target).toBe(element);
      expect(detail).toEqual({ state, deviceCount: 2, errorName });
      await vi.waitFor(() => expect(statusText(element)).toBe(failureText[state][lang]));
    });
  });
});

describe('<face-liveness-widget mode="preview">', () => {
  it('shows only the live preview and its status: no instructions, no start, no session', async () => {
    getUserMedia.mockImplementation(() => Promise.resolve(fakeStream()));
    const ready = nextEvent<CameraReadyDetail>('camera-ready');
    const element = mount({ mode: 'preview', lang: 'en' });
    expect((await ready).detail.state).toBe('live');
    await vi.waitFor(() => expect(statusText(element)).toBe('Camera ready'));
    expect(element.querySelector('[data-mode="preview"]')).not.toBeNull();
    expect(element.querySelector('[data-state]')).toBeNull();
    expect(element.querySelector('button')).toBeNull();
  });
});
