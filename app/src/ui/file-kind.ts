/**
 * What sort of file a name and a MIME type suggest, for the icon beside it and for
 * whether a preview is worth trying. Only a hint: both come from the sender, so
 * nothing here decides what is safe, only what to show.
 */
export type FileKind = 'image' | 'video' | 'audio' | 'pdf' | 'archive' | 'text' | 'other';

const BY_EXTENSION: Record<string, FileKind> = {
  jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', webp: 'image', avif: 'image', bmp: 'image', heic: 'image', heif: 'image', svg: 'image',
  mp4: 'video', mov: 'video', m4v: 'video', webm: 'video', mkv: 'video', avi: 'video',
  mp3: 'audio', m4a: 'audio', aac: 'audio', ogg: 'audio', oga: 'audio', opus: 'audio', wav: 'audio', flac: 'audio',
  pdf: 'pdf',
  zip: 'archive', '7z': 'archive', rar: 'archive', tar: 'archive', gz: 'archive', tgz: 'archive', xz: 'archive',
  txt: 'text', md: 'text', csv: 'text', json: 'text', log: 'text',
};

export function fileKind(name: string, type: string): FileKind {
  const major = type.split('/')[0];
  if (major === 'image' || major === 'video' || major === 'audio') return major;
  if (type === 'application/pdf') return 'pdf';
  const extension = /\.([^./]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return BY_EXTENSION[extension] ?? (major === 'text' ? 'text' : 'other');
}

/**
 * Whether a thumbnail can be drawn from the bytes: images every browser decodes as a
 * bitmap (not SVG, which is a document, nor HEIC, which most cannot read).
 */
export function hasThumbnail(name: string, type: string): boolean {
  if (fileKind(name, type) !== 'image') return false;
  return !/\.(svg|heic|heif)$/i.test(name) && !/svg|heic|heif/i.test(type);
}

/** Whether the browser may play it inline (it says so itself if it cannot). */
export function isPlayable(name: string, type: string): boolean {
  const kind = fileKind(name, type);
  return kind === 'video' || kind === 'audio';
}

/** A glyph for each kind, beside names without a thumbnail. */
export const KIND_ICON: Record<FileKind, string> = {
  image: '🖼️',
  video: '🎞️',
  audio: '🎵',
  pdf: '📕',
  archive: '🗜️',
  text: '📝',
  other: '📄',
};
