import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../app/src/transfer/errors.ts';
import { parseControl, type ControlMessage } from '../../../app/src/transfer/messages.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';
import { expectWellFormed, smallControlMessage } from './protocol-arbitraries.ts';

// A record the compiler checks, so a new message type cannot be left out here.
const TYPES = Object.keys({
  hello: 1,
  manifest: 1,
  request: 1,
  root: 1,
  'file-end': 1,
  receipt: 1,
  error: 1,
  done: 1,
  gate: 1,
  password: 1,
  ended: 1,
  'lane-offer': 1,
  'lane-answer': 1,
} satisfies Record<ControlMessage['type'], 1>) as ControlMessage['type'][];

const type = fc.constantFrom(...TYPES);

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { files: value };
  return value;
}

// One more entry than any list may hold. Never damaged itself, so it can be shared.
const TOO_MANY = new Array<number>(100_001).fill(0);

/** Values a peer's JSON could hold where a field belongs, and a few only JavaScript can. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 4, arbitrary: fc.constantFrom(-1, -0, 0.5, 1e-7, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.NaN, Infinity, -Infinity) },
  { weight: 4, arbitrary: fc.constantFrom('', '0', '1e3', 'true', 'null', '__proto__', 'A'.repeat(5000), 'é'.repeat(4097), null, true, false, [], {}) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.nat(3000).map(nested) },
  { weight: 1, arbitrary: fc.constant(TOO_MANY) },
);

/** A valid message's body, deep-copied so it can be damaged. */
function bodyOf(message: ControlMessage): Record<string, unknown> {
  const { type: _, ...body } = message;
  return structuredClone(body);
}

/** Every place in a body a value sits: [its container, its key]. */
function places(value: unknown, into: [Record<string | number, unknown>, string | number][] = []) {
  if (value && typeof value === 'object') {
    for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      const container = value as Record<string | number, unknown>;
      into.push([container, key]);
      places(container[key], into);
    }
  }
  return into;
}

const damage = fc.record({
  at: fc.nat(),
  how: fc.constantFrom('replace', 'delete', 'add'),
  value: nasty,
  key: fc.oneof(fc.constantFrom('type', 'key', 'keyProof', 'files', 'size', 'root', 'text', '__proto__', 'constructor', 'extra'), fc.string({ maxLength: 8 })),
});

/** A valid body with one thing wrong: a value replaced, a key dropped, or a key added. */
const damagedBody = fc.tuple(smallControlMessage, fc.array(damage, { minLength: 1, maxLength: 3 })).map(([message, damages]) => {
  const body = bodyOf(message);
  // Places in the copied body only: damage never lands inside a generated value, which
  // fast-check may hand out again.
  const all = places(body);
  const objects = [body, ...all.map(([c, k]) => c[k]).filter((v) => v && typeof v === 'object' && !Array.isArray(v))];
  for (const { at, how, value, key } of damages) {
    if (how === 'add' || all.length === 0) {
      // defineProperty, as JSON.parse does: a plain `obj.__proto__ = v` would change its prototype.
      Object.defineProperty(objects[at % objects.length]!, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      const [container, place] = all[at % all.length]!;
      // From a list an entry is taken out, not left as a hole: JSON has no holes.
      if (how === 'delete' && Array.isArray(container)) container.splice(place as number, 1);
      else if (how === 'delete') delete container[place];
      else container[place] = value;
    }
  }
  return { type: message.type, body };
});

/** parseControl either refuses with a ProtocolError or returns a message of the type asked for that is well-formed. */
function expectParsedOrRefused(asked: ControlMessage['type'], body: unknown): void {
  let message: ControlMessage;
  try {
    message = parseControl(asked, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return;
  }
  expect(message.type).toBe(asked);
  expectWellFormed(message);
}

describe('parseControl, on whatever a peer sends', () => {
  it('any JSON value as any type’s body', () => {
    fc.assert(
      fc.property(type, fc.jsonValue(), (asked, body) => expectParsedOrRefused(asked, body)),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);

  it('valid bodies with values replaced, keys dropped or added, read as their own type or another', () => {
    fc.assert(
      fc.property(damagedBody, fc.option(type, { nil: undefined }), ({ type: own, body }, other) => {
        expectParsedOrRefused(other ?? own, body);
        // The same body as it would arrive: through JSON (NaN and Infinity become null).
        expectParsedOrRefused(other ?? own, JSON.parse(JSON.stringify(body)));
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});
