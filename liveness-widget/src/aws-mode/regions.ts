/**
 * The AWS Regions with Amazon Rekognition Face Liveness, read from the kiosk's one list
 * (`src-tauri/face-liveness-regions.json`, which names the AWS page it follows and the date it was checked). The
 * kiosk's CSP allows the streaming endpoint of exactly these regions (plus its private endpoint), and its Rust side
 * refuses credentials for any other region; the widget refuses one too, before Amplify would try a stream the CSP
 * blocks (which would surface only as `aws-unreachable` after ten seconds).
 */
import { regions } from '../../../src-tauri/face-liveness-regions.json';

/** Region codes, in the list's order. */
export const FACE_LIVENESS_REGIONS: readonly string[] = Object.freeze(regions.map((region) => region.code));

/** Whether `region` has Face Liveness. */
export function isFaceLivenessRegion(region: string): boolean {
  return FACE_LIVENESS_REGIONS.includes(region);
}
