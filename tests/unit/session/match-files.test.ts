import { describe, expect, it } from 'vitest';
import { matchFiles } from '../../../app/src/session/match-files.ts';

describe('matching re-added files', () => {
  const wanted = [
    { name: 'photos/cat.jpg', size: 10, type: '', lastModified: 1 },
    { name: 'notes.txt', size: 3, type: '', lastModified: 2 },
  ];

  it('by last path part, size and modification time, in the share’s order', () => {
    const picked = [
      { name: 'notes.txt', size: 3, type: '', lastModified: 2 },
      { name: 'cat.jpg', size: 10, type: '', lastModified: 1 },
    ];
    expect(matchFiles(wanted, picked)).toEqual({ files: [picked[1], picked[0]], missing: [] });
  });

  it('names what is missing or different', () => {
    const picked = [{ name: 'cat.jpg', size: 11, type: '', lastModified: 1 }];
    expect(matchFiles(wanted, picked).missing).toEqual(wanted);
  });
});
