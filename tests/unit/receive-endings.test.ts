/**
 * How `ferry receive` ends when it cannot finish: the exit code a script retries on or
 * gives up at, and what the person is told to do.
 */
import { readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/exit-codes.ts';
import { folderBook } from '../../app/cli/folder-book.ts';
import { PART_SUFFIX } from '../../app/cli/received-places.ts';
import { ENDED, failureEnding, storageEnding, unsafeEnding } from '../../app/cli/receive-endings.ts';
import { IS_LINK, UnsafePlaceError } from '../../app/cli/store-disk.ts';
import { failureOf } from '../../app/src/transfer/failure.ts';
import { newTransfer } from '../../app/src/session/transfer-record.ts';
import { useTempFolders } from './temp-folders.ts';

const tempFolder = useTempFolders('ferry-endings-');

describe('a receiver the sender turned away', () => {
  it('exits 3 when the share is serving as many receivers as it can, saying to try again later', () => {
    expect(ENDED.busy.code).toBe(EXIT.unreachable);
    expect(ENDED.busy.message).toMatch(/as many receivers as it can: try again in a while/);
  });

  it('exits 1 when the sender stopped waiting, saying what took too long and that running it again carries on', () => {
    expect(ENDED['timed-out'].code).toBe(EXIT.failed);
    expect(ENDED['timed-out'].message).toMatch(/^The sender stopped waiting for you: the password or its approval took too long\.\n/);
    expect(ENDED['timed-out'].message).toMatch(/Run the same command again to carry on/);
  });

  it.each(['stopped', 'expired', 'declined'] as const)('exits 1 when the sender %s: trying again will not help', (reason) => {
    expect(ENDED[reason].code).toBe(EXIT.failed);
  });
});

describe('an unsafe place in the output folder', () => {
  const files = [{ name: 'notes.txt', size: 5, type: 'text/plain', lastModified: 0 }];
  const bytes = new TextEncoder().encode('notes');

  it('met mid-transfer, through a link planted where a file goes, carries its failure and ends as one found at the start', async () => {
    const out = await tempFolder();
    const victim = join(await tempFolder(), '.profile');
    await writeFile(victim, 'theirs');
    const book = folderBook(out);
    const store = await book.open(newTransfer('id', { peerId: 'sender0001', secret: 'c2VjcmV0', senderKey: 'a2V5' }, files));
    // The transfer has begun: its partial file is there, and now a link takes its place.
    const part = join(out, `notes.txt${PART_SUFFIX}`);
    await rm(part);
    await symlink(victim, part);
    await store.write(0, 0, bytes);
    const refusal = await store.flush().catch((error: unknown) => error);
    await store.close().catch(() => {});
    expect(refusal).toEqual(new UnsafePlaceError(part, IS_LINK));
    // What the receiving session reports of it, as it does of any failed write.
    expect(failureEnding(out, failureOf(refusal), null)).toEqual({
      code: EXIT.unsafeFolder,
      message: `Cannot store the files in ${out}: ${part} is a symbolic link, and Ferry does not write through links. Remove it, or receive into another folder.`,
    });
    expect(await readFile(victim, 'utf8')).toBe('theirs');
    expect(await readdir(out)).toContain(`notes.txt${PART_SUFFIX}`);
  });

  it('found when the store opens ends as it does at the start', () => {
    const error = new UnsafePlaceError('/out/.ferry', IS_LINK);
    expect(storageEnding('/out', error.failure)).toEqual(unsafeEnding('/out', error));
    expect(unsafeEnding('/out', error).code).toBe(EXIT.unsafeFolder);
  });
});

describe('a failed transfer', () => {
  it('exits 4 when the disk is full, saying to run it again once there is room', () => {
    const ending = failureEnding('/out', { code: 'storage-full' }, null);
    expect(ending.code).toBe(EXIT.diskFull);
    expect(ending.message).toMatch(/\nRun the same command again once there is room\.$/);
  });

  it('exits 1 when the sender’s files changed, saying where what arrived is kept', () => {
    const ending = failureEnding('/out', { code: 'files-changed', files: ['a.txt'] }, null);
    expect(ending).toMatchObject({ code: EXIT.failed, message: expect.stringMatching(/\nWhat was received is kept in \/out\.$/) });
  });
});
