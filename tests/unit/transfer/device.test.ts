import { describe, expect, it } from 'vitest';
import { cleanDevice, deviceText, readDevice } from '../../../app/src/transfer/device.ts';
import { MAX_DEVICE_LENGTH } from '../../../app/src/transfer/messages.ts';
import { describeDevice } from '../../../app/src/ui/describe-device.ts';
import { deviceWords } from '../../../app/src/ui/device-words.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';

/** User agents as these browsers send them (reduced user agents where the browser reduces them). */
const AGENTS: [userAgent: string, described: string][] = [
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome 131 on Android'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131 on Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', 'Chrome 130 on macOS'],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131 on Linux'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', 'Chrome 131 on iOS'],
  ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131 on ChromeOS'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133 on Windows'],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128 on Linux'],
  ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 'Firefox 133 on Android'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15', 'Firefox 133 on iOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133 on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari 18 on macOS'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 'Safari 17 on iOS'],
  ['Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1', 'Safari 16 on iOS'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge 131 on Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70', 'Edge 131 on macOS'],
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0', 'Edge 131 on Android'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15', 'Edge 131 on iOS'],
  ['Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36', 'Samsung Internet 27 on Android'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'Opera 115 on Windows'],
];

describe('describeDevice', () => {
  it.each(AGENTS)('%s → %s', (userAgent, described) => {
    expect(describeDevice(userAgent)).toBe(described);
  });

  it('takes the system from client hints where the browser gives them', () => {
    const reduced = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(describeDevice(reduced, { platform: 'Chrome OS' })).toBe('Chrome 131 on ChromeOS');
    // A platform it does not know, or none, leaves the user agent's word.
    expect(describeDevice(reduced, { platform: 'Fuchsia' })).toBe('Chrome 131 on Linux');
    expect(describeDevice(reduced, { platform: '' })).toBe('Chrome 131 on Linux');
  });

  it('says what it can, and nothing when it recognises nothing', () => {
    expect(describeDevice('Mozilla/5.0 (X11; Linux x86_64) SomeBrowser/1.0')).toBe('Linux');
    expect(describeDevice('curl/8.5.0')).toBeNull();
    expect(describeDevice('')).toBeNull();
  });

  it('fits in a hello', () => {
    for (const [userAgent] of AGENTS) expect(describeDevice(userAgent)!.length).toBeLessThanOrEqual(MAX_DEVICE_LENGTH);
  });
});

describe('a description read back by the page that shows it', () => {
  it('gives back the parts of every description a browser makes', () => {
    for (const [, described] of AGENTS) {
      const parts = readDevice(described);
      expect(parts, described).not.toBeNull();
      expect(deviceText(parts!)).toBe(described);
    }
    expect(readDevice('Samsung Internet 27 on Android')).toEqual({ browser: { name: 'Samsung Internet', version: '27' }, system: 'Android' });
    expect(readDevice('Linux')).toEqual({ browser: null, system: 'Linux' });
    expect(readDevice('Safari 27')).toEqual({ browser: { name: 'Safari', version: '27' }, system: null });
    // The terminal client, as older and newer ones describe themselves.
    expect(readDevice('ferry 0.1.0 on macOS')).toEqual({ browser: { name: 'ferry', version: '0.1.0' }, system: 'macOS' });
  });

  it('leaves anything else alone: names people give their devices, browsers it does not know', () => {
    for (const text of ['Anna’s laptop', 'Chrome on Android', 'Chrome 131 on Android on Linux', 'Netscape 4 on Linux', 'Chrome 131 on Plan 9', 'ferry 0.1.0 on Darwin', '']) {
      expect(readDevice(text), text).toBeNull();
    }
  });
});

describe('deviceWords', () => {
  it('words a description in the page’s language', () => {
    expect(deviceWords('Safari 27 on iOS')(ru)).toBe('Safari 27 на iOS');
    expect(deviceWords('Safari 27 on iOS')(en)).toBe('Safari 27 on iOS');
    expect(deviceWords('Chrome 131 on Linux (2)')(ru)).toBe('Chrome 131 на Linux (2)');
    expect(deviceWords('iOS')(ru)).toBe('iOS');
    expect(ru.send.selfReported(deviceWords('Safari 27 on iOS')(ru))).toBe('Safari 27 на iOS (со слов получателя)');
  });

  it('shows a name a person typed as typed, in any language', () => {
    expect(deviceWords('Anna’s laptop')(ru)).toBe('Anna’s laptop');
    expect(deviceWords('Телефон Ани (2)')(en)).toBe('Телефон Ани (2)');
    expect(deviceWords('my phone on iOS')(ru)).toBe('my phone on iOS');
  });
});

describe('cleanDevice, for what a receiver claims', () => {
  it('keeps an honest description as it is', () => {
    expect(cleanDevice('Chrome 131 on Android')).toBe('Chrome 131 on Android');
  });

  it('strips what could reorder or hide text, caps the length, and gives null for nothing', () => {
    const cleaned = cleanDevice(`\u202Ediordna no 131 emorhC\u202C\n\u200B${'x'.repeat(300)}`)!;
    expect(cleaned).not.toMatch(/[\u0000-\u001f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(Array.from(cleaned).length).toBeLessThanOrEqual(MAX_DEVICE_LENGTH);
    expect(cleaned.endsWith('…')).toBe(true);
    expect(cleanDevice(' \u200B\n ')).toBeNull();
    expect(cleanDevice(undefined)).toBeNull();
  });
});
