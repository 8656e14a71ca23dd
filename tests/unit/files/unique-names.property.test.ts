/**
 * Saving a batch never overwrites: whatever names arrive and whatever a folder holds,
 * the names handed out differ from each other and from what is there, the way
 * case-insensitive file systems compare, and stay safe names with their extensions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeFileName, safePath, splitExtension } from '../../../app/src/common/names.ts';
import { nameKey, uniqueNames, uniquePaths } from '../../../app/src/files/unique-names.ts';
import { fuzzRuns } from '../support/fuzz-runs.ts';
import { broken } from '../support/name-rules.ts';

/** Pieces that make names clash: case, composed and decomposed letters, counters, long runs. */
const piece = fc.constantFrom(
  'a', 'A', 'b', 'é', 'e\u0301', 'É', 'ß', 'SS', 'ς', 'Σ', ' ', '.', '/', '?', ' (1)', '(2)',
  '.txt', '.TXT', '.tar.gz', '.tar', '日'.repeat(30), 'x'.repeat(90), '😀',
);
const rawName = fc.string({ unit: piece, minLength: 1, maxLength: 5 });
const name = rawName.map(safeFileName);
const batch = fc.array(name, { maxLength: 12 });
/** How macOS and Windows compare names, at the least; nameKey may merge more, never less. */
const fold = (text: string) => text.normalize('NFC').toLowerCase();
/** What a folder already holds: any names, safe or not. */
const present = fc.array(fc.oneof(name, rawName), { maxLength: 8 });

describe('unique names', () => {
  it('differ from each other and from what is there, keep their extensions, stay safe', () => {
    fc.assert(
      fc.property(batch, present, (names, taken) => {
        const out = uniqueNames(names, taken);
        const keys = out.map(fold);
        expect(new Set(keys).size).toBe(out.length);
        const there = new Set(taken.map(fold));
        const problems = out.flatMap((unique, at) => [
          ...(there.has(keys[at]!) ? ['already there'] : []),
          ...(unique.endsWith(splitExtension(names[at]!)[1]) ? [] : ['extension lost']),
          ...broken(unique),
        ]);
        expect(problems).toEqual([]);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('change only what clashes, are stable under a longer batch, and are already unique when asked again', () => {
    fc.assert(
      fc.property(batch, present, fc.nat(), (names, taken, split) => {
        const out = uniqueNames(names, taken);
        const seen = new Set(taken.map(nameKey));
        const renamedNeedlessly = names.filter((wanted, at) => {
          const needless = !seen.has(nameKey(wanted)) && out[at] !== wanted;
          seen.add(nameKey(out[at]!));
          return needless;
        });
        expect(renamedNeedlessly).toEqual([]);
        const k = names.length === 0 ? 0 : split % (names.length + 1);
        expect(uniqueNames(names.slice(0, k), taken)).toEqual(out.slice(0, k));
        expect(uniqueNames(out, taken)).toEqual(out);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('unique paths in one tree', () => {
  const segment = fc.constantFrom('a', 'A', 'b', 'B.txt', 'b.TXT', 'é', 'e\u0301');
  const path = fc.array(fc.oneof(segment, rawName), { minLength: 1, maxLength: 4 }).map((parts) => safePath(parts.join('/')));

  it('never put two entries, or a file and a folder, at one place', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 10 }), (paths) => {
        const out = uniquePaths(paths);
        expect(out.length).toBe(paths.length);
        const files = out.map((p) => p.map(fold).join('/'));
        expect(new Set(files).size).toBe(files.length);
        const folders = new Set(out.flatMap((p) => p.slice(0, -1).map((_, end) => p.slice(0, end + 1).map(fold).join('/'))));
        expect(files.filter((file) => folders.has(file))).toEqual([]);
        const problems = out.flatMap((p, at) => {
          const wanted = paths[at]!;
          const folder = (segments: readonly string[]) => segments.slice(0, -1).map(nameKey).join('/');
          // The same folders, compared as the file system will, and the file keeps its extension.
          return [
            ...(folder(p) === folder(wanted) ? [] : ['moved to another folder']),
            ...(p.at(-1)!.endsWith(splitExtension(wanted.at(-1)!)[1]) ? [] : ['extension lost']),
            ...p.flatMap(broken),
          ];
        });
        expect(problems).toEqual([]);
        expect(uniquePaths(out)).toEqual(out);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });
});
