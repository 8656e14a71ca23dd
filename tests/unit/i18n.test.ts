import { describe, expect, it } from 'vitest';
import { MessageSizeError } from '../../app/src/transfer/peer-link.ts';
import { chooseLocale } from '../../app/src/ui/i18n/choose-locale.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import { ProtocolError } from '../../app/src/transfer/errors.ts';
import { FailureError, failureMessage, retryCanHelp, type Failure } from '../../app/src/transfer/failure.ts';
import { StorageFullError } from '../../app/src/transfer/store.ts';
import { dialWords, errorText, failureText } from '../../app/src/ui/i18n/errors.ts';
import { plural, ru } from '../../app/src/ui/i18n/ru.ts';
import { formatBytes, formatEta, formatRate } from '../../app/src/ui/format.ts';

describe('choosing the language', () => {
  it('follows the browser when the person has not chosen', () => {
    expect(chooseLocale(['ru-RU', 'en-US'], null)).toBe('ru');
    expect(chooseLocale(['en-GB', 'ru'], null)).toBe('en');
    expect(chooseLocale(['RU'], null)).toBe('ru');
  });

  it('takes the first of the browser’s languages that Ferry speaks', () => {
    expect(chooseLocale(['de-DE', 'ru-RU', 'en'], null)).toBe('ru');
    expect(chooseLocale(['uk-UA', 'fr'], null)).toBe('en');
    expect(chooseLocale([], null)).toBe('en');
  });

  it('keeps the person’s own choice over the browser’s', () => {
    expect(chooseLocale(['ru-RU'], 'en')).toBe('en');
    expect(chooseLocale(['en-US'], 'ru')).toBe('ru');
  });

  it('ignores a stored value it does not know', () => {
    expect(chooseLocale(['ru-RU'], 'de')).toBe('ru');
    expect(chooseLocale(['en-US'], '')).toBe('en');
  });
});

/** Every leaf of a message tree, as [dotted path, value]. */
function leaves(tree: object, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([key, value]): [string, unknown][] =>
    value && typeof value === 'object' && !Array.isArray(value) ? leaves(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]],
  );
}

describe('the Russian and English messages', () => {
  const english = new Map(leaves(en));
  const russian = new Map(leaves(ru));

  it('have the same keys', () => {
    expect([...russian.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('have the same kind of entry under each key', () => {
    for (const [key, value] of english) {
      expect(typeof russian.get(key), key).toBe(typeof value);
      if (Array.isArray(value)) expect((russian.get(key) as unknown[]).length, key).toBe(value.length);
    }
  });

  it('put the same placeholders into their sentences', () => {
    const markers = ['⟪a⟫', '⟪b⟫', '⟪c⟫'];
    const placed = (phrase: unknown) => {
      const text = (phrase as (...args: unknown[]) => string)(...markers);
      return markers.filter((marker) => text.includes(marker));
    };
    for (const [key, value] of english) {
      if (typeof value !== 'function') continue;
      expect(placed(russian.get(key)), key).toEqual(placed(value));
    }
  });

  it('are never empty, and every function gives text for any count', () => {
    for (const [name, messages] of [['en', english], ['ru', russian]] as const) {
      for (const [key, value] of messages) {
        if (typeof value === 'string') expect(value.trim(), `${name} ${key}`).not.toBe('');
        if (typeof value !== 'function') continue;
        for (const n of [0, 1, 2, 5, 21, 22, 25, 111]) {
          const text = (value as (...args: unknown[]) => unknown)(n, n);
          expect(typeof text, `${name} ${key}(${n})`).toBe('string');
          expect((text as string).trim(), `${name} ${key}(${n})`).not.toBe('');
        }
      }
    }
  });
});

describe('Russian plurals', () => {
  it('pick one, few or many the Russian way', () => {
    const files = (n: number) => plural(n, 'файл', 'файла', 'файлов');
    expect([1, 2, 5, 21, 111].map(files)).toEqual(['файл', 'файла', 'файлов', 'файл', 'файлов']);
    expect([0, 11, 12, 22, 25, 101, 1.5].map(files)).toEqual(['файлов', 'файлов', 'файлов', 'файла', 'файлов', 'файл', 'файла']);
  });

  it('agree in the messages', () => {
    expect(ru.files.summary(1, '1 Б')).toBe('1 файл, всего 1 Б');
    expect(ru.files.summary(2, '2 Б')).toBe('2 файла, всего 2 Б');
    expect(ru.files.summary(5, '5 Б')).toBe('5 файлов, всего 5 Б');
    expect(ru.files.summary(21, '21 Б')).toBe('21 файл, всего 21 Б');
    expect(ru.files.summary(111, '111 Б')).toBe('111 файлов, всего 111 Б');
    expect(ru.notify.receivedBody(1)).toMatch(/^Получен 1 файл,/);
    expect(ru.notify.receivedBody(5)).toMatch(/^Получено 5 файлов,/);
    expect(en.files.summary(1, '1 B')).toBe('1 file, 1 B in all');
    expect(en.files.summary(10_000, '1 MB')).toBe('10,000 files, 1 MB in all');
  });
});

describe('sizes, speeds and times in each language', () => {
  it('use the language’s units and decimal separator', () => {
    expect(formatBytes(0, en)).toBe('0 B');
    expect(formatBytes(1_500_000, en)).toBe('1.5 MB');
    expect(formatBytes(1_500_000, ru)).toBe('1,5 МБ');
    expect(formatBytes(210e9, ru)).toBe('210 ГБ');
    expect(formatBytes(999, ru)).toBe('999 Б');
    expect(formatBytes(12_300, ru)).toBe('12,3 кБ');
    expect(formatRate(2_000_000, ru)).toBe('2,0 МБ/с');
  });

  it('say how long is left', () => {
    expect(formatEta(null, en)).toBe('—');
    expect(formatEta(0.5, ru)).toBe('меньше секунды');
    expect(formatEta(42.2, en)).toBe('43 s');
    expect(formatEta(125, ru)).toBe('2 мин 5 с');
    expect(formatEta(3 * 3600 + 7 * 60, ru)).toBe('3 ч 7 мин');
  });
});

describe('failures from below the UI', () => {
  it('are said in the UI’s language, with their details', () => {
    expect(failureText({ code: 'sender-closed' })(ru)).toBe(ru.errors.senderClosed);
    expect(failureText({ code: 'server-answered', status: 502 })(ru)).toBe('Сервер Ferry ответил кодом 502.');
    expect(failureText({ code: 'impostor' })(ru)).toBe(ru.errors.impostor);
    expect(failureText(new MessageSizeError(13).failure)(ru)).toBe(ru.errors.tamperedSize('13'));
    expect(failureText({ code: 'integrity', file: 'отчёт.pdf' })(en)).toBe(en.errors.damaged('отчёт.pdf'));
  });

  it('quote a peer’s own words as they came, never as one of our messages', () => {
    // The sender could word its error like ours ("no room left on this device").
    const words = 'This device has no room left for the transfer.';
    expect(failureText({ code: 'peer-stopped', by: 'sender', words })(en)).toBe(`The sender stopped the transfer. Its message: “${words}”`);
    expect(failureText({ code: 'peer-stopped', by: 'receiver', words })(ru)).toBe(`Получатель остановил передачу. Его сообщение: «${words}»`);
    expect(failureText({ code: 'peer-stopped', by: 'sender', words: '' })(ru)).toBe('Отправитель остановил передачу.');
  });

  it('read in English as the core words them for logs, where the two agree', () => {
    const failures: Failure[] = [
      { code: 'sender-closed' },
      { code: 'server-answered', status: 502 },
      { code: 'tampered-size', bytes: 13 },
      { code: 'storage-full' },
      { code: 'server-unreachable' },
    ];
    for (const failure of failures) expect(failureText(failure)(en)).toBe(failureMessage(failure));
  });

  it('come from what thrown errors carry; an error without a code shows as it came', () => {
    expect(errorText(new StorageFullError('disk full'))(ru)).toBe(ru.errors.storageFull);
    expect(errorText(new FailureError({ code: 'server-unreachable' }))(ru)).toBe(ru.errors.serverUnreachable);
    expect(errorText(new ProtocolError('malformed message: x'))(ru)).toBe(ru.errors.protocol('malformed message: x'));
    expect(errorText(new Error('something odd'))(ru)).toBe('something odd');
  });

  it('say a browser without WebRTC is the trouble, not the server, and that trying again cannot help', () => {
    // As dial.ts throws it.
    const noWebRtc = new FailureError({ code: 'no-webrtc' });
    expect(dialWords(noWebRtc.failure).headline(en)).toBe('This browser cannot make direct connections');
    expect(dialWords(noWebRtc.failure).headline(ru)).toBe(ru.receive.noWebRtc);
    expect(errorText(noWebRtc)(en)).toMatch(/^Ferry needs WebRTC, which this browser lacks or has turned off\. Open the link in Chrome/);
    expect(retryCanHelp({ code: 'no-webrtc' })).toBe(false);
    expect(dialWords({ code: 'server-unreachable' }).headline(en)).toBe(en.receive.serverTrouble);
    expect(retryCanHelp({ code: 'server-unreachable' })).toBe(true);
    expect(retryCanHelp({ code: 'sender-offline' })).toBe(true);
  });
});
