/**
 * Thumbnails drawn on this device from the bytes of a file, picked or received.
 * Decoded straight at thumbnail size (createImageBitmap's resize, which the browser
 * can apply while decoding) and one at a time, so a folder of 50 MB photos never
 * holds more than one decoded image: a phone's page must not run out of memory.
 */

/** Thumbnails are drawn at this many device pixels across (shown at 3rem). */
const WIDTH = 128;

let queue: Promise<unknown> = Promise.resolve();

/** An object URL of a small WebP/PNG of `blob`, or null if the browser cannot decode it. Revoke it when done. */
export function thumbnailOf(blob: Blob): Promise<string | null> {
  const made = queue.then(() => draw(blob));
  queue = made.catch(() => {});
  return made;
}

async function draw(blob: Blob): Promise<string | null> {
  let bitmap: ImageBitmap | null = null;
  try {
    bitmap = await createImageBitmap(blob, { resizeWidth: WIDTH, resizeQuality: 'medium' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    return URL.createObjectURL(await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 }));
  } catch {
    // Not an image this browser decodes (or a damaged one): the kind's icon stands in.
    return null;
  } finally {
    bitmap?.close();
  }
}
