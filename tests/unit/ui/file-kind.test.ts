import { describe, expect, it } from 'vitest';
import { fileKind, hasThumbnail, isPlayable } from '../../../app/src/ui/file-kind.ts';

describe('what sort of file a row shows', () => {
  it('goes by the MIME type first, then by the extension', () => {
    expect(fileKind('IMG_2041', 'image/jpeg')).toBe('image');
    expect(fileKind('clip.bin', 'video/mp4')).toBe('video');
    expect(fileKind('Holiday/IMG_2041.JPG', '')).toBe('image');
    expect(fileKind('song.m4a', 'application/octet-stream')).toBe('audio');
    expect(fileKind('Budget 2027.pdf', '')).toBe('pdf');
    expect(fileKind('backup.tar.gz', '')).toBe('archive');
    expect(fileKind('notes', 'text/plain')).toBe('text');
    expect(fileKind('.bashrc', '')).toBe('other');
    expect(fileKind('no-extension', '')).toBe('other');
  });

  it('tries thumbnails only for images a browser decodes as pictures, and plays only video and sound', () => {
    expect(hasThumbnail('a.png', 'image/png')).toBe(true);
    expect(hasThumbnail('a.webp', '')).toBe(true);
    // A document that can run script, and a format most browsers cannot read.
    expect(hasThumbnail('logo.svg', 'image/svg+xml')).toBe(false);
    expect(hasThumbnail('IMG_0001.HEIC', 'image/heic')).toBe(false);
    expect(hasThumbnail('movie.mp4', 'video/mp4')).toBe(false);
    expect(isPlayable('movie.mp4', '')).toBe(true);
    expect(isPlayable('voice.opus', '')).toBe(true);
    expect(isPlayable('a.png', 'image/png')).toBe(false);
  });
});
