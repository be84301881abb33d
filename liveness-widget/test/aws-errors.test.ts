import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/controller';
import { CredentialsError } from '../src/aws-mode/credentials';
import { AWS_FINAL_CODES, credentialsErrorCode, detectorErrorCode } from '../src/aws-mode/errors';
import { texts } from '../src/i18n';
import { EngineError, HttpTransport } from '../src/transport';

const detector = (state: string, message = '', name = 'Error') => ({ state, name, message });

describe('detectorErrorCode', () => {
  it('maps each Amplify error state to the kiosk code', () => {
    const cases: [string, string][] = [
      ['CONNECTION_TIMEOUT', 'aws-unreachable'],
      ['TIMEOUT', 'aws-timeout'],
      ['FRESHNESS_TIMEOUT', 'aws-timeout'],
      ['RUNTIME_ERROR', 'aws-runtime'],
      ['SERVER_ERROR', 'aws-service'],
      ['CAMERA_FRAMERATE_ERROR', 'camera-too-weak'],
      ['DEFAULT_CAMERA_NOT_FOUND_ERROR', 'camera-not-found'],
      ['FACE_DISTANCE_ERROR', 'face-distance'],
      ['MULTIPLE_FACES_ERROR', 'multiple-faces'],
      ['MOBILE_LANDSCAPE_ERROR', 'aws-runtime'],
      ['SOMETHING_NEW', 'aws-runtime'],
      ['', 'aws-runtime'],
    ];
    for (const [state, code] of cases) expect(detectorErrorCode(detector(state), true), state).toBe(code);
  });

  it('reports what the prototype observed offline as unreachable', () => {
    expect(detectorErrorCode(detector('CONNECTION_TIMEOUT', 'Websocket connection timeout'), true)).toBe('aws-unreachable');
  });

  it('tells a server error caused by the network from one of the service', () => {
    const network = [
      'Stream ended with an error',
      'Server ended the connection unexpectedly (code 1006)',
      'Failed to fetch',
      'NetworkError when attempting to fetch resource.',
    ];
    for (const message of network) expect(detectorErrorCode(detector('SERVER_ERROR', message), true), message).toBe('aws-unreachable');
    expect(detectorErrorCode(detector('SERVER_ERROR', 'mock internal error', 'InternalServerException'), true)).toBe('aws-service');
    expect(detectorErrorCode(detector('SERVER_ERROR', 'Server ended the connection unexpectedly (code 4001)'), true)).toBe('aws-service');
    expect(detectorErrorCode(detector('SERVER_ERROR', 'Rate exceeded', 'ThrottlingException'), true)).toBe('aws-service');
    // Whatever it says, a server error while the page is offline is the network.
    expect(detectorErrorCode(detector('SERVER_ERROR', 'mock internal error'), false)).toBe('aws-unreachable');
  });

  it('recognises a clock skew by name or message, whatever the state', () => {
    const skews = [
      detector('SERVER_ERROR', 'Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)', 'InvalidSignatureException'),
      detector('SERVER_ERROR', 'Signature not yet current: 20260101T003000Z is still later than 20260101T001500Z'),
      detector('SERVER_ERROR', 'The difference between the request time and the current time is too large.', 'InvalidSignatureException'),
      detector('RUNTIME_ERROR', 'clock skew detected'),
      detector('SERVER_ERROR', 'RequestTimeTooSkewed'),
    ];
    for (const error of skews) expect(detectorErrorCode(error, true), error.message).toBe('clock-skew');
  });

  it('keeps a wrong region apart from a clock skew', () => {
    const region = detector('SERVER_ERROR', 'Invalid region in FaceLivenessDetector or credentials are scoped to the wrong region.');
    expect(detectorErrorCode(region, true)).toBe('aws-service');
    expect(detectorErrorCode({ ...region, name: 'InvalidSignatureException', message: 'Credential should be scoped to a valid region.' }, true)).toBe(
      'aws-service',
    );
  });

  it('tells camera access errors apart by the getUserMedia message Amplify kept', () => {
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'Permission denied'), true)).toBe('camera-denied');
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'Permission dismissed'), true)).toBe('camera-denied');
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'No real video devices found'), true)).toBe('camera-not-found');
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'Requested device not found'), true)).toBe('camera-not-found');
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'Could not start video source'), true)).toBe('camera-not-readable');
    expect(detectorErrorCode(detector('CAMERA_ACCESS_ERROR', 'something odd'), true)).toBe('camera-error');
  });

  it('gives every code it can answer its own text in both languages', () => {
    const codes = [
      'aws-unreachable', 'aws-timeout', 'clock-skew', 'aws-credentials', 'aws-service', 'aws-runtime', 'aws-assets',
      'aws-endpoint-invalid', 'face-distance', 'multiple-faces', 'camera-denied', 'camera-not-found', 'camera-not-readable', 'camera-error', 'camera-too-weak',
    ];
    for (const lang of ['pt-BR', 'en'] as const) {
      const generic = texts[lang].errors.internal;
      const messages = codes.map((code) => errorMessage(lang, { code }));
      for (const [i, message] of messages.entries()) expect(message, `${lang} ${codes[i]}`).not.toBe(generic);
      expect(new Set(messages).size, `${lang}: one text per code`).toBe(codes.length);
    }
    expect(errorMessage('pt-BR', { code: 'aws-unreachable' })).toBe(
      'Não foi possível conectar ao serviço de verificação. Tente novamente em instantes ou chame um funcionário.',
    );
  });

  it('sends the customer to staff only where trying again cannot help', () => {
    for (const code of ['clock-skew', 'aws-assets', 'aws-endpoint-invalid', 'provider-unavailable', 'engine-unavailable', 'camera-too-weak']) {
      expect(AWS_FINAL_CODES.has(code), code).toBe(true);
    }
    for (const code of ['aws-unreachable', 'aws-timeout', 'aws-service', 'aws-runtime', 'aws-credentials', 'face-distance', 'multiple-faces', 'camera-denied']) {
      expect(AWS_FINAL_CODES.has(code), code).toBe(false);
    }
  });
});

describe('credentialsErrorCode', () => {
  it('reads the AWS code in brackets of the command error', () => {
    expect(credentialsErrorCode({ code: 'aws', detail: '[aws-unreachable] sts: dispatch failure' })).toBe('aws-unreachable');
    expect(credentialsErrorCode({ code: 'aws', detail: '[aws-clock-skew] RequestExpired' })).toBe('clock-skew');
    expect(credentialsErrorCode({ code: 'aws', detail: '[aws-access-denied] not allowed to assume the role' })).toBe('aws-credentials');
    expect(credentialsErrorCode({ code: 'invalidInput', detail: 'liveness credentials exist only on the AWS backend' })).toBe('aws-credentials');
  });

  it('reports the HTTP bridge, malformed answers and anything else as aws-credentials', async () => {
    const bridge: unknown = await new HttpTransport('http://127.0.0.1:1').credentials().catch((e: unknown) => e);
    expect(bridge).toBeInstanceOf(EngineError);
    expect(credentialsErrorCode(bridge)).toBe('aws-credentials');
    expect(credentialsErrorCode(new CredentialsError('aws-credentials', 'no token'))).toBe('aws-credentials');
    expect(credentialsErrorCode(new CredentialsError('clock-skew', 'already expired'))).toBe('clock-skew');
    expect(credentialsErrorCode(new Error('boom'))).toBe('aws-credentials');
    expect(credentialsErrorCode(undefined)).toBe('aws-credentials');
  });
});
