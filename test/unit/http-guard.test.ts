import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseHostHeader } from '../../packages/local-cloud/src/http-guard.js';

describe('isLoopbackHost', () => {
  it('knows the loopback spellings', () => {
    for (const host of [
      '127.0.0.1',
      '127.8.9.10',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('treats every other address and every other name as remote', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '192.168.1.5',
      '10.0.0.1',
      'example.internal',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'localhost.',
      '',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('parseHostHeader', () => {
  it('canonicalises a name, an IPv4 or an IPv6 address, with or without a port, as a browser does', () => {
    expect(parseHostHeader('127.0.0.1:4566')).toEqual({ name: '127.0.0.1', port: 4566 });
    expect(parseHostHeader('LocalHost')).toEqual({ name: 'localhost' });
    expect(parseHostHeader('127.1')).toEqual({ name: '127.0.0.1' });
    expect(parseHostHeader('[0:0:0:0:0:0:0:1]:80')).toEqual({ name: '[::1]', port: 80 });
    expect(parseHostHeader('my_service:4566')).toEqual({ name: 'my_service', port: 4566 });
  });

  it('rejects anything that is not a bare host: user info, paths, spaces, bad IPv6', () => {
    for (const value of [
      'evil.example@127.0.0.1',
      '127.0.0.1/x',
      'a b',
      '[::1',
      '[zz::1]',
      '::1',
      'host:port',
      '',
      'http://127.0.0.1',
    ]) {
      expect(parseHostHeader(value), value).toBeUndefined();
    }
  });
});
