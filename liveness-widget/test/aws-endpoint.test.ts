import { describe, expect, it } from 'vitest';
import { EndpointError, parseAwsEndpoint } from '../src/aws-mode/endpoint';

describe('parseAwsEndpoint (the aws-endpoint attribute)', () => {
  it('is undefined when absent or empty: Amplify then uses the region\'s public endpoint', () => {
    expect(parseAwsEndpoint(undefined)).toBeUndefined();
    expect(parseAwsEndpoint('')).toBeUndefined();
    expect(parseAwsEndpoint('   ')).toBeUndefined();
  });

  it('accepts a wss: origin, with a port or a trailing slash, and normalises it', () => {
    expect(parseAwsEndpoint('wss://streaming-rekognition-fips.us-east-1.amazonaws.com')).toBe(
      'wss://streaming-rekognition-fips.us-east-1.amazonaws.com',
    );
    expect(parseAwsEndpoint(' wss://vpce-0abc.streaming-rekognition.sa-east-1.vpce.amazonaws.com/ ')).toBe(
      'wss://vpce-0abc.streaming-rekognition.sa-east-1.vpce.amazonaws.com',
    );
    expect(parseAwsEndpoint('WSS://Liveness.Bank.Example:8443')).toBe('wss://liveness.bank.example:8443');
    expect(parseAwsEndpoint('wss://127.0.0.1:443')).toBe('wss://127.0.0.1');
    expect(parseAwsEndpoint('wss://[::1]:9443')).toBe('wss://[::1]:9443');
  });

  it('refuses anything but a wss: origin', () => {
    for (const value of [
      'streaming-rekognition.us-east-1.amazonaws.com',
      '//streaming-rekognition.us-east-1.amazonaws.com',
      'ws://streaming-rekognition.us-east-1.amazonaws.com',
      'https://streaming-rekognition.us-east-1.amazonaws.com',
      'http://127.0.0.1:8443',
      'javascript:alert(1)',
      'wss://',
      'wss://user:password@streaming-rekognition.us-east-1.amazonaws.com',
      // Amplify appends the path itself: it would be there twice.
      'wss://streaming-rekognition.us-east-1.amazonaws.com/start-face-liveness-session-websocket',
      'wss://liveness.bank.example/proxy',
      'wss://liveness.bank.example?x=1',
      'wss://liveness.bank.example/?',
      'wss://liveness.bank.example#x',
    ]) {
      expect(() => parseAwsEndpoint(value), value).toThrow(EndpointError);
    }
  });
});
