import { createRoot } from 'react-dom/client';
import type { AwsDetectorHandle, AwsLivenessApi, AwsMountOptions } from '../aws-mode/api';
import { checkAssets, type AssetCheckDeps } from './assets';
import { AwsDetector } from './AwsDetector';
import { adoptStyles } from './styles';

/** Stops the camera of every video under `root` (Amplify stops it on unmount only once it is playing). */
function stopVideos(root: Element): void {
  for (const video of root.querySelectorAll('video')) {
    const stream = video.srcObject;
    if (stream && typeof (stream as MediaStream).getTracks === 'function') {
      (stream as MediaStream).getTracks().forEach((track) => track.stop());
    }
    video.srcObject = null;
  }
}

/** `window.DayFusionAwsLiveness`, given Amplify's stylesheet and how to check the assets. */
export function createAwsLivenessApi(version: string, amplifyCss: string, assets: AssetCheckDeps): AwsLivenessApi {
  return {
    version,
    checkAssets: (assetsUrl) => checkAssets(assetsUrl, assets),
    mount(container: HTMLElement, options: AwsMountOptions): AwsDetectorHandle {
      const shadow = container.shadowRoot ?? container.attachShadow({ mode: 'open' });
      adoptStyles(shadow, amplifyCss);
      const host = container.ownerDocument.createElement('div');
      host.dataset.part = 'amplify-detector';
      shadow.append(host);
      const root = createRoot(host);
      root.render(<AwsDetector {...options} />);
      let mounted = true;
      return {
        update(next) {
          if (mounted) root.render(<AwsDetector {...next} />);
        },
        unmount() {
          if (!mounted) return;
          mounted = false;
          stopVideos(host);
          root.unmount();
          host.remove();
        },
      };
    },
  };
}
