/** Web addresses in a shared text, made links; nothing else is (ui/text-links.ts). */
import { describe, expect, it } from 'vitest';
import { linkedParts } from '../../../app/src/ui/text-links.ts';

describe('links in a shared text', () => {
  it('cuts the text into plain runs and http(s) links that join back into it', () => {
    const text = 'Map: https://example.org/a?b=1#c, then\nhttp://10.0.0.2:8080/.';
    const parts = linkedParts(text);
    expect(parts).toEqual([
      { text: 'Map: ' },
      { text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { text: ', then\n' },
      { text: 'http://10.0.0.2:8080/', href: 'http://10.0.0.2:8080/' },
      { text: '.' },
    ]);
    expect(parts.map((part) => part.text).join('')).toBe(text);
  });

  it('links nothing but http and https, whatever the text claims', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'ftp://example.org', 'xhttps://example.org', '<a href="x">x</a>']) {
      expect(linkedParts(text), text).toEqual([{ text }]);
    }
  });

  it('keeps a closing parenthesis that belongs to the address, and drops one that closes the sentence', () => {
    expect(linkedParts('(see https://en.wikipedia.org/wiki/Ferry_(boat))')).toEqual([
      { text: '(see ' },
      { text: 'https://en.wikipedia.org/wiki/Ferry_(boat)', href: 'https://en.wikipedia.org/wiki/Ferry_(boat)' },
      { text: ')' },
    ]);
  });

  it('leaves an empty text one empty run', () => {
    expect(linkedParts('')).toEqual([{ text: '' }]);
  });
});
